namespace Voki.Bench.Sfu;

/// <summary>A pre-encoded VP8 clip (IVF container) cut into RTP payloads as a browser would send them (RFC 7741).</summary>
public sealed class Vp8Clip
{
    public const int MaxPayload = 1100;
    public required List<byte[][]> Frames { get; init; }
    public required int FramesPerSecond { get; init; }
    public double BitsPerSecond => Frames.Sum(f => f.Sum(p => p.Length)) * 8.0 * FramesPerSecond / Frames.Count;

    public static Vp8Clip Load(string path)
    {
        var ivf = File.ReadAllBytes(path);
        if (ivf.Length < 32 || ivf[0] != 'D' || ivf[1] != 'K' || ivf[2] != 'I' || ivf[3] != 'F') throw new InvalidDataException($"{path} is not an IVF file");
        var rate = BitConverter.ToInt32(ivf, 16);
        var scale = BitConverter.ToInt32(ivf, 20);
        var frames = new List<byte[][]>();
        for (int offset = BitConverter.ToUInt16(ivf, 6); offset + 12 <= ivf.Length;)
        {
            var size = BitConverter.ToInt32(ivf, offset);
            var frame = ivf.AsSpan(offset + 12, size);
            offset += 12 + size;
            var packets = new List<byte[]>();
            for (var start = 0; start < frame.Length; start += MaxPayload - 1)
            {
                var chunk = frame.Slice(start, Math.Min(MaxPayload - 1, frame.Length - start));
                var payload = new byte[chunk.Length + 1];
                payload[0] = (byte)(start == 0 ? 0x10 : 0x00); // VP8 descriptor: S bit on the first packet of a frame
                chunk.CopyTo(payload.AsSpan(1));
                packets.Add(payload);
            }
            frames.Add([.. packets]);
        }
        return new Vp8Clip { Frames = frames, FramesPerSecond = Math.Max(1, (int)Math.Round(rate / (double)Math.Max(1, scale))) };
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Voki.Media.Recording;

/// <summary>
/// Writes Opus packets into an Ogg Opus file (RFC 7845): OpusHead and OpusTags pages, then one page
/// per packet whose granule position counts 48 kHz samples, so gaps (silence, loss) keep their length.
/// </summary>
public sealed class OggOpusWriter : IDisposable
{
    private const int PreSkip = 312;
    private readonly FileStream _file;
    private readonly uint _serial = (uint)Random.Shared.Next();
    private readonly byte[] _page = new byte[65_536];
    private uint _sequence;

    public OggOpusWriter(string path, int channels = 2)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1;
        head[9] = (byte)channels;
        BinaryPrimitives.WriteUInt16LittleEndian(head[10..], PreSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head[12..], 48000);
        WritePage(head, 0, beginning: true);
        var vendor = Encoding.UTF8.GetBytes("voki");
        var tags = new byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(tags, 12);
        WritePage(tags, 0, beginning: false);
    }

    /// <summary>Appends a packet that starts <paramref name="startSample"/> 48 kHz samples after the track's first.</summary>
    public void WritePacket(ReadOnlySpan<byte> packet, long startSample) =>
        WritePage(packet, PreSkip + startSample + SamplesIn(packet), beginning: false);

    /// <summary>Samples in an Opus packet, from its TOC byte (RFC 6716 §3.1).</summary>
    public static int SamplesIn(ReadOnlySpan<byte> packet)
    {
        if (packet.Length == 0) return 0;
        var config = packet[0] >> 3;
        int frameSamples = config switch
        {
            < 12 => (config & 3) switch { 0 => 480, 1 => 960, 2 => 1920, _ => 2880 },
            < 16 => (config & 1) == 0 ? 480 : 960,
            _ => (config & 3) switch { 0 => 120, 1 => 240, 2 => 480, _ => 960 },
        };
        var frames = (packet[0] & 3) switch { 0 => 1, 1 or 2 => 2, _ => packet.Length > 1 ? packet[1] & 0x3F : 1 };
        return frameSamples * frames;
    }

    private void WritePage(ReadOnlySpan<byte> packet, long granule, bool beginning)
    {
        var segments = packet.Length / 255 + 1;
        if (segments > 255) return; // an Opus packet is never this large; refuse rather than write a broken page
        var header = _page.AsSpan(0, 27 + segments);
        "OggS"u8.CopyTo(header);
        header[4] = 0;
        header[5] = (byte)(beginning ? 0x02 : 0x00);
        BinaryPrimitives.WriteInt64LittleEndian(header[6..], granule);
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], _serial);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], _sequence++);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], 0);
        header[26] = (byte)segments;
        for (var i = 0; i < segments - 1; i++) header[27 + i] = 255;
        header[27 + segments - 1] = (byte)(packet.Length % 255);
        packet.CopyTo(_page.AsSpan(header.Length));
        var page = _page.AsSpan(0, header.Length + packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], OggCrc.Compute(page));
        _file.Write(page);
    }

    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();
}

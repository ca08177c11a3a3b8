using System.Buffers.Binary;

namespace Voki.Media.Recording;

/// <summary>
/// A copy of a captured VP8 track (IVF) for the composer, every complete frame kept in its order (a decoder needs each
/// one) but stamped on its output frame of <see cref="FrameGrid"/>, in the track's own time so the composer places it
/// as it places the original: timeline = pts × timebase × clock scale + start.
/// </summary>
public static class RetimedVideo
{
    public static void Write(CapturedTrack track, int fps, string destination)
    {
        using var source = new FileStream(track.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var header = new byte[IvfFile.HeaderSize];
        source.ReadExactly(header);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        int den = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16)), num = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20));
        if (headerLength < IvfFile.HeaderSize || den <= 0 || num <= 0) throw new InvalidDataException($"{track.FilePath}: not an IVF header");

        // The frames' places and times first (12 bytes each), then the copy.
        var offsets = new List<long>();
        var seconds = new List<double>();
        double start = track.StartMs / 1000.0, secondsPerTick = num / (double)den * track.ClockScale;
        var frameHeader = new byte[IvfFile.FrameHeaderSize];
        for (long at = headerLength; at + IvfFile.FrameHeaderSize <= track.ReadableBytes;)
        {
            source.Position = at;
            source.ReadExactly(frameHeader);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(frameHeader);
            if (at + IvfFile.FrameHeaderSize + size > track.ReadableBytes) break;
            offsets.Add(at);
            seconds.Add(start + BinaryPrimitives.ReadInt64LittleEndian(frameHeader.AsSpan(4)) * secondsPerTick);
            at += IvfFile.FrameHeaderSize + size;
        }
        var slots = FrameGrid.Fit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(seconds), fps);

        using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        source.Position = 0;
        var copied = new byte[headerLength];
        source.ReadExactly(copied);
        output.Write(copied);
        long previous = long.MinValue;
        var buffer = new byte[1 << 16];
        for (int i = 0; i < offsets.Count; i++)
        {
            source.Position = offsets[i];
            source.ReadExactly(frameHeader);
            // On the output frame's instant (a second picture on the same frame a tick after it): shown on that frame
            // whether the composition takes the picture nearest in time or the latest at or before it.
            long pts = Math.Max(previous + 1, (long)Math.Round((slots[i] / (double)fps - start) / secondsPerTick));
            previous = pts;
            BinaryPrimitives.WriteInt64LittleEndian(frameHeader.AsSpan(4), pts);
            output.Write(frameHeader);
            for (long left = BinaryPrimitives.ReadUInt32LittleEndian(frameHeader); left > 0;)
            {
                int read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read <= 0) throw new EndOfStreamException($"{track.FilePath}: a frame ends early");
                output.Write(buffer, 0, read);
                left -= read;
            }
        }
    }
}

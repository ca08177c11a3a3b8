using System.Buffers.Binary;

namespace Voki.Media.Recording;

/// <summary>
/// The structure of a captured VP8 track: an IVF file (32-byte header "DKIF", then frames of a 12-byte header,
/// size and 64-bit pts, and the payload). Nothing is decoded: this finds the frames that were written completely
/// (a node that dies mid-write leaves a torn last frame), their time span and the size of the first key frame.
/// </summary>
public sealed record IvfFile
{
    public const int HeaderSize = 32;
    public const int FrameHeaderSize = 12;
    private const int MaxFrameSize = 16 << 20;

    public required string FourCc { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int TimebaseNumerator { get; init; }
    public required int TimebaseDenominator { get; init; }
    public required int FrameCount { get; init; }
    public long FirstPts { get; init; }
    public long LastPts { get; init; }

    /// <summary>The mean spacing of the frames, in pts units (one frame at 30 fps when there is a single frame).</summary>
    public double FrameDuration { get; init; }

    /// <summary>
    /// Where the frames stop for longer than <see cref="GapSeconds"/> (a simulcast layer the sender paused), in seconds from
    /// pts 0, at most <see cref="MaxGaps"/>: the composer then shows another of the participant's tracks if one has pictures.
    /// </summary>
    public IReadOnlyList<(double StartSeconds, double EndSeconds)> Gaps { get; init; } = [];
    public const double GapSeconds = 1.0;
    public const int MaxGaps = 256;

    /// <summary>The header and every complete frame.</summary>
    public required long ReadableBytes { get; init; }

    /// <summary>Bytes after the last complete frame: a frame (or its header) that was being written.</summary>
    public bool Torn { get; init; }

    /// <summary>The end of the last complete frame, in seconds from pts 0.</summary>
    public double EndSeconds => FrameCount == 0 ? 0 : (LastPts + FrameDuration) * TimebaseNumerator / (double)TimebaseDenominator;

    public double PtsToSeconds(long pts) => pts * TimebaseNumerator / (double)TimebaseDenominator;

    /// <summary>Reads the structure of an IVF file; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static IvfFile Inspect(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return Inspect(stream);
    }

    public static IvfFile Inspect(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (ReadAll(stream, header) < HeaderSize || !header[..4].SequenceEqual("DKIF"u8))
            throw new InvalidDataException("not an IVF file (no DKIF header)");
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        if (headerLength < HeaderSize) throw new InvalidDataException($"IVF header length {headerLength}");
        var fourCc = System.Text.Encoding.ASCII.GetString(header[8..12]);
        int width = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(header[14..]);
        int den = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        int num = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        if (den <= 0 || num <= 0) throw new InvalidDataException($"IVF timebase {num}/{den}");

        long length = stream.Length;
        long position = headerLength;
        stream.Position = position;
        Span<byte> frameHeader = stackalloc byte[FrameHeaderSize];
        Span<byte> keyFrameStart = stackalloc byte[10];
        int count = 0;
        long firstPts = 0, lastPts = 0;
        var gaps = new List<(double, double)>();
        long gapPts = (long)Math.Ceiling(GapSeconds * den / num);
        bool torn = false, sized = false;
        while (position < length)
        {
            if (length - position < FrameHeaderSize || ReadAll(stream, frameHeader) < FrameHeaderSize) { torn = true; break; }
            long size = BinaryPrimitives.ReadUInt32LittleEndian(frameHeader);
            long pts = BinaryPrimitives.ReadInt64LittleEndian(frameHeader[4..]);
            if (size > MaxFrameSize || length - position - FrameHeaderSize < size) { torn = true; break; }
            if (!sized && size >= 10 && fourCc == "VP80")
            {
                // VP8 key frame (RFC 6386 §9.1): frame type bit 0 clear, start code 9d 01 2a, 14-bit width and height.
                ReadAll(stream, keyFrameStart);
                stream.Position -= keyFrameStart.Length;
                if ((keyFrameStart[0] & 1) == 0 && keyFrameStart[3] == 0x9d && keyFrameStart[4] == 0x01 && keyFrameStart[5] == 0x2a)
                {
                    width = BinaryPrimitives.ReadUInt16LittleEndian(keyFrameStart[6..]) & 0x3fff;
                    height = BinaryPrimitives.ReadUInt16LittleEndian(keyFrameStart[8..]) & 0x3fff;
                    sized = true;
                }
            }
            if (count == 0) firstPts = pts;
            else if (pts - lastPts > gapPts && gaps.Count < MaxGaps)
                gaps.Add((lastPts * num / (double)den, pts * num / (double)den));
            lastPts = pts;
            count++;
            position += FrameHeaderSize + size;
            stream.Position = position;
        }

        double frameDuration = count > 1 && lastPts > firstPts
            ? (lastPts - firstPts) / (double)(count - 1)
            : den / (30.0 * num);
        return new IvfFile
        {
            FourCc = fourCc, Width = width, Height = height,
            TimebaseNumerator = num, TimebaseDenominator = den,
            FrameCount = count, FirstPts = firstPts, LastPts = lastPts, FrameDuration = frameDuration,
            ReadableBytes = position, Torn = torn, Gaps = gaps,
        };
    }

    /// <summary>Reads until the buffer is full or the file ends (a torn file ends early).</summary>
    private static int ReadAll(Stream stream, Span<byte> buffer) => stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}

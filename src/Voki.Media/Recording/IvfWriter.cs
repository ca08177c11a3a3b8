using System.Buffers.Binary;

namespace Voki.Media.Recording;

/// <summary>
/// Writes VP8 frames into an IVF file (the libvpx container): a 32-byte header, then per frame a
/// 12-byte header (size, 64-bit pts) and the frame. Appending frames keeps the file readable at any
/// point, which is what a crash needs.
/// </summary>
public sealed class IvfWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _frameHeader = new byte[12];

    public IvfWriter(string path, int timebaseDenominator = 90000)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        Span<byte> header = stackalloc byte[32];
        "DKIF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 32);
        "VP80"u8.CopyTo(header[8..]);
        // Width and height are those of the first keyframe; decoders read the real size from every keyframe.
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header[14..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)timebaseDenominator);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        _file.Write(header);
    }

    public void WriteFrame(ReadOnlySpan<byte> frame, long pts)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_frameHeader, (uint)frame.Length);
        BinaryPrimitives.WriteInt64LittleEndian(_frameHeader.AsSpan(4), pts);
        _file.Write(_frameHeader);
        _file.Write(frame);
    }

    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();
}

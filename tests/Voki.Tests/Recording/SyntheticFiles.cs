using System.Buffers.Binary;
using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>IVF and Ogg Opus files built byte by byte, for the readers' tests (the payloads are not real media).</summary>
public static class SyntheticFiles
{
    public static byte[] IvfHeader(int width, int height, int timebaseDen = 90000, int frameCount = 0)
    {
        var h = new byte[IvfFile.HeaderSize];
        "DKIF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), IvfFile.HeaderSize);
        "VP80"u8.CopyTo(h.AsSpan(8));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(12), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(14), (ushort)height);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), (uint)timebaseDen);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), (uint)frameCount);
        return h;
    }

    public static byte[] IvfFrame(long pts, byte[] payload)
    {
        var f = new byte[IvfFile.FrameHeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(f, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(f.AsSpan(4), pts);
        payload.CopyTo(f.AsSpan(IvfFile.FrameHeaderSize));
        return f;
    }

    /// <summary>The first bytes of a VP8 key frame of the given size (RFC 6386 §9.1), padded.</summary>
    public static byte[] Vp8KeyFrame(int width, int height, int length = 64)
    {
        var p = new byte[length];
        p[0] = 0x10; // key frame, version 0, show_frame
        p[3] = 0x9d; p[4] = 0x01; p[5] = 0x2a;
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(8), (ushort)height);
        return p;
    }

    public static byte[] Vp8InterFrame(int length = 40) { var p = new byte[length]; p[0] = 0x11; return p; }

    /// <summary>An IVF file of <paramref name="frames"/> frames spaced <paramref name="ptsStep"/> apart (90 kHz).</summary>
    public static byte[] Ivf(int frames, int ptsStep = 3000, int width = 640, int height = 360)
    {
        using var s = new MemoryStream();
        s.Write(IvfHeader(width, height));
        for (int i = 0; i < frames; i++)
            s.Write(IvfFrame((long)i * ptsStep, i == 0 ? Vp8KeyFrame(width, height) : Vp8InterFrame()));
        return s.ToArray();
    }

    public static byte[] OggPage(uint serial, uint sequence, long granule, byte headerType, params byte[][] packets)
    {
        var segments = new List<byte>();
        foreach (var packet in packets)
        {
            int n = packet.Length;
            while (n >= 255) { segments.Add(255); n -= 255; }
            segments.Add((byte)n);
        }
        int body = packets.Sum(p => p.Length);
        var page = new byte[27 + segments.Count + body];
        "OggS"u8.CopyTo(page);
        page[5] = headerType;
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(6), granule);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), sequence);
        page[26] = (byte)segments.Count;
        segments.ToArray().CopyTo(page, 27);
        int at = 27 + segments.Count;
        foreach (var packet in packets) { packet.CopyTo(page, at); at += packet.Length; }
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), OggCrc.Compute(page));
        return page;
    }

    /// <summary>Ogg Opus: OpusHead, OpusTags, then <paramref name="pages"/> pages of 50 packets of 20 ms (one second each).</summary>
    public static byte[] OggOpus(int pages, int preSkip = 0, uint serial = 0x1234)
    {
        using var s = new MemoryStream();
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1; head[9] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), (ushort)preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), 48000);
        s.Write(OggPage(serial, 0, 0, 2, head));
        var tags = new byte[16];
        "OpusTags"u8.CopyTo(tags);
        s.Write(OggPage(serial, 1, 0, 0, tags));
        for (int i = 0; i < pages; i++)
        {
            var packets = Enumerable.Range(0, 50).Select(_ => new byte[] { 0x78, 0, 0 }).ToArray(); // TOC: CELT 20 ms
            s.Write(OggPage(serial, (uint)(2 + i), preSkip + (i + 1) * 48000L, (byte)(i == pages - 1 ? 4 : 0), packets));
        }
        return s.ToArray();
    }
}

using System.Buffers.Binary;

namespace Voki.Media.Recording;

/// <summary>
/// The structure of a captured Opus track: an Ogg stream (RFC 3533) whose first page holds OpusHead (RFC 7845).
/// Nothing is decoded: this finds the pages written completely and with a correct CRC (a node that dies mid-write
/// leaves a torn last page) and the granule position of the last one, which gives the end of what was written.
/// </summary>
public sealed record OggOpusFile
{
    public const int OpusRate = 48000;

    public required int Channels { get; init; }
    public required int PreSkip { get; init; }
    public required int PageCount { get; init; }

    /// <summary>The granule position (48 kHz samples) of the last complete page that ends a packet, or 0.</summary>
    public required long LastGranule { get; init; }

    /// <summary>The header pages and every complete page.</summary>
    public required long ReadableBytes { get; init; }

    /// <summary>Bytes after the last complete page: a page being written, or one whose CRC does not match.</summary>
    public bool Torn { get; init; }

    /// <summary>The end of the last complete page's audio, in seconds from granule 0 (pre-skip removed).</summary>
    public double EndSeconds => Math.Max(0, LastGranule - PreSkip) / (double)OpusRate;

    public static OggOpusFile Inspect(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return Inspect(stream);
    }

    public static OggOpusFile Inspect(Stream stream)
    {
        var page = new byte[27 + 255 + 255 * 255];
        long position = 0;
        int pages = 0, channels = 0, preSkip = 0;
        long lastGranule = 0;
        uint? serial = null;
        bool torn = false;
        while (true)
        {
            int got = ReadAll(stream, page.AsSpan(0, 27));
            if (got == 0) break;
            if (got < 27 || !page.AsSpan(0, 4).SequenceEqual("OggS"u8) || page[4] != 0) { torn = true; break; }
            int segments = page[26];
            if (ReadAll(stream, page.AsSpan(27, segments)) < segments) { torn = true; break; }
            int body = 0;
            for (int i = 0; i < segments; i++) body += page[27 + i];
            int total = 27 + segments + body;
            if (ReadAll(stream, page.AsSpan(27 + segments, body)) < body) { torn = true; break; }
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(22));
            BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), 0);
            if (OggCrc.Compute(page.AsSpan(0, total)) != crc) { torn = true; break; }
            BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), crc);

            uint pageSerial = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(14));
            serial ??= pageSerial;
            if (pageSerial == serial)
            {
                var data = page.AsSpan(27 + segments, body);
                if (pages == 0)
                {
                    if (body < 19 || !data[..8].SequenceEqual("OpusHead"u8)) throw new InvalidDataException("not an Ogg Opus file (no OpusHead)");
                    channels = data[9];
                    preSkip = BinaryPrimitives.ReadUInt16LittleEndian(data[10..]);
                }
                long granule = BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(6));
                if (pages >= 2 && granule != -1) lastGranule = granule;
                pages++;
            }
            position += total;
        }
        if (pages == 0) throw new InvalidDataException("not an Ogg Opus file (no complete page)");
        return new OggOpusFile
        {
            Channels = channels, PreSkip = preSkip, PageCount = pages, LastGranule = lastGranule,
            ReadableBytes = position, Torn = torn,
        };
    }
    /// <summary>Reads until the buffer is full or the file ends (a torn file ends early).</summary>
    private static int ReadAll(Stream stream, Span<byte> buffer) => stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}

/// <summary>The Ogg page checksum: CRC-32, polynomial 0x04c11db7, no reflection, initial value and final XOR 0.</summary>
public static class OggCrc
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int b = 0; b < 8; b++) r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04c11db7 : r << 1;
            table[i] = r;
        }
        return table;
    }

    /// <summary>The CRC of a page whose checksum field (bytes 22..25) is zero.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (var b in data) crc = (crc << 8) ^ Table[((crc >> 24) ^ b) & 0xff];
        return crc;
    }

}

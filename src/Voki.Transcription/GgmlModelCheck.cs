using System.Buffers.Binary;

namespace Voki.Transcription;

/// <summary>
/// Walks a whisper.cpp (legacy ggml) model file before whisper.cpp sees it. whisper.cpp trusts the file's structure:
/// a tensor header with more than four dimensions or an absurd name length makes it write past an array or throw a
/// C++ exception, which ends the whole process, live calls included. Here every length is checked against the file,
/// so a corrupt or truncated file becomes a reason instead of a crash. (Damage inside the weights themselves cannot be
/// seen without the real values; whisper.cpp then loads the model and transcribes badly.)
/// </summary>
public static class GgmlModelCheck
{
    public const uint Magic = 0x67676D6C; // "ggml", stored little-endian as "lmgg"

    /// <summary>The model's tensor count and whether it has any weights; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static (int Tensors, long WeightBytes) Validate(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var reader = new Reader(file);
        if (reader.UInt32() != Magic) throw new InvalidDataException("it is not a whisper.cpp ggml file");

        Span<int> h = stackalloc int[11]; // n_vocab, audio ctx/state/head/layer, text ctx/state/head/layer, n_mels, ftype
        for (var i = 0; i < h.Length; i++) h[i] = reader.Int32("its hyper-parameters");
        for (var i = 0; i < 10; i++)
            if (h[i] is <= 0 or > 1_000_000) throw new InvalidDataException("its hyper-parameters are out of range");

        var mels = reader.Int32("its mel filters");
        var fft = reader.Int32("its mel filters");
        if (mels is <= 0 or > 1024 || fft is <= 0 or > 4096) throw new InvalidDataException("its mel filter bank is out of range");
        reader.Skip((long)mels * fft * sizeof(float), "its mel filters");

        var words = reader.Int32("its vocabulary");
        if (words is < 0 or > 1_000_000) throw new InvalidDataException("its vocabulary size is out of range");
        for (var i = 0; i < words; i++)
        {
            var length = reader.UInt32("its vocabulary");
            if (length > 4096) throw new InvalidDataException("its vocabulary has a token that is too long");
            reader.Skip(length, "its vocabulary");
        }

        var tensors = 0;
        long weights = 0;
        Span<byte> name = stackalloc byte[256];
        while (!reader.AtEnd)
        {
            var where = $"tensor {tensors + 1}";
            var dims = reader.Int32(where);
            var nameLength = reader.Int32(where);
            var type = reader.Int32(where);
            if (dims is < 1 or > 4) throw new InvalidDataException($"{where} has {dims} dimensions");
            if (nameLength is < 1 or > 256) throw new InvalidDataException($"{where} has a name of {nameLength} bytes");
            long elements = 1;
            for (var d = 0; d < dims; d++)
            {
                var extent = reader.Int32(where);
                if (extent < 1 || (elements *= extent) > 1L << 34) throw new InvalidDataException($"{where} has impossible dimensions");
            }
            reader.Read(name[..nameLength], where);
            foreach (var c in name[..nameLength])
                if (c is < 0x21 or > 0x7E) throw new InvalidDataException($"{where} has an unreadable name");
            var bytes = DataBytes(type, elements) ?? throw new InvalidDataException($"{where} has an unknown data type ({type})");
            reader.Skip(bytes, where);
            weights += bytes;
            tensors++;
        }
        return (tensors, weights);
    }

    /// <summary>Bytes of a tensor's data: element size, or block size for ggml's quantized types.</summary>
    private static long? DataBytes(int type, long elements)
    {
        (int Block, int Bytes)? layout = type switch
        {
            0 => (1, 4),    // F32
            1 => (1, 2),    // F16
            2 => (32, 18),  // Q4_0
            3 => (32, 20),  // Q4_1
            6 => (32, 22),  // Q5_0
            7 => (32, 24),  // Q5_1
            8 => (32, 34),  // Q8_0
            10 => (256, 84), 11 => (256, 110), 12 => (256, 144), 13 => (256, 176), 14 => (256, 210), // Q2_K…Q6_K
            _ => null,
        };
        if (layout is not { } l || elements % l.Block != 0) return null;
        return elements / l.Block * l.Bytes;
    }

    private sealed class Reader(FileStream file)
    {
        private readonly byte[] _word = new byte[4];

        public bool AtEnd => file.Position >= file.Length;

        public uint UInt32(string where = "its header")
        {
            Read(_word, where);
            return BinaryPrimitives.ReadUInt32LittleEndian(_word);
        }

        public int Int32(string where) => (int)UInt32(where);

        public void Read(Span<byte> into, string where)
        {
            var read = 0;
            while (read < into.Length)
            {
                var n = file.Read(into[read..]);
                if (n == 0) throw Truncated(where);
                read += n;
            }
        }

        public void Skip(long bytes, string where)
        {
            if (bytes < 0 || file.Position + bytes > file.Length) throw Truncated(where);
            file.Seek(bytes, SeekOrigin.Current);
        }

        private static InvalidDataException Truncated(string where) => new($"the file ends inside {where} (truncated)");
    }
}

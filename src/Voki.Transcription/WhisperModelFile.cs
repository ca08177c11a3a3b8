using Voki.Grains.Grains;
using Whisper.net;

namespace Voki.Transcription;

/// <summary>
/// Opens the configured whisper.cpp model, turning every way it can be unusable into a reason a person can act on
/// (the structure is checked first, <see cref="GgmlModelCheck"/>, so a damaged file cannot crash the node).
/// The reasons name the file, not its directory: they reach the API's failure_reason.
/// </summary>
public static class WhisperModelFile
{
    /// <summary>Checks the file, then loads it: returns a factory whose builder is ready to use.</summary>
    public static (WhisperFactory Factory, WhisperProcessorBuilder Builder) Open(TranscriptionOptions options)
    {
        var path = Path.GetFullPath(options.ModelPath);
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the Whisper model {name} is missing (Transcription:ModelPath); the README's \"Transcription\" section says where to get one");
        var length = new FileInfo(path).Length;
        int tensors;
        try { (tensors, _) = GgmlModelCheck.Validate(path); }
        catch (InvalidDataException e) when (e.Message == "it is not a whisper.cpp ggml file")
        {
            throw new InvalidDataException($"the Whisper model {name} is not a whisper.cpp ggml file ({length} bytes)");
        }
        catch (InvalidDataException e) { throw Corrupt(name, length, e.Message); }
        if (tensors == 0 && !options.AllowWeightlessModel)
            throw new InvalidDataException($"the Whisper model {name} has no weights ({length} bytes): it is a header-only test model, not a real one");

        WhisperFactory factory;
        try { factory = WhisperFactory.FromPath(path); }
        catch (WhisperModelLoadException) { throw Corrupt(name, length, "whisper.cpp refused it"); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException
                                  || e.GetType() == typeof(Exception))
        {
            throw new InvalidOperationException($"the Whisper runtime could not start ({e.Message}); on Debian it needs libgomp1", e);
        }
        try { return (factory, factory.CreateBuilder()); }
        catch (WhisperModelLoadException)
        {
            factory.Dispose();
            throw Corrupt(name, length, "whisper.cpp refused it");
        }
    }

    private static InvalidDataException Corrupt(string name, long length, string detail) =>
        new($"the Whisper model {name} could not be loaded: the file is corrupt or truncated ({length} bytes; {detail})");
}

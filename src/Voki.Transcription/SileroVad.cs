using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Voki.Transcription;

/// <summary>
/// Silero VAD (v5/v6 ONNX model, from the npm package @ricky0123/vad-web) on ONNX Runtime's CPU provider: the
/// probability that a frame of 16 kHz mono audio is speech. The model's contract (silero-vad's OnnxWrapper):
/// <list type="bullet">
/// <item>audio: float [1, 64 + 512]: one 512-sample frame (32 ms) after the last 64 samples of the frame before
///   (zeros at the start), so an onset straddling two frames is seen whole;</item>
/// <item>state: float [2, 1, 128], zeros at the start, replaced by the model's new state after every frame: the
///   detector is recurrent, so frames must come in order and one instance serves one stream;</item>
/// <item>sample rate: int64 scalar, 16000;</item>
/// <item>out: float [1, 1], the speech probability; and the new state, float [2, 1, 128].</item>
/// </list>
/// The tensors' names are read from the model (by shape and type), not assumed. One inference thread: a frame is
/// far too small to split, and the job's cores belong to Whisper.
/// </summary>
public sealed class SileroVad : IDisposable
{
    public const int SampleRate = 16_000;
    public const int FrameSamples = 512;
    private const int ContextSamples = 64;
    private const int StateSize = 2 * 1 * 128;

    private readonly InferenceSession _session;
    private readonly string _audioName, _stateName, _rateName, _probabilityName, _newStateName;
    private readonly float[] _input = new float[ContextSamples + FrameSamples];
    private readonly float[] _state = new float[StateSize];
    private readonly OrtValue _rate;
    private readonly RunOptions _run = new();
    private readonly string[] _inputNames, _outputNames;

    private SileroVad(InferenceSession session)
    {
        _session = session;
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        _rateName = Single(inputs, m => m.ElementDataType == TensorElementType.Int64, "an int64 sample-rate input");
        _audioName = Single(inputs, m => m.ElementDataType == TensorElementType.Float && m.Dimensions.Length == 2, "a float [batch, samples] audio input");
        _stateName = Single(inputs, m => m.ElementDataType == TensorElementType.Float && m.Dimensions.Length == 3, "a float [2, batch, 128] state input");
        _probabilityName = Single(outputs, m => m.Dimensions.Length == 2, "a [batch, 1] probability output");
        _newStateName = Single(outputs, m => m.Dimensions.Length == 3, "a [2, batch, 128] state output");
        _inputNames = [_audioName, _stateName, _rateName];
        _outputNames = [_probabilityName, _newStateName];
        _rate = OrtValue.CreateTensorValueFromMemory(new long[] { SampleRate }, inputs[_rateName].Dimensions.Length == 0 ? [] : [1]);
    }

    /// <summary>Loads the model; a missing or unusable file is a reason a person can act on (it reaches failure_reason: file names only).</summary>
    public static SileroVad Open(string path)
    {
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        if (!File.Exists(full))
            throw new FileNotFoundException($"the voice activity model {name} is missing (Transcription:VadModelPath); the README's \"Transcription\" section says where it comes from");
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        InferenceSession session;
        try { session = new InferenceSession(full, options); }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"the voice activity model {name} could not be loaded ({e.Message.Replace(full, name)})");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            throw new InvalidOperationException($"ONNX Runtime could not start ({e.Message})", e);
        }
        finally { options.Dispose(); }
        try { return new SileroVad(session); }
        catch (InvalidDataException e)
        {
            session.Dispose();
            throw new InvalidDataException($"the voice activity model {name} is not a Silero VAD v5 model: it has no {e.Message}");
        }
    }

    /// <summary>The speech probability of the next 512 samples of the stream.</summary>
    public float Probability(ReadOnlySpan<float> frame)
    {
        if (frame.Length != FrameSamples) throw new ArgumentException($"a frame is {FrameSamples} samples", nameof(frame));
        frame.CopyTo(_input.AsSpan(ContextSamples));
        using var audio = OrtValue.CreateTensorValueFromMemory(_input, [1, _input.Length]);
        using var state = OrtValue.CreateTensorValueFromMemory(_state, [2, 1, 128]);
        using var results = _session.Run(_run, _inputNames, [audio, state, _rate], _outputNames);
        var probability = results[0].GetTensorDataAsSpan<float>()[0];
        results[1].GetTensorDataAsSpan<float>().CopyTo(_state);
        // The next frame's context: this frame's last 64 samples.
        _input.AsSpan(FrameSamples, ContextSamples).CopyTo(_input);
        return probability;
    }

    /// <summary>Starts a new stream: zero state and context.</summary>
    public void Reset()
    {
        Array.Clear(_input);
        Array.Clear(_state);
    }

    public void Dispose()
    {
        _rate.Dispose();
        _run.Dispose();
        _session.Dispose();
    }

    private static string Single(IReadOnlyDictionary<string, NodeMetadata> tensors, Func<NodeMetadata, bool> matches, string what)
    {
        var found = tensors.Where(t => t.Value.IsTensor && matches(t.Value)).Select(t => t.Key).ToList();
        return found.Count == 1 ? found[0] : throw new InvalidDataException(what);
    }
}

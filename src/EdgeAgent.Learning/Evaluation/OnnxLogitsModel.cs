using EdgeAgent.Core.Observation;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// A policy file run through ONNX Runtime as an <see cref="ILogitsModel"/>: inputs `servers`
/// [B, S, F], `mask` [B, S], `preference` [B, 2]; output `logits` [B, S]. The file's layout
/// (metadata_props) must equal the simulator's.
/// </summary>
public sealed class OnnxLogitsModel : ILogitsModel, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private float[] _servers = [];
    private float[] _mask = [];
    private float[] _pref = [];
    private float[] _logits = [];

    /// <summary>Loads <paramref name="path"/> single-threaded without spinning.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">The file's metadata lacks a valid layout.</exception>
    public OnnxLogitsModel(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Policy file '{path}' does not exist.", path);
        }

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(path, options);
        Layout = FeatureLayout.FromMetadata(_session.ModelMetadata.CustomMetadataMap);
    }

    /// <summary>The layout recorded in the file.</summary>
    public FeatureLayout Layout { get; }

    /// <inheritdoc />
    public void Logits(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, int batch, Span<float> logits)
    {
        var s = Layout.MaxServers;
        var f = Layout.FeatureCount;
        Ensure(ref _servers, batch * s * f);
        Ensure(ref _mask, batch * s);
        Ensure(ref _pref, batch * 2);
        Ensure(ref _logits, batch * s);
        servers.CopyTo(_servers);
        mask.CopyTo(_mask);
        preference.CopyTo(_pref);
        using var vs = OrtValue.CreateTensorValueFromMemory(_servers, [batch, s, f]);
        using var vm = OrtValue.CreateTensorValueFromMemory(_mask, [batch, s]);
        using var vp = OrtValue.CreateTensorValueFromMemory(_pref, [batch, 2]);
        using var vl = OrtValue.CreateTensorValueFromMemory(_logits, [batch, s]);
        _session.Run(_run, ["servers", "mask", "preference"], [vs, vm, vp], ["logits"], [vl]);
        _logits.AsSpan(0, batch * s).CopyTo(logits);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length != length)
        {
            buffer = new float[length];
        }
    }
}

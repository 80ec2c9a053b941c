using EdgeAgent.Core.Observation;
using EdgeAgent.Inference.Policy;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// A policy file run through ONNX Runtime as an <see cref="ILogitsModel"/>. Loading and running go
/// through Inference/Policy (<see cref="OnnxPolicySession"/>, <see cref="OnnxPolicyBatch"/>), the same
/// code the live agent uses, so evaluation checks the file exactly as production does.
/// </summary>
public sealed class OnnxLogitsModel : ILogitsModel, IDisposable
{
    private readonly OnnxPolicyBatch _batch;
    private float[] _servers = [];
    private float[] _mask = [];
    private float[] _pref = [];
    private float[] _logits = [];

    /// <summary>Loads <paramref name="path"/> single-threaded without spinning.</summary>
    /// <exception cref="PolicyFileException">Missing or unreadable file, wrong inputs or outputs, or no valid layout.</exception>
    public OnnxLogitsModel(string path)
    {
        _batch = new OnnxPolicyBatch(OnnxPolicySession.Open(path, expected: null, new OnnxPolicyOptions { IntraOpThreads = 1 }));
    }

    /// <summary>The layout recorded in the file.</summary>
    public FeatureLayout Layout => _batch.Session.Layout;

    /// <summary>The policy file's metadata_props (training command, fixed preference, layout).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _batch.Session.Metadata;

    /// <summary>Metadata key under which <c>edgeagent train --fixed-preference W</c> records W.</summary>
    public const string FixedDelayWeightKey = "edgeagent.training.fixed_delay_weight";

    /// <summary>The preference a fixed-preference policy was trained for, or null for a preference-conditioned one.</summary>
    /// <exception cref="FormatException">The recorded value is not a weight in [0, 1].</exception>
    public double? FixedDelayWeight => Metadata.TryGetValue(FixedDelayWeightKey, out var text) && !string.IsNullOrEmpty(text)
        ? double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var w) && w is >= 0 and <= 1
            ? w
            : throw new FormatException($"{_batch.Session.Path}: '{FixedDelayWeightKey}' is '{text}', not a weight in [0, 1].")
        : null;

    /// <inheritdoc />
    public void Logits(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, int batch, Span<float> logits)
    {
        var s = Layout.MaxServers;
        Ensure(ref _servers, batch * s * Layout.FeatureCount);
        Ensure(ref _mask, batch * s);
        Ensure(ref _pref, batch * 2);
        Ensure(ref _logits, batch * s);
        servers[.._servers.Length].CopyTo(_servers);
        mask[.._mask.Length].CopyTo(_mask);
        preference[.._pref.Length].CopyTo(_pref);
        _batch.Logits(_servers, _mask, _pref, batch, _logits);
        _logits.AsSpan(0, batch * s).CopyTo(logits);
    }

    /// <inheritdoc />
    public void Dispose() => _batch.Dispose();

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length != length)
        {
            buffer = new float[length];
        }
    }
}

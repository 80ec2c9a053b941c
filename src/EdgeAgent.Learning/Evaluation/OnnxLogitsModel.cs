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
    private int[]? _map;
    private int _sourceFeatures;

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

    /// <summary>
    /// Feeds the policy rows written in <paramref name="source"/> (the environment's layout), cut down
    /// to the file's columns by name: how a policy file of an older layout (37 agent columns) plays in
    /// an environment that writes the own-traffic layout. Equal layouts copy rows as they are.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file needs a column <paramref name="source"/> lacks; the message names it.</exception>
    public void ReadRowsOf(FeatureLayout source)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.EnsureProducible(Layout, "the simulator");
        if (source.Equals(Layout))
        {
            _map = null;
            _sourceFeatures = Layout.FeatureCount;
            return;
        }

        _map = source.ColumnMap(Layout);
        _sourceFeatures = source.FeatureCount;
    }

    /// <inheritdoc />
    public void Logits(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, int batch, Span<float> logits)
    {
        var s = Layout.MaxServers;
        Ensure(ref _servers, batch * s * Layout.FeatureCount);
        Ensure(ref _mask, batch * s);
        Ensure(ref _pref, batch * 2);
        Ensure(ref _logits, batch * s);
        if (_map is null)
        {
            servers[.._servers.Length].CopyTo(_servers);
        }
        else
        {
            var f = Layout.FeatureCount;
            for (var r = 0; r < batch * s; r++)
            {
                var from = servers.Slice(r * _sourceFeatures, _sourceFeatures);
                var to = _servers.AsSpan(r * f, f);
                for (var c = 0; c < f; c++)
                {
                    to[c] = from[_map[c]];
                }
            }
        }

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

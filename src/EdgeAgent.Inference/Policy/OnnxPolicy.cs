using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Policy;

/// <summary>
/// The learned policy on the request path: encodes an <see cref="OffloadObservation"/> with the
/// shared <see cref="ObservationEncoder"/>, runs the ONNX actor through pre-allocated OrtValues
/// over pinned buffers (no allocation per decision), and picks the present server with the
/// largest logit. Thread-safe (decisions are serialised; each takes microseconds).
/// </summary>
public sealed class OnnxPolicy : IOffloadPolicy, IDisposable
{
    private readonly OnnxPolicySession _session;
    private readonly ObservationEncoder _encoder;
    private readonly LiveObservationMapping _mapping;
    private readonly float[] _servers, _mask, _preference, _logits;
    private readonly OrtValue[] _inputs, _outputs;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly Lock _gate = new();

    /// <summary>Wraps an open session; the policy owns and disposes it.</summary>
    public OnnxPolicy(OnnxPolicySession session, LiveObservationMapping? mapping = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        _encoder = new ObservationEncoder(session.Layout);
        _mapping = mapping ?? LiveObservationMapping.Default;
        var s = session.Layout.MaxServers;
        var f = session.Layout.FeatureCount;
        _servers = new float[s * f];
        _mask = new float[s];
        _preference = new float[2];
        _logits = new float[s];
        _inputs =
        [
            OrtValue.CreateTensorValueFromMemory(_servers, [1, s, f]),
            OrtValue.CreateTensorValueFromMemory(_mask, [1, s]),
            OrtValue.CreateTensorValueFromMemory(_preference, [1, 2]),
        ];
        _outputs = [OrtValue.CreateTensorValueFromMemory(_logits, [1, s])];

        // Bound once: a decision is then one native call over the same pinned buffers.
        _binding = session.Session.CreateIoBinding();
        for (var i = 0; i < _inputs.Length; i++)
        {
            _binding.BindInput(OnnxPolicySession.InputNames[i], _inputs[i]);
        }

        _binding.BindOutput(OnnxPolicySession.OutputNames[0], _outputs[0]);
    }

    /// <summary>Opens a policy file, refusing one whose layout differs from <paramref name="expected"/>.</summary>
    /// <exception cref="PolicyFileException">The file is unusable; the message says why.</exception>
    public static OnnxPolicy Load(string path, FeatureLayout expected, OnnxPolicyOptions? options = null, LiveObservationMapping? mapping = null) =>
        new(OnnxPolicySession.Open(path, expected, options), mapping);

    /// <inheritdoc />
    public string Name => "learned";

    /// <summary>The observation layout of the policy.</summary>
    public FeatureLayout Layout => _session.Layout;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">No server of the observation is available, or more servers than the policy's S.</exception>
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(observation);
        lock (_gate)
        {
            _encoder.Encode(observation, preference, _servers, _mask, _preference, _mapping);
            var best = RunAndChoose();
            if (best < 0)
            {
                throw new ArgumentException("No server in the observation is available.", nameof(observation));
            }

            return observation.Servers[best].Placement;
        }
    }

    /// <summary>
    /// The decision for an already encoded observation (servers [S, F], mask [S], preference [2]):
    /// the index of the chosen server, or -1 when none is present. Used by benchmarks and the simulator.
    /// </summary>
    public int Decide(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference)
    {
        lock (_gate)
        {
            servers.CopyTo(_servers);
            mask.CopyTo(_mask);
            preference.CopyTo(_preference);
            return RunAndChoose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in _inputs)
        {
            v.Dispose();
        }

        _outputs[0].Dispose();
        _binding.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private int RunAndChoose()
    {
        _session.Session.RunWithBinding(_runOptions, _binding);
        var best = -1;
        for (var i = 0; i < _logits.Length; i++)
        {
            if (_mask[i] > 0.5f && (best < 0 || _logits[i] > _logits[best]))
            {
                best = i;
            }
        }

        return best;
    }
}

using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Policy;

/// <summary>
/// The learned policy on the request path: encodes an <see cref="OffloadObservation"/> with the
/// shared <see cref="ObservationEncoder"/>, packs the present servers' rows to the front and runs
/// the ONNX actor on those rows only (a policy file's S axis is symbolic, and absent rows never
/// change present rows' logits), through OrtValues and bindings made once per row count over
/// pinned buffers (no allocation per decision), and picks the present server with the largest
/// logit. Per row count k it runs a session of the file specialised to k present rows
/// (<see cref="OnnxPolicySession.OpenPresentRowsSession"/>: ONNX Runtime folds the masking nodes,
/// about 10 % of a decision) unless <see cref="OnnxPolicyOptions.SpecializePresentRows"/> is off. Thread-safe (decisions are serialised; each takes microseconds). Disposing waits for a
/// decision in flight, so a reloading caller may retire a policy while others still decide on it
/// (<see cref="TryDecide"/> then says it is gone instead of touching a disposed session).
/// </summary>
public sealed class OnnxPolicy : IOffloadPolicy, IDisposable
{
    private readonly OnnxPolicySession _session;
    private readonly ObservationEncoder _encoder;
    private readonly LiveObservationMapping _mapping;
    private readonly float[] _servers, _mask, _preference;
    private readonly float[] _rows, _ones, _logits;
    private readonly int[] _rowServer;
    private readonly OrtValue _preferenceValue;
    private readonly List<OrtValue> _values = [];
    private readonly OrtIoBinding[] _bindings;
    private readonly InferenceSession[] _runSessions;
    private readonly List<InferenceSession> _specialised = [];
    private readonly RunOptions _runOptions = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Wraps an open session; the policy owns and disposes it.</summary>
    /// <param name="session">The policy file's session.</param>
    /// <param name="mapping">How live measurements map onto the layout's units (gmorl layouts).</param>
    /// <param name="specialisePresentRows">Run sessions specialised to each count of present rows (see the summary); false runs the file's own graph with a mask of ones.</param>
    public OnnxPolicy(OnnxPolicySession session, LiveObservationMapping? mapping = null, bool specialisePresentRows = true)
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
        _rows = new float[s * f];
        _ones = new float[s];
        Array.Fill(_ones, 1f);
        _logits = new float[s];
        _rowServer = new int[s];
        _preferenceValue = OrtValue.CreateTensorValueFromMemory(_preference, [1, 2]);

        // One binding per number of present servers k = 1..S, over the first k rows of the same
        // pinned buffers: a decision is then one native call.
        _bindings = new OrtIoBinding[s];
        _runSessions = new InferenceSession[s];
        try
        {
            for (var k = 1; k <= s; k++)
            {
                var specialised = specialisePresentRows ? session.OpenPresentRowsSession(k) : null;
                if (specialised is not null)
                {
                    _specialised.Add(specialised);
                }

                var runSession = specialised ?? session.Session;
                var rows = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_rows, 0, k * f), [1, k, f]);
                var logits = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_logits, 0, k), [1, k]);
                _values.AddRange([rows, logits]);
                var binding = runSession.CreateIoBinding();
                binding.BindInput(OnnxPolicySession.InputNames[0], rows);
                if (specialised is null)
                {
                    var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_ones, 0, k), [1, k]);
                    _values.Add(mask);
                    binding.BindInput(OnnxPolicySession.InputNames[1], mask);
                }

                binding.BindInput(OnnxPolicySession.InputNames[2], _preferenceValue);
                binding.BindOutput(OnnxPolicySession.OutputNames[0], logits);
                _bindings[k - 1] = binding;
                _runSessions[k - 1] = runSession;
            }
        }
        catch
        {
            // The caller still owns the session when the constructor throws.
            Release(includeSession: false);
            throw;
        }
    }

    /// <summary>Opens a policy file, refusing one whose layout differs from <paramref name="expected"/> (null accepts the file's own layout).</summary>
    /// <exception cref="PolicyFileException">The file is unusable; the message says why.</exception>
    public static OnnxPolicy Load(string path, FeatureLayout? expected, OnnxPolicyOptions? options = null, LiveObservationMapping? mapping = null)
    {
        var session = OnnxPolicySession.Open(path, expected, options);
        try
        {
            return new OnnxPolicy(session, mapping, options?.SpecializePresentRows ?? true);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Row counts (1..S) decided by a session specialised to that many present rows (the others run the file's own graph).</summary>
    public int SpecialisedRowCounts => _specialised.Count;

    /// <inheritdoc />
    public string Name => "learned";

    /// <summary>The observation layout of the policy.</summary>
    public FeatureLayout Layout => _session.Layout;

    /// <summary>The policy file.</summary>
    public string FilePath => _session.Path;

    /// <summary>All metadata_props of the policy file (layout, architecture, training command).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _session.Metadata;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">No server of the observation is available, or more servers than the policy's S.</exception>
    /// <exception cref="ObjectDisposedException">The policy was disposed.</exception>
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ObjectDisposedException.ThrowIf(!TryDecide(observation, preference, out var placement, out var present), this);
        return present ? placement : throw new ArgumentException("No server in the observation is available.", nameof(observation));
    }

    /// <summary>
    /// Decides like <see cref="Decide(OffloadObservation, Preference)"/> without allocating; false
    /// only when the policy has been disposed (a reloading caller then retries on its successor).
    /// </summary>
    /// <param name="observation">The candidates; unavailable ones are absent rows (masked).</param>
    /// <param name="preference">The operator's preference.</param>
    /// <param name="placement">The chosen candidate's placement; default when none is present.</param>
    /// <param name="anyPresent">False when no candidate of the observation is available.</param>
    /// <exception cref="ArgumentException">More servers than the policy's S.</exception>
    public bool TryDecide(OffloadObservation observation, Preference preference, out Placement placement, out bool anyPresent)
    {
        ArgumentNullException.ThrowIfNull(observation);
        lock (_gate)
        {
            placement = default;
            anyPresent = false;
            if (_disposed)
            {
                return false;
            }

            _encoder.Encode(observation, preference, _servers, _mask, _preference, _mapping);
            var best = RunAndChoose(_servers, _mask);
            if (best >= 0)
            {
                anyPresent = true;
                placement = observation.Servers[best].Placement;
            }

            return true;
        }
    }

    /// <summary>
    /// The decision for an already encoded observation (servers [S, F], mask [S], preference [2]):
    /// the index of the chosen server, or -1 when none is present. Used by benchmarks and the simulator.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length is not S * F, S or 2.</exception>
    public int Decide(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference)
    {
        if (servers.Length != _servers.Length || mask.Length != _mask.Length || preference.Length != _preference.Length)
        {
            throw new ArgumentException(
                $"An encoded observation is servers [S * F = {_servers.Length}], mask [S = {_mask.Length}] and preference [2]; got {servers.Length}, {mask.Length} and {preference.Length} values.");
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            preference.CopyTo(_preference);
            return RunAndChoose(servers, mask);
        }
    }

    /// <inheritdoc />
    /// <remarks>Waits for a decision in flight to finish before the session goes.</remarks>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Release(includeSession: true);
    }

    private void Release(bool includeSession)
    {
        foreach (var binding in _bindings)
        {
            binding?.Dispose();
        }

        foreach (var value in _values)
        {
            value.Dispose();
        }

        foreach (var specialised in _specialised)
        {
            specialised.Dispose();
        }

        _preferenceValue.Dispose();
        _runOptions.Dispose();
        if (includeSession)
        {
            _session.Dispose();
        }
    }

    /// <summary>Packs the present rows of <paramref name="servers"/> to the front, runs them and returns the chosen server's index (-1 for none).</summary>
    private int RunAndChoose(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask)
    {
        var f = _session.Layout.FeatureCount;
        var present = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] > 0.5f)
            {
                servers.Slice(i * f, f).CopyTo(_rows.AsSpan(present * f, f));
                _rowServer[present++] = i;
            }
        }

        if (present == 0)
        {
            return -1;
        }

        _runSessions[present - 1].RunWithBinding(_runOptions, _bindings[present - 1]);
        var best = 0;
        for (var r = 1; r < present; r++)
        {
            if (_logits[r] > _logits[best])
            {
                best = r;
            }
        }

        return _rowServer[best];
    }
}

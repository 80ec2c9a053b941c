using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Policy;

/// <summary>
/// The policy over many observations at once, for evaluation in the simulator: one ORT run per
/// batch through OrtValues over the caller's arrays.
/// </summary>
public sealed class OnnxPolicyBatch : IDisposable
{
    private readonly OnnxPolicySession _session;
    private readonly RunOptions _runOptions = new();
    private float[] _logits = [];

    /// <summary>Wraps an open session; the batch runner owns and disposes it.</summary>
    public OnnxPolicyBatch(OnnxPolicySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>The session (layout, metadata).</summary>
    public OnnxPolicySession Session => _session;

    /// <summary>Writes logits [batch, S] for servers [batch, S, F], mask [batch, S], preference [batch, 2].</summary>
    public void Logits(float[] servers, float[] mask, float[] preference, int batch, float[] logits)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(preference);
        ArgumentNullException.ThrowIfNull(logits);
        var s = _session.Layout.MaxServers;
        var f = _session.Layout.FeatureCount;
        if (servers.Length < batch * s * f || mask.Length < batch * s || preference.Length < batch * 2 || logits.Length < batch * s)
        {
            throw new ArgumentException($"Buffers are too short for {batch} observations of {s} servers x {f} features.");
        }

        var info = OrtMemoryInfo.DefaultInstance;
        using var x = OrtValue.CreateTensorValueFromMemory(info, servers.AsMemory(0, batch * s * f), [batch, s, f]);
        using var m = OrtValue.CreateTensorValueFromMemory(info, mask.AsMemory(0, batch * s), [batch, s]);
        using var p = OrtValue.CreateTensorValueFromMemory(info, preference.AsMemory(0, batch * 2), [batch, 2]);
        using var y = OrtValue.CreateTensorValueFromMemory(info, logits.AsMemory(0, batch * s), [batch, s]);
        _session.Session.Run(_runOptions, OnnxPolicySession.InputNames, [x, m, p], OnnxPolicySession.OutputNames, [y]);
    }

    /// <summary>The chosen server (largest logit among present ones, -1 if none) for each observation.</summary>
    public void Act(float[] servers, float[] mask, float[] preference, int batch, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var s = _session.Layout.MaxServers;
        if (_logits.Length < batch * s)
        {
            _logits = new float[batch * s];
        }

        Logits(servers, mask, preference, batch, _logits);
        for (var b = 0; b < batch; b++)
        {
            var best = -1;
            for (var i = 0; i < s; i++)
            {
                var k = (b * s) + i;
                if (mask[k] > 0.5f && (best < 0 || _logits[k] > _logits[(b * s) + best]))
                {
                    best = i;
                }
            }

            actions[b] = best;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}

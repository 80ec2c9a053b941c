using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// Mean per-request figures of one run (live, from the decision log) or one prediction (the agent
/// simulator): delay and device energy, the delay split into queue wait, transfer (wire time of
/// offloads: upload, round trip, download) and execution, the rest the agent's own overhead
/// (decoding, deciding, building the response; in the simulator the calibrated per-model overhead),
/// energy split into compute, radio and the agent's link probes, and the share of requests run on
/// each placement.
/// </summary>
public sealed record RequestTerms
{
    /// <summary>Requests averaged over.</summary>
    public int Requests { get; init; }

    /// <summary>Mean delay per request, s.</summary>
    public double DelaySeconds { get; init; }

    /// <summary>Mean queue wait per request, s.</summary>
    public double QueueSeconds { get; init; }

    /// <summary>Mean transfer (wire) time per request, s (0 for local requests, averaged over all).</summary>
    public double TransferSeconds { get; init; }

    /// <summary>Mean execution time per request, s.</summary>
    public double ExecSeconds { get; init; }

    /// <summary>Mean delay not in the three terms, s (the agent's own work; in the simulator the context's overhead per request).</summary>
    public double OverheadSeconds => DelaySeconds - QueueSeconds - TransferSeconds - ExecSeconds;

    /// <summary>Mean device energy per request, J.</summary>
    public double EnergyJoules { get; init; }

    /// <summary>Mean compute energy per request (local execution), J.</summary>
    public double ComputeJoules { get; init; }

    /// <summary>Mean radio and waiting energy per request (offloads), J.</summary>
    public double RadioJoules => EnergyJoules - ComputeJoules - ProbeJoules;

    /// <summary>Mean energy of the agent's link probes per request (the run's or episode's probes over its requests; in <see cref="EnergyJoules"/>), J.</summary>
    public double ProbeJoules { get; init; }

    /// <summary>These terms with <paramref name="joules"/> of link probes spread over the requests.</summary>
    public RequestTerms WithProbes(double joules) => Requests == 0 || !(joules > 0)
        ? this
        : this with { ProbeJoules = ProbeJoules + (joules / Requests), EnergyJoules = EnergyJoules + (joules / Requests) };

    /// <summary>Share of requests per placement ("local", "local:int8", "peer:edge").</summary>
    public IReadOnlyDictionary<string, double> Placements { get; init; } = new Dictionary<string, double>();

    /// <summary>Share of requests that ran on a peer.</summary>
    public double OffloadedShare => Placements.Where(p => p.Key.StartsWith("peer:", StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>Share of each model's requests that ran on a peer, by model name.</summary>
    public IReadOnlyDictionary<string, double> OffloadedByModel { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The mean of predictions made alike on equal numbers of requests (a mixture of contexts, each
    /// an equal share): every term and share averaged, requests summed.
    /// </summary>
    public static RequestTerms Mean(IReadOnlyList<RequestTerms> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentOutOfRangeException.ThrowIfZero(parts.Count);
        if (parts.Count == 1)
        {
            return parts[0];
        }

        static Dictionary<string, double> Average(IReadOnlyList<RequestTerms> parts, Func<RequestTerms, IReadOnlyDictionary<string, double>> of) =>
            parts.SelectMany(p => of(p).Keys).Distinct(StringComparer.Ordinal)
                .ToDictionary(k => k, k => parts.Average(p => of(p).TryGetValue(k, out var v) ? v : 0), StringComparer.Ordinal);
        return new RequestTerms
        {
            Requests = parts.Sum(p => p.Requests),
            DelaySeconds = parts.Average(p => p.DelaySeconds),
            QueueSeconds = parts.Average(p => p.QueueSeconds),
            TransferSeconds = parts.Average(p => p.TransferSeconds),
            ExecSeconds = parts.Average(p => p.ExecSeconds),
            EnergyJoules = parts.Average(p => p.EnergyJoules),
            ComputeJoules = parts.Average(p => p.ComputeJoules),
            ProbeJoules = parts.Average(p => p.ProbeJoules),
            Placements = Average(parts, p => p.Placements),
            OffloadedByModel = Average(parts, p => p.OffloadedByModel),
        };
    }

    /// <summary>Averages <paramref name="outcomes"/> (model, placement, delay, queue, transfer, exec, energy, compute energy).</summary>
    public static RequestTerms Of(IReadOnlyCollection<(string Model, string Placement, double Delay, double Queue, double Transfer, double Exec, double Energy, double Compute)> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return new RequestTerms { DelaySeconds = double.NaN, EnergyJoules = double.NaN, QueueSeconds = double.NaN, TransferSeconds = double.NaN, ExecSeconds = double.NaN, ComputeJoules = double.NaN };
        }

        return new RequestTerms
        {
            Requests = outcomes.Count,
            DelaySeconds = outcomes.Average(o => o.Delay),
            QueueSeconds = outcomes.Average(o => o.Queue),
            TransferSeconds = outcomes.Average(o => o.Transfer),
            ExecSeconds = outcomes.Average(o => o.Exec),
            EnergyJoules = outcomes.Average(o => o.Energy),
            ComputeJoules = outcomes.Average(o => o.Compute),
            Placements = outcomes.GroupBy(o => o.Placement, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count() / (double)outcomes.Count, StringComparer.Ordinal),
            OffloadedByModel = outcomes.GroupBy(o => o.Model, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(o => o.Placement.StartsWith("peer:", StringComparison.Ordinal)) / (double)g.Count(), StringComparer.Ordinal),
        };
    }
}

/// <summary>
/// The agent simulator's prediction for one deployment: a policy played on a fixed
/// <see cref="AgentContext"/> (a calibrated one) at one preference, the mean per-request terms over
/// every decision of <c>episodes</c> seeded episodes (common random numbers across preferences).
/// </summary>
public static class SimulatedRequests
{
    /// <summary>
    /// Plays <paramref name="policy"/> at <paramref name="delayWeight"/> and averages every placed
    /// request (observations in the own-traffic layout, <c>FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true)</c>);
    /// with <paramref name="probes"/>, each episode's link probes (<see cref="LinkProbeModel"/>) are
    /// added to the energy, spread over its requests as the live agent's are over a run's. With a
    /// trace, each decision of the first traceEpisodes episodes goes to it as the policy saw it
    /// (<see cref="SimulatedDecision"/>); the prediction is the same with and without.
    /// </summary>
    public static RequestTerms Predict(AgentContext context, ISimPolicy policy, double delayWeight, int episodes, ulong seed, int stepsPerEpisode = 100, LinkProbeModel? probes = null,
        AgentRewardUnits rewardUnits = AgentRewardUnits.Model, Action<SimulatedDecision>? trace = null, int traceEpisodes = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        // The layout the live agent produces (a policy file of an older layout reads its columns of it: OnnxLogitsModel.ReadRowsOf).
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), episodes, seed, autoReset: false, stepsPerEpisode, Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true), rewardUnits);
        for (var i = 0; i < episodes; i++)
        {
            env.Reset(i, seed + (ulong)i + 1);
            env.SetPreference(i, delayWeight);
        }

        var n = env.Count;
        var servers = new float[n * env.MaxServers * env.FeatureCount];
        var mask = new float[n * env.MaxServers];
        var preference = new float[n * 2];
        var actions = new int[n];
        var outcomes = new List<(string, string, double, double, double, double, double, double)>(episodes * stepsPerEpisode);
        var names = Enumerable.Range(0, env.MaxServers).Select(r => r < LocalVariants.Count ? (r == 0 ? "local" : "local:" + LocalVariants.Names[r]) : "peer:" + context.Peers[Math.Min(r - LocalVariants.Count, AgentContext.MaxPeers - 1)].Name).ToArray();
        var calls = new List<(double Sent, double Back)>[n * AgentContext.MaxPeers];
        for (var k = 0; k < calls.Length; k++)
        {
            calls[k] = [];
        }

        var ends = new double[n];
        policy.Begin(env, delayWeight, seed);
        while (Enumerable.Range(0, n).Any(i => !env.IsDone(i)))
        {
            env.Observe(servers, mask, preference);
            policy.Act(env, servers, mask, preference, actions);
            for (var i = 0; i < n; i++)
            {
                if (env.IsDone(i))
                {
                    continue;
                }

                var now = env.Now(i);
                env.Step(i, actions[i], out _, out _);
                var t = env.LastTask(i);
                if (trace is not null && i < traceEpisodes)
                {
                    trace(SimulatedDecision.Of(i, now, context.Models[t.Model].Name, names, t.Row, servers.AsSpan(i * env.MaxServers * env.FeatureCount, env.MaxServers * env.FeatureCount), mask.AsSpan(i * env.MaxServers, env.MaxServers), env.Layout));
                }

                var local = t.Row < LocalVariants.Count;
                ends[i] = Math.Max(ends[i], now + t.DelaySeconds);
                if (!local)
                {
                    calls[(i * AgentContext.MaxPeers) + (t.Row - LocalVariants.Count)].Add((now, now + t.DelaySeconds - t.OverheadSeconds));
                }

                outcomes.Add((context.Models[t.Model].Name, names[t.Row], t.DelaySeconds, t.QueueSeconds, t.TransferSeconds, t.ExecSeconds, t.EnergyJoules, local ? t.EnergyJoules : 0));
            }
        }

        var terms = RequestTerms.Of(outcomes);
        if (probes is null)
        {
            return terms;
        }

        var joules = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < context.PeerCount; p++)
            {
                joules += probes.Episode(context, p, calls[(i * AgentContext.MaxPeers) + p], ends[i]).Joules;
            }
        }

        return terms.WithProbes(joules);
    }
}

/// <summary>
/// One simulated decision as the policy saw it: the model, the placement chosen, and the present
/// candidates' names and feature rows (the decision log's form: present rows only, [rows, F]), so a
/// prediction's observations can be set beside the log's at the same preference.
/// </summary>
/// <param name="Episode">The episode (of its context) that made it.</param>
/// <param name="Time">Simulated time of the decision, s from the episode's start.</param>
/// <param name="Model">The task's model.</param>
/// <param name="Placement">The row chosen ("local", "peer:edge", ...).</param>
/// <param name="Candidates">Names of the present rows, in row order.</param>
/// <param name="Features">The present rows' features, [Candidates.Count, F] row-major.</param>
/// <param name="Layout">The observation's layout (F and the columns' names).</param>
public sealed record SimulatedDecision(int Episode, double Time, string Model, string Placement, IReadOnlyList<string> Candidates, float[] Features, Core.Observation.FeatureLayout Layout)
{
    /// <summary>Copies the present rows of one observation ([S, F] features, [S] mask) in <paramref name="layout"/>.</summary>
    public static SimulatedDecision Of(int episode, double time, string model, IReadOnlyList<string> rowNames, int chosenRow, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, Core.Observation.FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(rowNames);
        ArgumentNullException.ThrowIfNull(layout);
        var featureCount = layout.FeatureCount;
        var names = new List<string>();
        var features = new List<float>();
        for (var r = 0; r < mask.Length; r++)
        {
            if (mask[r] > 0)
            {
                names.Add(rowNames[r]);
                features.AddRange(servers.Slice(r * featureCount, featureCount));
            }
        }

        return new SimulatedDecision(episode, time, model, rowNames[chosenRow], names, [.. features], layout);
    }
}

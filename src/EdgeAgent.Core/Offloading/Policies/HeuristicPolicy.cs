namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>
/// A transparent policy: estimate delay and energy for every available candidate, normalise
/// each across the candidates, and pick the smallest preference-weighted sum.
/// <code>
/// T(s)  = CompletionEstimate.Seconds(task, s)        (queue wait + upload + rtt + exec)
/// E(s)  = s.EstimatedEnergyJoules                    (this device's energy for the task)
/// T'(s) = T(s) / max_k T(k),  E'(s) = E(s) / max_k E(k)   (0 when the maximum is 0)
/// cost(s) = w_delay * T'(s) + w_energy * E'(s)
/// </code>
/// Dividing by the maximum keeps the ratios between candidates (a 1% slower candidate scores
/// 0.99 against 1.0), so the weights trade relative delay against relative energy. When the task
/// has a deadline, candidates expected to finish within it are preferred; if none is, all
/// available candidates compete. Ties go to the earlier candidate (the agent lists local first).
/// </summary>
public sealed class HeuristicPolicy : IOffloadPolicy
{
    /// <inheritdoc />
    public string Name => "heuristic";

    /// <inheritdoc />
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var servers = observation.Servers;
        var delay = new double[servers.Count];
        var anyAvailable = false;
        var anyWithinDeadline = false;
        for (var i = 0; i < servers.Count; i++)
        {
            if (!servers[i].Available)
            {
                continue;
            }

            anyAvailable = true;
            delay[i] = CompletionEstimate.Seconds(observation.Task, servers[i]);
            if (observation.Task.Deadline is { } deadline && delay[i] <= deadline.TotalSeconds)
            {
                anyWithinDeadline = true;
            }
        }

        if (!anyAvailable)
        {
            return PolicyFallback.FirstLocal(observation);
        }

        var onlyWithinDeadline = observation.Task.Deadline is not null && anyWithinDeadline;
        var maxDelay = 0.0;
        var maxEnergy = 0.0;
        for (var i = 0; i < servers.Count; i++)
        {
            if (IsCandidate(i))
            {
                maxDelay = Math.Max(maxDelay, delay[i]);
                maxEnergy = Math.Max(maxEnergy, Math.Max(0.0, servers[i].EstimatedEnergyJoules));
            }
        }

        var best = -1;
        var bestCost = double.PositiveInfinity;
        for (var i = 0; i < servers.Count; i++)
        {
            if (!IsCandidate(i))
            {
                continue;
            }

            var normalisedDelay = Normalise(delay[i], maxDelay);
            var normalisedEnergy = Normalise(Math.Max(0.0, servers[i].EstimatedEnergyJoules), maxEnergy);
            var cost = preference.Scalarise(normalisedDelay, normalisedEnergy);
            if (best < 0 || cost < bestCost)
            {
                best = i;
                bestCost = cost;
            }
        }

        return servers[best].Placement;

        bool IsCandidate(int i) =>
            servers[i].Available
            && (!onlyWithinDeadline || delay[i] <= observation.Task.Deadline!.Value.TotalSeconds);
    }

    // An infinite value (unreachable link) normalises to 1 against an infinite maximum and to
    // infinity-free 1 otherwise, so such a candidate loses on that objective without NaN.
    private static double Normalise(double value, double max)
    {
        if (max <= 0.0)
        {
            return 0.0;
        }

        if (double.IsPositiveInfinity(max))
        {
            return double.IsPositiveInfinity(value) ? 1.0 : 0.0;
        }

        return value / max;
    }
}

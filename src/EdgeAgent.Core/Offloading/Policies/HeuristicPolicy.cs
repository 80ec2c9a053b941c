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
        // On the request path: the estimates live on the stack for any realistic candidate count
        // (before Choose was split out, Decide allocated one array; now it allocates none).
        var n = servers.Count;
        Span<double> delay = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> energy = n <= 64 ? stackalloc double[n] : new double[n];
        Span<bool> available = n <= 64 ? stackalloc bool[n] : new bool[n];
        for (var i = 0; i < servers.Count; i++)
        {
            available[i] = servers[i].Available;
            if (available[i])
            {
                delay[i] = CompletionEstimate.Seconds(observation.Task, servers[i]);
                energy[i] = servers[i].EstimatedEnergyJoules;
            }
        }

        var best = Choose(delay, energy, available, observation.Task.Deadline?.TotalSeconds, preference);
        return best < 0 ? PolicyFallback.FirstLocal(observation) : servers[best].Placement;
    }

    /// <summary>
    /// The rule on raw estimates: the index of the available candidate of least normalised, preference-weighted
    /// cost (see the class summary), or -1 when none is available. <see cref="Decide"/> calls it; the simulator
    /// calls it on the same estimates without building an observation.
    /// </summary>
    /// <param name="delaySeconds">Each candidate's completion estimate (<see cref="CompletionEstimate"/>); read only where available.</param>
    /// <param name="energyJoules">Each candidate's estimated device energy; read only where available.</param>
    /// <param name="available">Which candidates may be chosen.</param>
    /// <param name="deadlineSeconds">The task's deadline, or null.</param>
    /// <param name="preference">The operator's preference.</param>
    public static int Choose(ReadOnlySpan<double> delaySeconds, ReadOnlySpan<double> energyJoules, ReadOnlySpan<bool> available, double? deadlineSeconds, Preference preference)
    {
        var anyAvailable = false;
        var anyWithinDeadline = false;
        for (var i = 0; i < available.Length; i++)
        {
            if (!available[i])
            {
                continue;
            }

            anyAvailable = true;
            if (deadlineSeconds is { } deadline && delaySeconds[i] <= deadline)
            {
                anyWithinDeadline = true;
            }
        }

        if (!anyAvailable)
        {
            return -1;
        }

        var onlyWithinDeadline = deadlineSeconds is not null && anyWithinDeadline;
        var maxDelay = 0.0;
        var maxEnergy = 0.0;
        for (var i = 0; i < available.Length; i++)
        {
            if (IsCandidate(i, delaySeconds, available))
            {
                maxDelay = Math.Max(maxDelay, delaySeconds[i]);
                maxEnergy = Math.Max(maxEnergy, Math.Max(0.0, energyJoules[i]));
            }
        }

        var best = -1;
        var bestCost = double.PositiveInfinity;
        for (var i = 0; i < available.Length; i++)
        {
            if (!IsCandidate(i, delaySeconds, available))
            {
                continue;
            }

            var normalisedDelay = Normalise(delaySeconds[i], maxDelay);
            var normalisedEnergy = Normalise(Math.Max(0.0, energyJoules[i]), maxEnergy);
            var cost = preference.Scalarise(normalisedDelay, normalisedEnergy);
            if (best < 0 || cost < bestCost)
            {
                best = i;
                bestCost = cost;
            }
        }

        return best;

        bool IsCandidate(int i, ReadOnlySpan<double> delay, ReadOnlySpan<bool> present) =>
            present[i] && (!onlyWithinDeadline || delay[i] <= deadlineSeconds!.Value);
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

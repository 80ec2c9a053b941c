using EdgeAgent.Core.Pareto;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>A method's front quality under the report's reference point.</summary>
public sealed class MethodSummary
{
    /// <summary>Method name.</summary>
    public required string Name { get; init; }

    /// <summary>Points evaluated.</summary>
    public int Points { get; init; }

    /// <summary>Hypervolume (s x J) of the points on the uniform grid (plus preference-independent points), under <see cref="EvaluationReport.ReferencePoint"/>.</summary>
    public double Hypervolume { get; init; }

    /// <summary>Hypervolume of every point (uniform plus bend grid).</summary>
    public double HypervolumeAllPoints { get; init; }

    /// <summary>Hypervolume divided by the subject's (or greedy's when there is no subject).</summary>
    public double HypervolumeRatio { get; init; }

    /// <summary>Normalised hypervolume (objectives scaled between the union's ideal and worst; reference (1.1, 1.1); max 1.21), all points.</summary>
    public double NormalisedHypervolume { get; init; }

    /// <summary>Expected utility over the uniform grid, normalised objectives (higher is better, max 1).</summary>
    public double ExpectedUtility { get; init; }

    /// <summary>Mean decision time, microseconds per environment.</summary>
    public double DecisionMicroseconds { get; init; }

    /// <summary>Per-preference scalarised cost against greedy (null for greedy and preference-independent methods).</summary>
    public GreedyComparison? VersusGreedy { get; init; }

    /// <summary>The same against the method named "heuristic" (null without one, for it, and for preference-independent methods).</summary>
    public GreedyComparison? VersusHeuristic { get; init; }

    /// <summary>
    /// Against the heuristic in the rewards' own scalarisation, the trade-off a preference means to
    /// the simulator's rewards (and to the trained policy): per episode (w alpha_T delay + (1 - w)
    /// alpha_E energy) / the heuristic's mean of it at that preference, paired differences
    /// (null where <see cref="VersusHeuristic"/> is).
    /// </summary>
    public GreedyComparison? VersusHeuristicRewardUnits { get; init; }
}

/// <summary>
/// Per-preference comparison with greedy on the same episodes: normalised scalarised cost
/// w*delay' + (1-w)*energy' per episode, paired differences (method - greedy; negative is better).
/// </summary>
public sealed class GreedyComparison
{
    /// <summary>Preferences compared.</summary>
    public int Preferences { get; init; }

    /// <summary>Mean over preferences of the mean paired difference.</summary>
    public double MeanDifference { get; init; }

    /// <summary>Preferences where the method is worse by more than two standard errors.</summary>
    public int WorseBeyondNoise { get; init; }

    /// <summary>Preferences where the method is better by more than two standard errors.</summary>
    public int BetterBeyondNoise { get; init; }

    /// <summary>Per preference: (w, mean difference, standard error).</summary>
    public required List<double[]> PerPreference { get; init; }
}

/// <summary>Everything an evaluation produced: settings, reference point, fronts, summaries.</summary>
public sealed class EvaluationReport
{
    /// <summary>Simulator profile.</summary>
    public required string Profile { get; init; }

    /// <summary>Contexts, as text.</summary>
    public required string Contexts { get; init; }

    /// <summary>The agent profile's reward units of the objectives ("model" or "item"; null for the other profiles).</summary>
    public string? RewardUnits { get; init; }

    /// <summary>Episodes per point.</summary>
    public int Episodes { get; init; }

    /// <summary>Run seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Uniform grid size.</summary>
    public int UniformPreferences { get; init; }

    /// <summary>Bend grid size.</summary>
    public int BendPreferences { get; init; }

    /// <summary>Hypervolume reference point: the componentwise worst over every point of every compared method.</summary>
    public ObjectivePoint ReferencePoint { get; init; }

    /// <summary>Componentwise best over every point of every method (normalisation).</summary>
    public ObjectivePoint IdealPoint { get; init; }

    /// <summary>Name of the method ratios are taken against.</summary>
    public required string RatioBase { get; init; }

    /// <summary>Share of the greedy-to-rollout gap the subject closes at the sparse preferences (null without both).</summary>
    public double? RolloutGapClosed { get; init; }

    /// <summary>Per-method summaries.</summary>
    public required List<MethodSummary> Summaries { get; init; }

    /// <summary>Every evaluated point.</summary>
    public required List<MethodResult> Methods { get; init; }

    /// <summary>
    /// The subject against the multi-policy upper bound, both at the upper bound's own preferences
    /// only: HV(subject's points at those preferences) / HV(upper bound's points), with the common
    /// reference point; null without an upper bound.
    /// </summary>
    public double? UpperBoundRatio { get; init; }

    /// <summary>
    /// The subject against the strengthened upper bound at the upper bound's preferences: HV(subject's
    /// points there) / HV(union of the upper bound's points and every other method's points at those
    /// preferences, preference-independent methods' single points included), the common reference
    /// point. The best any evaluated method reaches at those preferences, so at most the subject's
    /// ratio against each of them; null without an upper bound.
    /// </summary>
    public double? UpperBoundUnionRatio { get; init; }

    /// <summary>The subject's scalarised cost minus the upper bound's, per upper-bound preference; null without an upper bound.</summary>
    public GreedyComparison? VersusUpperBound { get; init; }

    /// <summary>Name of the method per-preference comparisons are also made against when it is evaluated.</summary>
    public const string HeuristicName = "heuristic";

    /// <summary>Computes the report from evaluated methods.</summary>
    public static EvaluationReport Build(EvaluationSettings settings, IReadOnlyList<MethodResult> methods)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(methods);
        var all = methods.Select(m => m.Points.Select(p => p.Point)).ToList();
        var reference = ParetoFront.Worst(all);
        var ideal = ParetoFront.Ideal(all);
        var subject = methods.FirstOrDefault(m => m.IsSubject);
        var greedy = methods.FirstOrDefault(m => m.Name == "greedy");
        var heuristic = methods.FirstOrDefault(m => m.Name == HeuristicName && m.Points.Any(p => p.DelayWeight is not null));
        double alphaT = 1, alphaE = 1;
        if (heuristic is not null)
        {
            var prototype = settings.Prototype();
            (alphaT, alphaE) = (prototype.DelayRewardScale, prototype.EnergyRewardScale);
        }

        var ratioBase = subject ?? greedy ?? methods[0];
        double Hv(MethodResult m) => Hypervolume.Compute(m.Points.Where(p => p.OnUniformGrid).Select(p => p.Point), reference);
        var baseHv = Hv(ratioBase);

        var summaries = new List<MethodSummary>();
        foreach (var m in methods)
        {
            var hv = Hv(m);
            summaries.Add(new MethodSummary
            {
                Name = m.Name,
                Points = m.Points.Count,
                Hypervolume = hv,
                HypervolumeAllPoints = Hypervolume.Compute(m.Points.Select(p => p.Point), reference),
                HypervolumeRatio = baseHv > 0 ? hv / baseHv : double.NaN,
                NormalisedHypervolume = Hypervolume.Normalised(m.Points.Select(p => p.Point), ideal, reference),
                ExpectedUtility = ExpectedUtility.Compute([.. m.Points.Select(p => p.Point)], settings.Preferences, ideal, reference),
                DecisionMicroseconds = m.DecisionMicroseconds,
                VersusGreedy = greedy is null || m == greedy || m.Points.All(p => p.DelayWeight is null) ? null : Compare(m, greedy, ideal, reference),
                VersusHeuristic = heuristic is null || m == heuristic || m.Points.All(p => p.DelayWeight is null) ? null : Compare(m, heuristic, ideal, reference),
                VersusHeuristicRewardUnits = heuristic is null || m == heuristic || m.Points.All(p => p.DelayWeight is null) ? null
                    : Compare(m, heuristic, (d, e, w) => (w * alphaT * d) + ((1 - w) * alphaE * e), relative: true),
            });
        }

        double? closed = null;
        var rollout = methods.FirstOrDefault(m => m.Name == "rollout");
        if (subject is not null && greedy is not null && rollout is not null)
        {
            double gap = 0, won = 0;
            foreach (var r in rollout.Points.Where(p => p.DelayWeight is not null))
            {
                var w = r.DelayWeight!.Value;
                var g = greedy.Points.FirstOrDefault(p => p.DelayWeight == w);
                var s = subject.Points.FirstOrDefault(p => p.DelayWeight == w);
                if (g is null || s is null)
                {
                    continue;
                }

                var n = r.Episodes;
                double Cost(PointResult p) => Enumerable.Range(0, n).Average(k => Scalarised(p.EpisodeDelay[k], p.EpisodeEnergy[k], w, ideal, reference));
                gap += Cost(g) - Cost(r);
                won += Cost(g) - Cost(s);
            }

            closed = gap > 0 ? won / gap : null;
        }

        double? upperRatio = null;
        double? unionRatio = null;
        GreedyComparison? versusUpper = null;
        var upper = methods.FirstOrDefault(m => m.Name == MethodSpec.UpperBoundName);
        if (subject is not null && upper is not null)
        {
            var own = upper.Points.Where(p => p.DelayWeight is not null).Select(p => p.DelayWeight!.Value).ToHashSet();
            var mine = subject.Points.Where(p => p.DelayWeight is { } w && own.Contains(w)).Select(p => p.Point).ToList();
            var theirs = Hypervolume.Compute(upper.Points.Select(p => p.Point), reference);
            upperRatio = mine.Count == own.Count && theirs > 0 ? Hypervolume.Compute(mine, reference) / theirs : null;
            var union = methods.Where(m => m != subject)
                .SelectMany(m => m.Points.Where(p => p.DelayWeight is not { } w || own.Contains(w)))
                .Select(p => p.Point)
                .ToList();
            var unionHv = Hypervolume.Compute(union, reference);
            unionRatio = mine.Count == own.Count && unionHv > 0 ? Hypervolume.Compute(mine, reference) / unionHv : null;
            versusUpper = Compare(subject, upper, ideal, reference);
        }

        return new EvaluationReport
        {
            UpperBoundRatio = upperRatio,
            UpperBoundUnionRatio = unionRatio,
            VersusUpperBound = versusUpper,
            Profile = settings.Profile,
            Contexts = settings.ContextText,
            RewardUnits = settings.Environment is Simulation.Agent.AgentVecEnv agent ? agent.RewardUnits.ToString().ToLowerInvariant() : null,
            Episodes = settings.Episodes,
            Seed = settings.Seed,
            UniformPreferences = settings.Preferences.Count,
            BendPreferences = settings.BendPreferences.Count,
            ReferencePoint = reference,
            IdealPoint = ideal,
            RatioBase = ratioBase.Name,
            RolloutGapClosed = closed,
            Summaries = summaries,
            Methods = [.. methods],
        };
    }

    /// <summary>w * normalised delay + (1 - w) * normalised energy.</summary>
    public static double Scalarised(double delay, double energy, double w, ObjectivePoint ideal, ObjectivePoint worst)
    {
        var p = Hypervolume.Normalise(new ObjectivePoint(delay, energy), ideal, worst);
        return (w * p.Delay) + ((1 - w) * p.Energy);
    }

    private static GreedyComparison Compare(MethodResult m, MethodResult greedy, ObjectivePoint ideal, ObjectivePoint worst) =>
        Compare(m, greedy, (d, e, w) => Scalarised(d, e, w, ideal, worst), relative: false);

    private static GreedyComparison Compare(MethodResult m, MethodResult greedy, Func<double, double, double, double> scalarised, bool relative)
    {
        var rows = new List<double[]>();
        int worse = 0, better = 0;
        foreach (var p in m.Points.Where(p => p.DelayWeight is not null))
        {
            var w = p.DelayWeight!.Value;
            var g = greedy.Points.FirstOrDefault(q => q.DelayWeight == w);
            if (g is null)
            {
                continue;
            }

            var n = Math.Min(p.Episodes, g.Episodes);
            var diffs = new double[n];
            var scale = 1.0;
            if (relative)
            {
                scale = Enumerable.Range(0, n).Average(k => scalarised(g.EpisodeDelay[k], g.EpisodeEnergy[k], w));
                scale = scale > 0 ? scale : 1.0;
            }

            for (var k = 0; k < n; k++)
            {
                diffs[k] = (scalarised(p.EpisodeDelay[k], p.EpisodeEnergy[k], w) - scalarised(g.EpisodeDelay[k], g.EpisodeEnergy[k], w)) / scale;
            }

            var mean = diffs.Average();
            var se = FrontEvaluator.StdError(diffs);
            if (mean > 2 * se && mean > 1e-12)
            {
                worse++;
            }
            else if (mean < -2 * se && mean < -1e-12)
            {
                better++;
            }

            rows.Add([w, mean, se]);
        }

        return new GreedyComparison
        {
            Preferences = rows.Count,
            MeanDifference = rows.Count == 0 ? 0 : rows.Average(r => r[1]),
            WorseBeyondNoise = worse,
            BetterBeyondNoise = better,
            PerPreference = rows,
        };
    }
}

using System.Text.Json.Serialization;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Dashboard;

/// <summary>What the dashboard shows at one moment (serialized as the JSON of GET /api/state).</summary>
public sealed record DashboardState
{
    /// <summary>The policy deciding placements.</summary>
    public required string Policy { get; init; }

    /// <summary>The operator's delay weight now (energy weight = 1 minus it).</summary>
    public required double DelayWeight { get; init; }

    /// <summary>Requests since start: local, offloaded, fell back, failed.</summary>
    public required RequestCounts Requests { get; init; }

    /// <summary>Per placement over the recent decisions.</summary>
    public required IReadOnlyList<PlacementFigures> Placements { get; init; }

    /// <summary>Each peer as the agent sees it.</summary>
    public required IReadOnlyList<PeerFigures> Peers { get; init; }

    /// <summary>The (delay, energy) points measured at each preference of the recent decisions, and the current one's.</summary>
    public required FrontFigures Front { get; init; }

    /// <summary>
    /// The policy's own front now: what it would choose at each delay weight for the latest request's
    /// model and size under the cluster as it is, with the estimated delay and energy of that choice;
    /// the operating point is the choice at the current weight.
    /// </summary>
    public required PolicyFrontFigures PolicyFront { get; init; }

    /// <summary>Decisions the figures come from (the decision log's latest, at most <see cref="DashboardOptions.RecentDecisions"/>).</summary>
    public required int RecentDecisions { get; init; }

    /// <summary>Requests since start.</summary>
    public sealed record RequestCounts(long Local, long Offloaded, long Fallback, long Failed);

    /// <summary>One placement's recent figures: requests, delay p50/mean (ms), mean energy per request (J) and how it was obtained.</summary>
    public sealed record PlacementFigures(string Placement, int Requests, double DelayP50Ms, double DelayMeanMs, double EnergyMeanJ, string EnergyProvenance);

    /// <summary>A peer: connection, link estimates (with whether they are measured), load; for a group (dns:///), its members.</summary>
    public sealed record PeerFigures(string Name, string Url, bool Available, double RttMs, bool RttMeasured, double ThroughputMbit, bool ThroughputMeasured, int Queued, int Running)
    {
        /// <summary>True for a peer group: <see cref="Queued"/> and <see cref="Running"/> are its available members' sums.</summary>
        public bool IsGroup { get; init; }

        /// <summary>A group's members as last resolved (0 for a single peer).</summary>
        public int Members { get; init; }

        /// <summary>A group's members whose load stream is open and fresh.</summary>
        public int MembersAvailable { get; init; }
    }

    /// <summary>A point of the front: mean delay (ms) and energy (J) per request at one preference.</summary>
    public sealed record FrontPoint(double DelayWeight, double DelayMs, double EnergyJ, int Requests);

    /// <summary>The front: every preference's point, the non-dominated ones, the operating point and what it is.</summary>
    public sealed record FrontFigures(IReadOnlyList<FrontPoint> Points, IReadOnlyList<FrontPoint> NonDominated, FrontPoint? Operating, string Method);

    /// <summary>The policy's choice at one delay weight and its estimated cost (ms, J per request).</summary>
    public sealed record PolicyPoint(double DelayWeight, string Placement, double DelayMs, double EnergyJ);

    /// <summary>The policy's front: the task it was asked about (null before any request), the choice at each weight, the non-dominated ones, the choice at the current weight; <see cref="Note"/> says what is missing when empty.</summary>
    public sealed record PolicyFrontFigures(string? Model, long InputBytes, IReadOnlyList<PolicyPoint> Points, IReadOnlyList<PolicyPoint> NonDominated, PolicyPoint? Operating, string Note);

    /// <summary>Delay weights the policy front is computed at: 0, 0.05, ..., 1.</summary>
    public const int PolicyFrontSteps = 20;

    /// <summary>What <see cref="FrontFigures.Method"/> says.</summary>
    public const string FrontMethod =
        "approximation from recent decisions: the agent's measured outcomes grouped by the delay weight they were decided at (rounded to 0.05), mean delay and device energy per request; the operating point is the group of the current weight (none until a request ran at it). It is not the policy's own estimate and mixes whatever load and models those requests met.";

    /// <summary>Builds the state from the agent's live objects (reads only; no I/O).</summary>
    public static DashboardState Capture(IOffloadPolicy policy, Preference preference, DecisionLog decisions, ClusterView cluster, int recent)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(cluster);
        var records = decisions.Snapshot();
        var window = records.Count > recent ? records.Skip(records.Count - recent).ToList() : records.ToList();
        var peers = cluster.Peers;
        var latest = records.Count > 0 ? records[^1] : null;
        return new DashboardState
        {
            Policy = policy.Name,
            DelayWeight = preference.DelayWeight,
            Requests = new RequestCounts(decisions.LocalCount, decisions.OffloadedCount, decisions.FallbackCount, decisions.FailedCount),
            Placements = PlacementsOf(window),
            Peers = peers.Select(p => new PeerFigures(
                p.Name,
                p.Endpoint.Url.ToString(),
                p.IsAvailable,
                p.Link.RoundTripSeconds * 1000.0,
                p.Link.RoundTripSamples > 0,
                p.Link.ThroughputBitsPerSecond / 1e6,
                p.Link.ThroughputSamples > 0,
                Math.Max(0, p.Load.Queued),
                Math.Max(0, p.Load.Running))
            {
                IsGroup = p.Endpoint.IsGroup,
                Members = p.Members.Count,
                MembersAvailable = p.Members.Count(m => m.IsAvailable),
            }).ToList(),
            Front = FrontOf(window, preference.DelayWeight),
            PolicyFront = latest is null
                ? new PolicyFrontFigures(null, 0, [], [], null, "No request has been served yet: the policy's front is computed for the latest request's model and size.")
                : PolicyFrontOf(policy, cluster.Observe(latest.Model, latest.InputBytes, deadline: null, latest.Observation.Task.OwnRequestsPerSecond), preference.DelayWeight),
            RecentDecisions = window.Count,
        };
    }

    /// <summary>Per placement: requests, delay p50 and mean, mean energy, over the successful records.</summary>
    public static IReadOnlyList<PlacementFigures> PlacementsOf(IReadOnlyList<DecisionRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Where(r => r.Success).GroupBy(r => r.RanAt.ToString()).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var delays = g.Select(r => r.DelaySeconds * 1000.0).Order().ToArray();
            var provenance = g.Any(r => r.Energy.IsModelled) ? "modelled" : "measured";
            return new PlacementFigures(g.Key, delays.Length, delays[(delays.Length - 1) / 2], delays.Average(), g.Average(r => r.Energy.DeviceJoules), provenance);
        }).ToList();
    }

    /// <summary>The front approximated from records: one point per delay weight (rounded to 0.05), the non-dominated ones, and the point of <paramref name="currentWeight"/>.</summary>
    public static FrontFigures FrontOf(IReadOnlyList<DecisionRecord> records, double currentWeight)
    {
        ArgumentNullException.ThrowIfNull(records);
        var points = records.Where(r => r.Success)
            .GroupBy(r => Bucket(r.Preference.DelayWeight))
            .OrderBy(g => g.Key)
            .Select(g => new FrontPoint(g.Key, g.Average(r => r.DelaySeconds * 1000.0), g.Average(r => r.Energy.DeviceJoules), g.Count()))
            .ToList();
        var nonDominated = points.Where(p => !points.Any(q => !ReferenceEquals(p, q)
                && q.DelayMs <= p.DelayMs && q.EnergyJ <= p.EnergyJ && (q.DelayMs < p.DelayMs || q.EnergyJ < p.EnergyJ)))
            .OrderBy(p => p.DelayMs).ToList();
        var current = Bucket(currentWeight);
        return new FrontFigures(points, nonDominated, points.FirstOrDefault(p => p.DelayWeight == current), FrontMethod);
    }

    /// <summary>
    /// The policy's front for <paramref name="observation"/>: its choice at each delay weight
    /// (0 to 1 in steps of 1/<see cref="PolicyFrontSteps"/>) and that candidate's estimated delay
    /// (<see cref="CompletionEstimate"/>) and device energy, the non-dominated choices, and the
    /// choice at <paramref name="currentWeight"/> (the operating point). Reads only: the policy's
    /// Decide is pure.
    /// </summary>
    public static PolicyFrontFigures PolicyFrontOf(IOffloadPolicy policy, OffloadObservation observation, double currentWeight)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(observation);
        var points = new List<PolicyPoint>(PolicyFrontSteps + 1);
        for (var i = 0; i <= PolicyFrontSteps; i++)
        {
            points.Add(PointAt(policy, observation, (double)i / PolicyFrontSteps));
        }

        var nonDominated = points
            .DistinctBy(p => p.Placement)
            .Where(p => !points.Any(q => q.DelayMs <= p.DelayMs && q.EnergyJ <= p.EnergyJ && (q.DelayMs < p.DelayMs || q.EnergyJ < p.EnergyJ)))
            .OrderBy(p => p.DelayMs).ToList();
        var operating = PointAt(policy, observation, currentWeight);
        return new PolicyFrontFigures(observation.Task.Model, observation.Task.InputBytes, points, nonDominated, operating,
            "the policy's choice at each delay weight for the latest request's model and size under the cluster as it is now; delay and energy are the agent's estimates for that candidate (queue, transfer, round trip, execution; device energy), not measurements.");
    }

    private static PolicyPoint PointAt(IOffloadPolicy policy, OffloadObservation observation, double weight)
    {
        var placement = policy.Decide(observation, new Preference(weight));
        var candidate = observation.Candidate(placement);
        return candidate is null
            ? new PolicyPoint(weight, placement.ToString(), double.NaN, double.NaN)
            : new PolicyPoint(weight, placement.ToString(), CompletionEstimate.Seconds(observation.Task, candidate) * 1000.0, candidate.EstimatedEnergyJoules);
    }

    private static double Bucket(double weight) => Math.Round(weight * 20.0, MidpointRounding.AwayFromZero) / 20.0;
}

/// <summary>JSON of the dashboard's API (camelCase, source-generated: no reflection in the daemon).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(DashboardState))]
[JsonSerializable(typeof(PreferenceRequest))]
[JsonSerializable(typeof(DashboardError))]
internal sealed partial class DashboardJson : JsonSerializerContext;

/// <summary>Body of POST /api/preference.</summary>
public sealed record PreferenceRequest(double? DelayWeight);

/// <summary>An error answer of the dashboard's API.</summary>
public sealed record DashboardError(string Error);

using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>Decision records with realistic observations (two local variants and two peers) for the durable log's tests.</summary>
internal static class DecisionRecords
{
    public static DecisionRecord Create(DateTimeOffset timestamp, int i = 0, bool success = true)
    {
        ServerObservation[] servers =
        [
            new()
            {
                Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.03 + (i * 1e-4), Executing = 1, Queued = i % 3, MaxConcurrency = 2,
                ResidualWorkSeconds = 0.05, ResidualWorkHistogram = [1, 0, 2], HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.15, EnergyProvenance = EnergyProvenance.Measured,
            },
            new()
            {
                Placement = Placement.Local("int8"), Kind = ServerKind.Local, ExpectedExecSeconds = 0.012, MaxConcurrency = 2, EstimatedEnergyJoules = 0.05, AccuracyDropPoints = 0.4,
            },
            new()
            {
                Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 2e8, DownlinkBitsPerSecond = 2e8, RoundTripSeconds = 0.005,
                ExpectedExecSeconds = 0.02, Executing = 2, Queued = 3, MaxConcurrency = 4, ResidualWorkSeconds = 0.25, ResidualWorkHistogram = [2, 1, 0, 0, 2], HistogramBinSeconds = 0.01,
                EstimatedEnergyJoules = 0.01,
            },
            new() { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false },
        ];
        var observation = new OffloadObservation(new TaskObservation("det", 4096 + i, TimeSpan.FromMilliseconds(500)) { ExpectedResponseBytes = 20_000 }, servers);
        var decided = (i % 3) switch { 0 => Placement.Local(), 1 => Placement.Local("int8"), _ => Placement.Peer("edge") };
        var fallback = i % 7 == 6 ? "edge" : null;
        var ran = fallback is null ? decided : Placement.Local();
        return new DecisionRecord(
            timestamp, "det", 4096 + i, decided, ran, fallback, new Preference(0.25 + ((i % 3) * 0.25)),
            0.05 + (i * 1e-3), 0.002 * (i % 5), 0.03, new TaskEnergy(new EnergyFigure(0.1 + (i * 1e-3), EnergyProvenance.Measured), new EnergyFigure(ran.IsLocal ? 0 : 0.02, EnergyProvenance.Modelled)),
            success, observation)
        {
            TransferSeconds = ran.IsLocal ? 0 : 0.011,
            StatusCode = success ? 0 : 14,
        };
    }
}

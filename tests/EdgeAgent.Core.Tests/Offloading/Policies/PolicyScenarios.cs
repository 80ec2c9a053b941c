using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Offloading.Policies;

/// <summary>Candidates shaped like the live agent's: local first, then peers.</summary>
internal static class PolicyScenarios
{
    public static TaskObservation Task(long bytes = 1_000_000, TimeSpan? deadline = null) => new("ocr-det", bytes, deadline);

    public static ServerObservation Local(double execSeconds, double joules, int executing = 0, int queued = 0, double residual = 0, int concurrency = 1, bool available = true) => new()
    {
        Placement = Placement.Local(),
        Kind = ServerKind.Local,
        Available = available,
        ExpectedExecSeconds = execSeconds,
        EstimatedEnergyJoules = joules,
        Executing = executing,
        Queued = queued,
        ResidualWorkSeconds = residual,
        MaxConcurrency = concurrency,
    };

    public static ServerObservation Peer(string name, double execSeconds, double joules, double uplinkBps = 100e6, double rtt = 0.01, bool available = true, int executing = 0, int queued = 0, double residual = 0, int concurrency = 1) => new()
    {
        Placement = Placement.Peer(name),
        Kind = ServerKind.Cloud,
        Available = available,
        UplinkBitsPerSecond = uplinkBps,
        RoundTripSeconds = rtt,
        ExpectedExecSeconds = execSeconds,
        EstimatedEnergyJoules = joules,
        Executing = executing,
        Queued = queued,
        ResidualWorkSeconds = residual,
        MaxConcurrency = concurrency,
    };

    public static OffloadObservation Observe(TaskObservation task, params ServerObservation[] servers) => new(task, servers);
}

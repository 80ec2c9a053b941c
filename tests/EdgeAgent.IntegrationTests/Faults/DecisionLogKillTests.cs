using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 15: after kill -9 of the agent under load, the decision log opens cleanly (PRAGMA
/// integrity_check) and holds every request acknowledged more than one flush interval before the
/// kill. The real binary runs as a child process and is killed with SIGKILL while clients drive it.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class DecisionLogKillTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Agent_KilledWithSigkillUnderLoad_DatabaseIntactAndHoldsEveryRequestAcknowledgedBeforeTheFlushInterval()
    {
        var directory = Directory.CreateTempSubdirectory("edgeagent-dlog-kill-").FullName;
        try
        {
            var settings = new DecisionLogBenchmarkSettings
            {
                CliCommand = ("dotnet", [Path.Combine(AppContext.BaseDirectory, "edgeagent.dll")]),
                Clients = 4,
                LoadBeforeKill = TimeSpan.FromSeconds(4),
                // The bound checked is the setting: 1 s leaves a loaded machine's writer room to be scheduled.
                FlushInterval = TimeSpan.FromSeconds(1),
            };

            var result = await new DecisionLogBenchmark(settings, _ => { }).RunKillAsync(directory, CancellationToken.None).WaitAsync(Bound);

            Assert.Equal("ok", result.IntegrityCheck);
            Assert.Null(result.ReopenedBy);
            Assert.True(result.Acknowledged > 10, $"only {result.Acknowledged} requests were acknowledged under load");
            Assert.True(result.Rows >= result.AcknowledgedBeforeCutoff,
                $"{result.Rows} rows after the kill, but {result.AcknowledgedBeforeCutoff} requests were acknowledged more than {settings.FlushInterval.TotalSeconds} s before it ({result.Acknowledged} in all, {result.Sent} sent)");
            Assert.True(result.Rows <= result.Sent, $"{result.Rows} rows for {result.Sent} requests sent");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>Calibration files for the commands that take <c>--calibration</c> (train, eval).</summary>
internal static class CalibrationFiles
{
    /// <summary>
    /// Writes to <paramref name="path"/> a calibration of the demo's models (sizes and device times
    /// of <see cref="AgentContext.Demo"/>) with one peer named edge, Poisson OCR jobs at 1/s.
    /// </summary>
    public static string WriteDemoWithOnePeer(string path, double roundTripSeconds, double bitsPerSecond, double speed)
    {
        var context = AgentContext.Demo();
        new DeploymentCalibration
        {
            Source = new() { Database = "decisions.db", Requests = 100 },
            Models = [.. Enumerable.Range(0, context.ModelCount).Select(m => new ModelCalibration
            {
                Name = context.Models[m].Name, RequestBytes = context.Models[m].RequestBytes, ResponseBytes = context.Models[m].ResponseBytes, DeviceExecSeconds = context.Models[m].ExecFp32,
            })],
            Peers = [new() { Name = "edge", RoundTripSeconds = roundTripSeconds, BitsPerSecond = bitsPerSecond, Speed = speed, Concurrency = 1 }],
            Arrivals = new() { Kind = "poisson", JobsPerSecond = 1, Workloads = [new() { Stages = ["ocr-det", "ocr-cls", "ocr-rec"], LinesMin = 1, LinesMax = 2 }] },
        }.Write(path);
        return path;
    }
}

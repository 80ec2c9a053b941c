using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Benchmarks;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class BenchmarkPiecesTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgeagent-bench-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void ResidentMemory_StatusFile_ReadsVmRssInBytes()
    {
        Directory.CreateDirectory(Path.Combine(_root, "42"));
        File.WriteAllText(Path.Combine(_root, "42", "status"), "Name:\tedgeagent\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t9\n");

        Assert.Equal(123456L * 1024, ResidentMemory.OfProcess(42, _root));
        Assert.Null(ResidentMemory.OfProcess(7, _root));
    }

    [Fact]
    public void NodeBuild_ReadyToRun_TellsPrecompiledFromIlOnlyAndFindsTheDll()
    {
        // The shared framework ships ReadyToRun code; this test assembly is a plain build (IL only).
        Assert.True(NodeBuild.IsReadyToRun(typeof(object).Assembly.Location));
        Assert.False(NodeBuild.IsReadyToRun(typeof(BenchmarkPiecesTests).Assembly.Location));
        Directory.CreateDirectory(_root);
        var text = Path.Combine(_root, "edgeagent.dll");
        File.WriteAllText(text, "not an assembly");
        Assert.Null(NodeBuild.IsReadyToRun(text));
        Assert.Null(NodeBuild.IsReadyToRun(Path.Combine(_root, "missing.dll")));

        // The apphost runs the edgeagent.dll beside it; under dotnet the dll is the leading argument.
        Assert.Equal(text, NodeBuild.Assembly(Path.Combine(_root, "edgeagent"), []));
        Assert.Equal(text, NodeBuild.Assembly("dotnet", [text]));
        Assert.Null(NodeBuild.Assembly(Path.Combine(_root, "elsewhere", "edgeagent"), []));
        Assert.Contains("unreadable", NodeBuild.Describe(Path.Combine(_root, "edgeagent"), []), StringComparison.Ordinal);
        Assert.Contains("IL only", NodeBuild.Describe("dotnet", [typeof(BenchmarkPiecesTests).Assembly.Location]), StringComparison.Ordinal);
    }

    [Fact]
    public void ResidentMemory_ThisProcess_IsPositive()
    {
        Assert.True(ResidentMemory.OfProcess(Environment.ProcessId) > 0);
    }

    [Fact]
    public void JitActivity_WorkerThreads_CountsTheirTicksSinceTheLastCallFollowingThreadsById()
    {
        // A fake /proc: process 42 with a tier-up worker (thread 43), a request thread (44) and a
        // thread whose name only starts like the worker's would not be "Tiered".
        WriteTask(42, 43, ".NET Tiered Com", user: 30, system: 5);
        WriteTask(42, 44, ".NET TP Worker", user: 900, system: 100);
        var jit = new JitActivity(42, _root);

        Assert.Equal(35, jit.Advance());
        Assert.Equal(0, jit.Advance());

        WriteTask(42, 43, ".NET Tiered Com", user: 32, system: 6);
        Assert.Equal(3, jit.Advance());

        // The worker exits when idle and a new one starts later: the new thread counts from zero,
        // the gone one no longer counts (and is not negative).
        Directory.Delete(Path.Combine(_root, "42", "task", "43"), recursive: true);
        WriteTask(42, 45, ".NET Tiered Com", user: 4, system: 0);
        Assert.Equal(4, jit.Advance());
        Assert.Equal(0, new JitActivity(7, _root).Advance());
    }

    [Fact]
    public void ThreadCpu_Threads_CountsNanosecondsByNameSinceTheLastCallFollowingThreadsById()
    {
        // A fake /proc: process 42 with two thread-pool workers, the tier-up worker and an exporter
        // thread; schedstat's run time (ns) where the kernel keeps it, else stat's 10 ms ticks.
        WriteTask(42, 43, ".NET TP Worker", user: 100, system: 20, runNanoseconds: 1_200_000_500);
        WriteTask(42, 44, ".NET TP Worker", user: 50, system: 0, runNanoseconds: 499_999_000);
        WriteTask(42, 45, ".NET Tiered Com", user: 7, system: 1);
        WriteTask(42, 46, "OpenTelemetry-B", user: 2, system: 0, runNanoseconds: 21_000_000);
        var threads = new ThreadCpu(42, _root);

        var first = threads.Advance();
        Assert.Equal(1_699_999_500, first[".NET TP Worker"]);
        Assert.Equal(80_000_000, first[ThreadCpu.TierUpWorker]);
        Assert.Equal(21_000_000, first["OpenTelemetry-B"]);
        Assert.Empty(threads.Advance());

        // A worker exits and a new one starts (counted from zero); another keeps working.
        Directory.Delete(Path.Combine(_root, "42", "task", "44"), recursive: true);
        WriteTask(42, 47, ".NET TP Worker", user: 3, system: 1, runNanoseconds: 40_000);
        WriteTask(42, 43, ".NET TP Worker", user: 110, system: 21, runNanoseconds: 1_300_000_500);
        var second = threads.Advance();
        Assert.Equal(100_040_000, second[".NET TP Worker"]);
        Assert.Single(second);

        // A thread id reused under another name counts from zero under the new name.
        WriteTask(42, 46, "EdgeAgent energ", user: 1, system: 0, runNanoseconds: 7_000);
        Assert.Equal(7_000, threads.Advance()["EdgeAgent energ"]);
        Assert.Empty(new ThreadCpu(7, _root).Advance());
    }

    [Fact]
    public void ThreadCpu_SchedstatLine_ReadsTheRunTimeInNanoseconds()
    {
        Assert.Equal(618494076L, ThreadCpu.ParseSchedstat("618494076 796781599 477\n"));
        Assert.Equal(12L, ThreadCpu.ParseSchedstat("12\n"));
        Assert.Null(ThreadCpu.ParseSchedstat("x 1 2"));
        Assert.Null(ThreadCpu.ParseSchedstat(""));
    }

    [Fact]
    public void JitActivity_StatLine_ReadsUserPlusSystemTicksAfterACommandWithSpacesAndParentheses()
    {
        const string Stat = "4243 (.NET Tiered (x) Com) S 1 4242 4242 0 -1 4194560 98765 12 3 0 150 40 0 0 20 0 30 0 1000 0 0";

        Assert.Equal(190L, JitActivity.ParseCpuTicks(Stat));
        Assert.Null(JitActivity.ParseCpuTicks("4243 (edgeagent) S 1 2 3"));
        Assert.Null(JitActivity.ParseCpuTicks("no command here"));
    }

    private void WriteTask(int pid, int thread, string name, long user, long system, long? runNanoseconds = null)
    {
        var folder = Path.Combine(_root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "task", thread.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "comm"), name + "\n");
        File.WriteAllText(Path.Combine(folder, "stat"), string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{thread} ({name}) S 1 {pid} {pid} 0 -1 4194560 10 0 0 0 {user} {system} 0 0 20 0 30 0 1000 0 0"));
        if (runNanoseconds is { } nanoseconds)
        {
            File.WriteAllText(Path.Combine(folder, "schedstat"), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nanoseconds} 5000 3\n"));
        }
    }

    [Fact]
    public void ProcessCounters_StatLine_ReadsMinorFaultsAfterACommandWithSpacesAndParentheses()
    {
        // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt ...
        const string Stat = "4242 (.NET a) (b)) S 1 4242 4242 0 -1 4194560 98765 12 3 0 150 40 0 0 20 0 30 0 1000 0 0";

        Assert.Equal(98765L, ProcessCounters.ParseMinorFaults(Stat));
        Assert.Null(ProcessCounters.ParseMinorFaults("4242 (edgeagent) S 1 2"));
        Assert.Null(ProcessCounters.ParseMinorFaults("no command here"));
        Directory.CreateDirectory(Path.Combine(_root, "9"));
        File.WriteAllText(Path.Combine(_root, "9", "stat"), Stat);
        Assert.Equal(98765L, ProcessCounters.MinorFaults(9, _root));
        Assert.Null(ProcessCounters.MinorFaults(8, _root));
    }

    [Fact]
    public void ProcessCounters_ThisProcess_HasFaulted()
    {
        Assert.True(ProcessCounters.MinorFaults(Environment.ProcessId) > 0);
    }

    [Fact]
    public async Task EchoService_ModelInfer_ReturnsTheRawInputsAsOutputs()
    {
        var request = new ModelInferRequest { ModelName = "m", Id = "7" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.Add(2);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8));

        var response = await new EchoInferenceService().ModelInfer(request, null!);

        Assert.Equal("7", response.Id);
        Assert.Equal("x", response.Outputs[0].Name);
        Assert.Equal([2L], response.Outputs[0].Shape);
        Assert.Equal(request.RawInputContents[0], response.RawOutputContents[0]);
    }

    [Fact]
    public void TinyModel_WrittenRepository_RunsInOnnxRuntimeAsXPlusOne()
    {
        TinyModel.WriteRepository(_root);
        using var session = new InferenceSession(Path.Combine(_root, "tiny", "1", "model.onnx"));
        var x = Enumerable.Range(0, TinyModel.Elements).Select(i => (float)i).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(x, [1, TinyModel.Elements]);

        using var outputs = session.Run(new RunOptions(), ["x"], [value], ["y"]);

        Assert.Equal(x.Select(v => v + 1), outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }
}

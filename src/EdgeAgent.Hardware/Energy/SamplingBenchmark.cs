using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Energy;

/// <summary>What the sampling benchmark measured.</summary>
/// <param name="Source">Source name and description.</param>
/// <param name="RateHz">Requested sampling rate.</param>
/// <param name="AchievedHz">Samples per second actually taken.</param>
/// <param name="IdleCpuPercent">Process CPU (% of one core) while not sampling: the baseline.</param>
/// <param name="SamplingCpuPercent">Process CPU (% of one core) while the meter sampled.</param>
/// <param name="ReadMicroseconds">Mean cost of one read of the source in a tight loop.</param>
/// <param name="WakeupCpuPercent">Process CPU (% of one core) of the same loop waking at the rate without sampling.</param>
public sealed record SamplingBenchmarkResult(string Source, double RateHz, double AchievedHz, double IdleCpuPercent, double SamplingCpuPercent, double ReadMicroseconds, double WakeupCpuPercent)
{
    /// <summary>Cost of sampling: sampling minus baseline, in % of one core.</summary>
    public double CostPercentOfOneCore => SamplingCpuPercent - IdleCpuPercent;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"source {Source}: {RateHz:0} Hz requested, {AchievedHz:0.0} Hz achieved; process CPU {SamplingCpuPercent:0.000} % of one core while sampling vs {IdleCpuPercent:0.000} % idle baseline => sampling costs {CostPercentOfOneCore:0.000} % of one core; of which waking up {RateHz:0} times a second alone costs {WakeupCpuPercent - IdleCpuPercent:0.000} %; one read {ReadMicroseconds:0.0} us in a tight loop ({RateHz * ReadMicroseconds / 1e4:0.000} % of one core at {RateHz:0} Hz)");
}

/// <summary>
/// Measures the CPU cost of running the <see cref="EnergyMeter"/> at a given rate: process CPU time
/// over alternating idle and sampling rounds of equal length in the same run (so background noise of
/// the runtime is in both), plus the mean cost of one read in a tight loop.
/// </summary>
public static class SamplingBenchmark
{
    /// <summary>Runs <paramref name="rounds"/> idle/sampling round pairs of <paramref name="roundLength"/> each.</summary>
    public static async Task<SamplingBenchmarkResult> RunAsync(IPowerSource source, double rateHz, TimeSpan roundLength, int rounds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);

        // Warm up: JIT the read and integration paths so the rounds measure steady state.
        var readWatch = Stopwatch.StartNew();
        const int reads = 2000;
        for (var i = 0; i < reads; i++)
        {
            source.TryRead(out _);
        }

        var readMicroseconds = readWatch.Elapsed.TotalMicroseconds / reads;
        using (var warm = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = rateHz }, TimeProvider.System, new RadioModel()))
        {
            for (var i = 0; i < 200; i++)
            {
                warm.SampleOnce();
            }
        }

        var process = Process.GetCurrentProcess();
        TimeSpan idleCpu = TimeSpan.Zero, samplingCpu = TimeSpan.Zero, idleWall = TimeSpan.Zero, samplingWall = TimeSpan.Zero;
        TimeSpan wakeCpu = TimeSpan.Zero, wakeWall = TimeSpan.Zero;
        long samples = 0;
        for (var round = 0; round < rounds; round++)
        {
            var (cpu, wall) = await Measure(process, () => Task.Delay(roundLength, cancellationToken)).ConfigureAwait(false);
            idleCpu += cpu;
            idleWall += wall;

            using var meter = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = rateHz }, TimeProvider.System, new RadioModel());
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            (cpu, wall) = await Measure(process, async () =>
            {
                stop.CancelAfter(roundLength);
                await meter.RunAsync(stop.Token).ConfigureAwait(false);
            }).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            samplingCpu += cpu;
            samplingWall += wall;
            samples += meter.SampleCount;

            (cpu, wall) = await Measure(process, () => WakeOnly(rateHz, roundLength, cancellationToken)).ConfigureAwait(false);
            wakeCpu += cpu;
            wakeWall += wall;
        }

        return new SamplingBenchmarkResult(
            $"{source.Name} ({source.Description})",
            rateHz,
            samples / samplingWall.TotalSeconds,
            100.0 * idleCpu / idleWall,
            100.0 * samplingCpu / samplingWall,
            readMicroseconds,
            100.0 * wakeCpu / wakeWall);
    }

    // The meter's own loop shape on its own thread, without reading anything: what waking up costs.
    private static Task WakeOnly(double rateHz, TimeSpan length, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(length);
            var periodTicks = (long)(Stopwatch.Frequency / rateHz);
            var next = Stopwatch.GetTimestamp();
            while (!stop.IsCancellationRequested)
            {
                next += periodTicks;
                EnergyMeter.SleepUntil(ref next, stop.Token);
            }

            done.TrySetResult();
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private static async Task<(TimeSpan Cpu, TimeSpan Wall)> Measure(Process process, Func<Task> body)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await body().ConfigureAwait(false);
        wall.Stop();
        process.Refresh();
        return (process.TotalProcessorTime - cpu0, wall.Elapsed);
    }

    /// <summary>
    /// Writes a Jetson Orin Nano INA3221 hwmon tree (JetPack 5/6 layout) under <paramref name="root"/>,
    /// so machines without a power monitor can still measure the cost of reading one through sysfs files.
    /// </summary>
    public static void WriteOrinNanoTree(string root)
    {
        const string device = "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040";
        void Write(string relative, string content)
        {
            var path = Path.Join(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content + "\n");
        }

        Write($"{device}/name", "ina3221");
        string[] labels = ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"];
        int[] milliamps = [1000, 96, 280];
        for (var n = 1; n <= 3; n++)
        {
            Write($"{device}/hwmon/hwmon1/in{n}_label", labels[n - 1]);
            Write($"{device}/hwmon/hwmon1/in{n}_input", "5096");
            Write($"{device}/hwmon/hwmon1/curr{n}_input", milliamps[n - 1].ToString(CultureInfo.InvariantCulture));
        }

        var link = Path.Join(root, "sys/bus/i2c/devices/1-0040");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, Path.Join(root, device)));
        }
    }
}

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Energy;

/// <summary>What the sampling benchmark measured.</summary>
/// <param name="Source">Source name and description.</param>
/// <param name="Sleeper">How the sampling thread slept between samples.</param>
/// <param name="TimerSlack">Timer slack set on the sampling thread, or null for the kernel default.</param>
/// <param name="RateHz">Requested sampling rate.</param>
/// <param name="Reads">Reads of the source counted during the sampling rounds.</param>
/// <param name="SamplingSeconds">Wall time of the sampling rounds.</param>
/// <param name="SkippedDeadlines">Sampling instants skipped because the loop was late.</param>
/// <param name="IdleCpuPercent">Process CPU (% of one core) while not sampling: the baseline.</param>
/// <param name="SamplingCpuPercent">Process CPU (% of one core) while the meter sampled.</param>
/// <param name="RoundCostPercents">Sampling minus idle CPU of each round pair, to show the spread.</param>
/// <param name="ThreadCpuPercent">CPU of the sampling thread itself (% of one core), null where not readable.</param>
/// <param name="WakeupCpuPercent">Process CPU (% of one core) of the same sleeper waking at the rate without reading.</param>
/// <param name="ReadMicroseconds">Mean cost of one read of the source in a tight loop.</param>
/// <param name="AllocatedBytesPerSample">Managed bytes the sampling thread allocated per sample.</param>
public sealed record SamplingBenchmarkResult(
    string Source,
    string Sleeper,
    TimeSpan? TimerSlack,
    double RateHz,
    long Reads,
    double SamplingSeconds,
    long SkippedDeadlines,
    double IdleCpuPercent,
    double SamplingCpuPercent,
    IReadOnlyList<double> RoundCostPercents,
    double? ThreadCpuPercent,
    double WakeupCpuPercent,
    double ReadMicroseconds,
    double AllocatedBytesPerSample)
{
    /// <summary>Reads of the source per second actually achieved.</summary>
    public double AchievedHz => Reads / SamplingSeconds;

    /// <summary>Cost of sampling: process CPU while sampling minus the idle baseline, in % of one core.</summary>
    public double CostPercentOfOneCore => SamplingCpuPercent - IdleCpuPercent;

    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"source: {Source}");
        text.AppendLine(c, $"sampler: {Sleeper}; timer slack {(TimerSlack is { } s ? $"{s.TotalMicroseconds:0} us" : "kernel default")}");
        text.AppendLine(c, $"rate: {RateHz:0} Hz requested, {Reads} reads counted at the source in {SamplingSeconds:0.0} s = {AchievedHz:0.00} Hz achieved, {SkippedDeadlines} sampling instants skipped");
        text.AppendLine(c, $"process CPU (getrusage, % of one core): {SamplingCpuPercent:0.000} % while sampling, {IdleCpuPercent:0.000} % idle baseline (same process, no sampler, rounds alternated in this run)");
        text.AppendLine(c, $"=> sampling costs {CostPercentOfOneCore:0.000} % of one core (per round pair: {string.Join(", ", RoundCostPercents.Select(p => p.ToString("0.000", c)))})");
        if (ThreadCpuPercent is { } thread)
        {
            text.AppendLine(c, $"sampling thread's own CPU (CLOCK_THREAD_CPUTIME_ID): {thread:0.000} % of one core = {thread / 100 * SamplingSeconds / Math.Max(1, Reads) * 1e6:0.0} us per sample");
        }

        text.AppendLine(c, $"bare wake-ups at {RateHz:0} Hz (same sleeper, no reads): {WakeupCpuPercent - IdleCpuPercent:0.000} % of one core over the idle baseline");
        text.Append(c, $"one read in a tight loop (warm caches): {ReadMicroseconds:0.0} us; sampling thread allocated {AllocatedBytesPerSample:0.0} B per sample");
        return text.ToString();
    }
}

/// <summary>
/// Measures the CPU cost of running the <see cref="EnergyMeter"/> at a given rate: process CPU time
/// (getrusage, microsecond resolution) over alternating idle and sampling rounds of equal length in
/// the same run, so background noise of the runtime is in both; the sampling thread's own CPU time;
/// the reads actually made (counted at the source); bare wake-ups at the same rate; and the mean cost
/// of one read in a tight loop.
/// </summary>
public static class SamplingBenchmark
{
    /// <summary>Runs <paramref name="rounds"/> idle/sampling/wake-up round triples of <paramref name="roundLength"/> each.</summary>
    public static async Task<SamplingBenchmarkResult> RunAsync(IPowerSource source, double rateHz, TimeSpan roundLength, int rounds,
        CancellationToken cancellationToken, TimeSpan? timerSlack = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var counting = new CountingPowerSource(source);
        var options = new EnergyMeterOptions
        {
            SampleRateHz = rateHz,
            TimerSlackMicroseconds = timerSlack is { } slack ? (int)slack.TotalMicroseconds : null,
        };

        var readWatch = Stopwatch.StartNew();
        const int reads = 2000;
        for (var i = 0; i < reads; i++)
        {
            source.TryRead(out _);
        }

        var readMicroseconds = readWatch.Elapsed.TotalMicroseconds / reads;

        // Warm up: one untimed sampling run and one wake-up run, so JIT and tiering happen before the
        // timed rounds (a daemon samples for days: the steady state is what costs), then let
        // background compilation settle.
        using (var warm = new EnergyMeter(counting, options, TimeProvider.System))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(TimeSpan.FromSeconds(1.5));
            await warm.RunAsync(stop.Token).ConfigureAwait(false);
        }

        await WakeOnly(rateHz, TimeSpan.FromSeconds(0.5), options.TimerSlack, cancellationToken).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);

        TimeSpan idleCpu = TimeSpan.Zero, samplingCpu = TimeSpan.Zero, idleWall = TimeSpan.Zero, samplingWall = TimeSpan.Zero;
        TimeSpan wakeCpu = TimeSpan.Zero, wakeWall = TimeSpan.Zero, threadCpu = TimeSpan.Zero;
        var threadCpuKnown = true;
        long samples = 0, skipped = 0, allocated = 0, readsMade = 0;
        var sleeper = "";
        var roundCosts = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var (cpu, wall) = await Measure(() => Task.Delay(roundLength, cancellationToken)).ConfigureAwait(false);
            idleCpu += cpu;
            idleWall += wall;
            var idlePercent = 100.0 * cpu / wall;

            using var meter = new EnergyMeter(counting, options, TimeProvider.System);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var readsBefore = counting.Reads;
            (cpu, wall) = await Measure(async () =>
            {
                stop.CancelAfter(roundLength);
                await meter.RunAsync(stop.Token).ConfigureAwait(false);
            }).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            samplingCpu += cpu;
            samplingWall += wall;
            roundCosts.Add((100.0 * cpu / wall) - idlePercent);
            readsMade += counting.Reads - readsBefore;
            var loop = meter.LastLoop!;
            sleeper = loop.Sleeper;
            samples += loop.Samples;
            skipped += loop.SkippedDeadlines;
            allocated += loop.AllocatedBytes;
            if (loop.ThreadCpuTime is { } t)
            {
                threadCpu += t;
            }
            else
            {
                threadCpuKnown = false;
            }

            (cpu, wall) = await Measure(() => WakeOnly(rateHz, roundLength, options.TimerSlack, cancellationToken)).ConfigureAwait(false);
            wakeCpu += cpu;
            wakeWall += wall;
        }

        return new SamplingBenchmarkResult(
            $"{source.Name} ({source.Description})",
            sleeper,
            timerSlack,
            rateHz,
            readsMade,
            samplingWall.TotalSeconds,
            skipped,
            100.0 * idleCpu / idleWall,
            100.0 * samplingCpu / samplingWall,
            roundCosts,
            threadCpuKnown ? 100.0 * threadCpu / samplingWall : null,
            100.0 * wakeCpu / wakeWall,
            readMicroseconds,
            samples == 0 ? 0 : (double)allocated / samples);
    }

    // The meter's own sleeper and schedule on their own thread, without reading anything: what waking up costs.
    private static Task WakeOnly(double rateHz, TimeSpan length, TimeSpan? timerSlack, CancellationToken cancellationToken)
    {
        return DedicatedThread.Run("EdgeAgent wake-up benchmark", () => WakeLoop(rateHz, length, timerSlack, cancellationToken));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WakeLoop(double rateHz, TimeSpan length, TimeSpan? timerSlack, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(length);
        if (timerSlack is { } slack)
        {
            LinuxClock.TrySetTimerSlack(slack);
        }

        using var sleeper = DeadlineSleeper.Create(TimeProvider.System);
        var schedule = new SamplingSchedule(Stopwatch.GetTimestamp(), Math.Max(1L, (long)Math.Round(Stopwatch.Frequency / rateHz)));
        while (sleeper.SleepUntil(schedule.Next(Stopwatch.GetTimestamp()), stop.Token))
        {
        }
    }

    private static async Task<(TimeSpan Cpu, TimeSpan Wall)> Measure(Func<Task> body)
    {
        var cpu0 = Environment.CpuUsage.TotalTime;
        var wall = Stopwatch.StartNew();
        await body().ConfigureAwait(false);
        wall.Stop();
        return (Environment.CpuUsage.TotalTime - cpu0, wall.Elapsed);
    }

    /// <summary>Passes reads through and counts them, so the benchmark reports the rate the source was really read at.</summary>
    private sealed class CountingPowerSource(IPowerSource inner) : IPowerSource
    {
        public long Reads { get; private set; }

        public string Name => inner.Name;

        public string Description => inner.Description;

        public PowerSourceKind Kind => inner.Kind;

        public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
        {
            Reads++;
            return inner.TryRead(out sample);
        }

        public bool TryReadTotal(out double totalWatts, out double? cumulativeJoules)
        {
            Reads++;
            return inner.TryReadTotal(out totalWatts, out cumulativeJoules);
        }

        // The benchmark's caller owns the inner source.
        public void Dispose()
        {
        }
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

using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Energy;

public sealed class EnergyMeterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void SampleOnce_ConstantPowerAtRandomIntervals_IntegratesToPowerTimesTime()
    {
        // Property: for any constant P and any sampling jitter, E = P * t within 0.5 %.
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var time = new FakeTimeProvider();
            var watts = 0.5 + (random.NextDouble() * 30);
            using var meter = new EnergyMeter(new SyntheticSource(time, _ => watts), new EnergyMeterOptions(), time);
            meter.SampleOnce();
            var elapsed = 0.0;
            for (var i = 0; i < 200; i++)
            {
                var step = 0.005 + (random.NextDouble() * 0.04);
                time.Advance(TimeSpan.FromSeconds(step));
                elapsed += step;
                meter.SampleOnce();
            }

            Assert.InRange(meter.TotalJoules / (watts * elapsed), 0.995, 1.005);
        }
    }

    [Fact]
    public void SampleOnce_SinusoidalTraceAt50Hz_IntegratesWithinHalfPercentOfAnalytic()
    {
        var time = new FakeTimeProvider();
        static double Power(double t) => 6.0 + (3.0 * Math.Sin(2 * Math.PI * 0.7 * t));
        using var meter = new EnergyMeter(new SyntheticSource(time, Power), new EnergyMeterOptions(), time);
        meter.SampleOnce();
        const int samples = 50 * 20;
        for (var i = 0; i < samples; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            meter.SampleOnce();
        }

        const double t = samples * 0.02;
        var analytic = (6.0 * t) + ((3.0 / (2 * Math.PI * 0.7)) * (1 - Math.Cos(2 * Math.PI * 0.7 * t)));
        Assert.InRange(meter.TotalJoules / analytic, 0.995, 1.005);
    }

    [Fact]
    public async Task Attribution_RandomConcurrentTasks_SumsToEnergyAboveIdle()
    {
        // Property: tasks add k watts each above idle; whatever their overlap, the energy charged to
        // them sums to the integrated energy above idle within 1 %, and each is charged about k * duration.
        var random = new Random(11);
        for (var trial = 0; trial < 20; trial++)
        {
            var time = new FakeTimeProvider();
            const double idle = 5.0;
            const double perTask = 2.5;
            var running = 0;
            var source = new SyntheticSource(time, _ => idle + (perTask * running));
            using var meter = new EnergyMeter(source, new EnergyMeterOptions { IdleWatts = idle }, time);
            meter.SampleOnce();

            var active = new List<(EnergyMeter.LocalTask Task, double Ends)>();
            var finished = new List<(Task<TaskEnergy> Energy, double Duration)>();
            var now = 0.0;
            for (var step = 0; step < 3000; step++)
            {
                // Events happen between samples: start and stop tasks at sub-millisecond instants.
                var next = now + 0.02;
                while (now < next)
                {
                    var dt = Math.Min(next - now, random.NextDouble() * 0.01);
                    time.Advance(TimeSpan.FromTicks((long)(dt * TimeSpan.TicksPerSecond)));
                    now += (double)(long)(dt * TimeSpan.TicksPerSecond) / TimeSpan.TicksPerSecond;
                    if (dt < 1e-7)
                    {
                        break;
                    }

                    foreach (var done in active.Where(a => a.Ends <= now).ToList())
                    {
                        active.Remove(done);
                        running--;
                        finished.Add((done.Task.Complete(), now - done.Task.Start));
                    }

                    if (step < 2900 && active.Count < 4 && random.NextDouble() < 0.3)
                    {
                        active.Add((meter.BeginLocalTask(), now + 0.01 + (random.NextDouble() * 0.3)));
                        running++;
                    }
                }

                time.Advance(TimeSpan.FromTicks((long)((next - now) * TimeSpan.TicksPerSecond)));
                now = next;
                meter.SampleOnce();
            }

            foreach (var (task, _) in active)
            {
                finished.Add((task.Complete(), now - task.Start));
            }

            meter.SampleOnce();
            var energies = await Task.WhenAll(finished.Select(f => f.Energy)).WaitAsync(Timeout);
            var charged = energies.Sum(e => e.Compute.Joules);
            var truth = perTask * finished.Sum(f => f.Duration);

            Assert.All(energies, e => Assert.Equal(EnergyProvenance.Measured, e.Compute.Provenance));
            Assert.InRange(charged / meter.AboveIdleJoules, 0.99, 1.01);
            Assert.InRange(charged / truth, 0.97, 1.03);
        }
    }

    [Fact]
    public async Task Attribution_TwoTasksFullyOverlapping_ShareEqually()
    {
        var time = new FakeTimeProvider();
        var running = 0;
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 4.0 + (3.0 * running)), new EnergyMeterOptions { IdleWatts = 4.0 }, time);
        meter.SampleOnce();
        var a = meter.BeginLocalTask();
        var b = meter.BeginLocalTask();
        running = 2;
        meter.SampleOnce();
        for (var i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            meter.SampleOnce();
        }

        var ea = a.Complete();
        var eb = b.Complete();
        running = 0;
        Assert.False(ea.IsCompleted); // waits for the sample that covers its end
        time.Advance(TimeSpan.FromMilliseconds(20));
        meter.SampleOnce();

        var (ja, jb) = ((await ea.WaitAsync(Timeout)).Compute.Joules, (await eb.WaitAsync(Timeout)).Compute.Joules);
        Assert.Equal(ja, jb, 9);
        Assert.InRange(ja + jb, 6.0 * 2.0 * 0.99, 6.0 * 2.0 * 1.01);
    }

    [Fact]
    public async Task Complete_MeterNotSampling_CompletesAtOnce()
    {
        var time = new FakeTimeProvider();
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 1.0), new EnergyMeterOptions(), time);
        var task = meter.BeginLocalTask();

        var energy = await task.Complete().WaitAsync(Timeout);

        Assert.Equal(0.0, energy.Compute.Joules);
    }

    [Fact]
    public async Task RunAsync_FakeTime_SamplesAtConfiguredRate()
    {
        var time = new FakeTimeProvider();
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 2.0), new EnergyMeterOptions { SampleRateHz = 50 }, time);
        using var cts = new CancellationTokenSource();
        var loop = meter.RunAsync(cts.Token);

        await WaitAsleepAfter(meter, time, 1);
        for (var i = 1; i <= 50; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            await WaitAsleepAfter(meter, time, i + 1);
        }

        await cts.CancelAsync();
        await loop.WaitAsync(Timeout);
        Assert.Equal(51, meter.SampleCount);
        Assert.Equal(2.0, meter.TotalJoules, 9);
    }

    [Fact]
    public async Task RunAsync_FakeClockAdvancedInUnevenSteps_SamplesEveryGridPointWithoutDrift()
    {
        // Wake-ups land up to a step after each deadline; deadlines stay on the grid k * 10 ms, so
        // after 2 s there are exactly 200 samples after the first, sample k taken in [k*10, k*10+4) ms.
        var time = new FakeTimeProvider();
        var source = new RecordingSource(time, 3.0);
        using var meter = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = 100 }, time);
        using var cts = new CancellationTokenSource();
        var loop = meter.RunAsync(cts.Token);
        await WaitAsleepAfter(meter, time, 1);

        var random = new Random(3);
        var elapsedMs = 0;
        while (elapsedMs < 2000)
        {
            var step = Math.Min(random.Next(1, 5), 2000 - elapsedMs);
            elapsedMs += step;
            time.Advance(TimeSpan.FromMilliseconds(step));
            var expected = 1 + (elapsedMs / 10);
            await WaitAsleepAfter(meter, time, expected);
        }

        await cts.CancelAsync();
        await loop.WaitAsync(Timeout);
        var times = source.ReadTimesMs();
        Assert.Equal(201, times.Count);
        for (var k = 0; k < times.Count; k++)
        {
            Assert.InRange(times[k], k * 10.0, (k * 10.0) + 4.0);
        }

        Assert.Equal(0, meter.LastLoop!.SkippedDeadlines);
        Assert.Equal(201, meter.LastLoop.Samples);
        Assert.Equal(3.0 * 2.0, meter.TotalJoules, 9);
    }

    [Fact]
    public async Task RunAsync_ClockJumpsSeveralPeriods_SkipsMissedInstantsInsteadOfBursting()
    {
        var time = new FakeTimeProvider();
        var source = new RecordingSource(time, 1.0);
        using var meter = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = 100 }, time);
        using var cts = new CancellationTokenSource();
        var loop = meter.RunAsync(cts.Token);
        await WaitAsleepAfter(meter, time, 1);

        time.Advance(TimeSpan.FromMilliseconds(55));
        await WaitAsleepAfter(meter, time, 2);
        time.Advance(TimeSpan.FromMilliseconds(5));
        await WaitAsleepAfter(meter, time, 3);
        await cts.CancelAsync();
        await loop.WaitAsync(Timeout);

        // One sample at the jump, the next on the original grid (60 ms), none in between.
        Assert.Equal([0.0, 55.0, 60.0], source.ReadTimesMs());
        Assert.Equal(4, meter.LastLoop!.SkippedDeadlines);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingOnAStoppedClock_StopsAndFinishesTasks()
    {
        var time = new FakeTimeProvider();
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 2.0), new EnergyMeterOptions { SampleRateHz = 1 }, time);
        using var cts = new CancellationTokenSource();
        var loop = meter.RunAsync(cts.Token);
        await WaitAsleepAfter(meter, time, 1);
        var task = meter.BeginLocalTask();
        var energy = task.Complete();

        await cts.CancelAsync();
        await loop.WaitAsync(Timeout);

        Assert.Equal(1, meter.SampleCount);
        Assert.Equal(0.0, (await energy.WaitAsync(Timeout)).Compute.Joules);
    }

    [Fact]
    public async Task RunAsync_SystemClock_SamplesOnItsOwnThreadAndReportsItsCost()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);
        using var source = Ina3221HwmonSource.Discover(fs.Root)!;
        using var meter = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = 200 }, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var loop = meter.RunAsync(cts.Token);

        await WaitUntil(() => meter.SampleCount >= 5);
        await cts.CancelAsync();
        await loop.WaitAsync(Timeout);

        var stats = meter.LastLoop!;
        Assert.Equal(meter.SampleCount, stats.Samples);
        Assert.Equal(OperatingSystem.IsLinux(), stats.ThreadCpuTime is { } cpu && cpu > TimeSpan.Zero);
        Assert.Equal(5.096, meter.LatestTotalWatts, 9);
    }

    [Fact]
    public void SampleOnce_TotalOnlyReadsOfSysfs_AllocateNothing()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);
        using var source = Ina3221HwmonSource.Discover(fs.Root)!;
        var time = new FakeTimeProvider();
        using var meter = new EnergyMeter(source, new EnergyMeterOptions { SampleRateHz = 100, RailRefreshEvery = 10_000 }, time);
        for (var i = 0; i < 50; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            meter.SampleOnce();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 500; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.True(meter.SampleOnce());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Options_TimerSlack_ConvertsMicroseconds()
    {
        Assert.Null(new EnergyMeterOptions().TimerSlack);
        Assert.Equal(TimeSpan.FromMicroseconds(500), new EnergyMeterOptions { TimerSlackMicroseconds = 500 }.TimerSlack);
    }

    [Fact]
    public void RecordRequest_ComputeAndRadio_TaggedByScopePlacementAndProvenance()
    {
        var time = new FakeTimeProvider();
        var seen = new List<(double Value, string? Scope, string? Placement, string? Provenance)>();
        using var listener = new MeterListener();
        var factory = new ScopedMeterFactory();
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 1.0), new EnergyMeterOptions(), time, factory);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "edgeagent.energy" && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var found = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            seen.Add((value, found.GetValueOrDefault("scope"), found.GetValueOrDefault("placement"), found.GetValueOrDefault("provenance")));
        });
        listener.Start();

        meter.RecordRequest("peer:cloud", new TaskEnergy(new EnergyFigure(0.0, EnergyProvenance.Measured), new EnergyFigure(0.25, EnergyProvenance.Modelled)));
        meter.RecordRequest("local:int8", new TaskEnergy(new EnergyFigure(1.5, EnergyProvenance.Measured), EnergyFigure.Zero));
        meter.RecordRequest("local:int8", new TaskEnergy(new EnergyFigure(0.5, EnergyProvenance.Measured), EnergyFigure.Zero));

        // Totals kept by the meter and reported when collected (cumulative), not a measurement per request.
        Assert.Empty(seen);
        listener.RecordObservableInstruments();
        Assert.Equal(
            [(2.0, "task.compute", "local:int8", "measured"), (0.25, "task.radio", "peer:cloud", "modelled")],
            seen.OrderBy(s => s.Scope, StringComparer.Ordinal));
    }

    [Fact]
    public void Meter_ModelledSource_LabelsEnergyModelled()
    {
        var time = new FakeTimeProvider();
        using var meter = new EnergyMeter(new ModelPowerSource(DeviceProfile.JetsonOrinNano, () => 1.0), new EnergyMeterOptions(), time);

        Assert.Equal(EnergyProvenance.Modelled, meter.Provenance);
    }

    [Fact]
    public void Metrics_SamplesAndTasks_PublishEnergyCounterAndPowerGauge()
    {
        var time = new FakeTimeProvider();
        var energy = new List<(double Value, string? Scope, string? Provenance)>();
        var power = new List<(double Value, string? Rail)>();
        using var listener = new MeterListener();
        // Other tests create EnergyMeters (same meter name) in parallel: listen to this meter's own
        // Meter only, told apart by its scope.
        var factory = new ScopedMeterFactory();
        using var meter = new EnergyMeter(new SyntheticSource(time, _ => 8.0), new EnergyMeterOptions { IdleWatts = 5.0 }, time, factory);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EnergyMeter.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var scope = default(string);
            var provenance = default(string);
            var rail = default(string);
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "scope": scope = tag.Value as string; break;
                    case "provenance": provenance = tag.Value as string; break;
                    case "edgeagent.power.rail": rail = tag.Value as string; break;
                }
            }

            if (instrument.Name == "edgeagent.energy")
            {
                energy.Add((value, scope, provenance));
            }
            else if (instrument.Name == "edgeagent.power")
            {
                power.Add((value, rail));
            }
        });
        listener.Start();

        meter.SampleOnce();
        var task = meter.BeginLocalTask();
        time.Advance(TimeSpan.FromSeconds(1));
        meter.SampleOnce();
        task.Complete();
        time.Advance(TimeSpan.FromSeconds(1));
        meter.SampleOnce();
        listener.RecordObservableInstruments();

        Assert.Equal(16.0, energy.Where(e => e.Scope == "device").Sum(e => e.Value), 9);
        Assert.Equal(3.0, energy.Where(e => e.Scope == "task.compute").Sum(e => e.Value), 9);
        Assert.All(energy, e => Assert.Equal("measured", e.Provenance));
        Assert.Contains((8.0, "total"), power);
    }

    /// <summary>
    /// Waits until the loop has taken <paramref name="samples"/> samples and gone back to sleep, i.e.
    /// chosen a deadline after the fake clock's now. Moving the clock earlier races the loop reading
    /// it for its next deadline: a step past the next grid point would then be skipped as missed.
    /// </summary>
    private static Task WaitAsleepAfter(EnergyMeter meter, FakeTimeProvider time, long samples) =>
        WaitUntil(() => meter.SampleCount >= samples && meter.NextDeadline > time.GetTimestamp());

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within the timeout");
            await Task.Delay(1);
        }
    }

    /// <summary>Creates meters whose scope is the factory itself, so a listener can pick them out.</summary>
    private sealed class ScopedMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    /// <summary>A constant measured source that records the clock time of every read.</summary>
    private sealed class RecordingSource(FakeTimeProvider time, double watts) : IPowerSource
    {
        private readonly DateTimeOffset _origin = time.GetUtcNow();
        private readonly List<double> _times = [];

        public string Name => "recording";

        public string Description => "constant, recording read times";

        public PowerSourceKind Kind => PowerSourceKind.Measured;

        public List<double> ReadTimesMs()
        {
            lock (_times)
            {
                return [.. _times];
            }
        }

        public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
        {
            lock (_times)
            {
                _times.Add((time.GetUtcNow() - _origin).TotalMilliseconds);
            }

            sample = new PowerSample(watts, [new RailReading("constant", watts)], PowerSourceKind.Measured);
            return true;
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A measured source whose power is a function of the fake clock's time in seconds.</summary>
    private sealed class SyntheticSource(TimeProvider time, Func<double, double> watts) : IPowerSource
    {
        private readonly long _origin = time.GetTimestamp();

        public string Name => "synthetic";

        public string Description => "synthetic trace";

        public PowerSourceKind Kind => PowerSourceKind.Measured;

        public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
        {
            var w = watts(time.GetElapsedTime(_origin).TotalSeconds);
            sample = new PowerSample(w, [new RailReading("synthetic", w)], PowerSourceKind.Measured);
            return true;
        }

        public void Dispose()
        {
        }
    }
}

using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>
/// The agent layout's encoder computes every row bit for bit as the straightforward per-row form
/// (<see cref="Reference"/>: the encoder as it was before the logarithms shared by all rows of an
/// observation were computed once per observation), over constructed observations that cover the
/// columns' edge cases: no deadline, absent and unavailable rows, infinite, zero and NaN rates and
/// times, the own-traffic columns, histograms of another bin width.
/// </summary>
public sealed class EncoderEquivalenceTests
{
    public static TheoryData<bool, bool> Layouts => new() { { false, false }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Encode_ConstructedObservations_SameFloatsAsTheStraightforwardForm(bool ownTraffic, bool ownRate)
    {
        var layout = FeatureLayout.Agent(ownTraffic: ownTraffic, ownRate: ownRate);
        var encoder = new ObservationEncoder(layout);
        var reference = new Reference(layout, encoder.LocalUplinkBitsPerSecond);
        var (s, f) = (layout.MaxServers, layout.FeatureCount);
        var random = new Random(17);
        for (var trial = 0; trial < 2000; trial++)
        {
            var observation = Observation(random, s);
            var preference = new Preference(random.NextDouble());
            float[] actual = new float[s * f], actualMask = new float[s], actualPreference = new float[2];
            float[] expected = new float[s * f], expectedMask = new float[s], expectedPreference = new float[2];
            encoder.Encode(observation, preference, actual, actualMask, actualPreference);
            reference.Encode(observation, expected, expectedMask);
            ObservationEncoder.WritePreference(expectedPreference, preference.DelayWeight);
            AssertBits(expected, actual, layout, trial);
            AssertBits(expectedMask, actualMask, layout, trial);
            AssertBits(expectedPreference, actualPreference, layout, trial);
        }
    }

    [Fact]
    public void WriteCandidate_SimulatorEntry_SameFloatsAsTheStraightforwardForm()
    {
        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        var encoder = new ObservationEncoder(layout);
        var reference = new Reference(layout, encoder.LocalUplinkBitsPerSecond);
        var random = new Random(23);
        var actual = new float[layout.FeatureCount];
        var expected = new float[layout.FeatureCount];
        for (var trial = 0; trial < 2000; trial++)
        {
            var observation = Observation(random, layout.MaxServers);
            var t = observation.Task;
            var task = new TaskState(t.InputBytes, t.ExpectedResponseBytes, t.Deadline is { } d ? d.TotalSeconds : double.PositiveInfinity) { OwnRequestsPerSecond = t.OwnRequestsPerSecond };
            var server = observation.Servers[random.Next(observation.Servers.Count)];
            var residuals = new double[random.Next(4)];
            for (var i = 0; i < residuals.Length; i++)
            {
                residuals[i] = random.NextDouble() * 0.2;
            }

            var state = ObservationEncoder.ToCandidate(server, server.ResidualWorkHistogram.ToArray());
            state.ResidualSeconds = residuals;
            var (delay, bestDelay, bestEnergy) = (Time(random), Time(random), random.NextDouble() < 0.1 ? double.NaN : random.NextDouble());
            encoder.WriteCandidate(actual, task, state, delay, bestDelay, bestEnergy);
            reference.WriteCandidate(expected, task, state, delay, bestDelay, bestEnergy);
            AssertBits(expected, actual, layout, trial);
        }
    }

    private static void AssertBits(float[] expected, float[] actual, FeatureLayout layout, int trial)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                var column = expected.Length == layout.MaxServers * layout.FeatureCount ? layout.ColumnNames()[i % layout.FeatureCount] : $"value {i}";
                Assert.Fail($"trial {trial}, index {i} ({column}): straightforward form {expected[i]:R}, encoder {actual[i]:R}");
            }
        }
    }

    private static double Time(Random random) => random.Next(12) switch
    {
        0 => 0.0,
        1 => double.PositiveInfinity,
        2 => double.NaN,
        3 => 1e-7,
        4 => 5e6,
        _ => Math.Pow(10, (random.NextDouble() * 5) - 4),
    };

    private static double Rate(Random random) => random.Next(10) switch
    {
        0 => double.PositiveInfinity,
        1 => 0.0,
        2 => double.NaN,
        _ => Math.Pow(10, 5 + (random.NextDouble() * 5)),
    };

    // 1-3 local rows (the default variant and quantized ones) and 0 to S - 3 peers; about one row in 8 unavailable.
    private static OffloadObservation Observation(Random random, int maxServers)
    {
        var deadline = random.Next(3) == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(random.NextDouble() * 2);
        var task = new TaskObservation("det", random.Next(4) == 0 ? 0 : random.Next(1, 5_000_000), deadline) { ExpectedResponseBytes = random.Next(3) == 0 ? 0 : random.Next(1, 500_000), OwnRequestsPerSecond = random.Next(5) switch { 0 => 0.0, 1 => double.NaN, 2 => 1e9, _ => random.NextDouble() * 200 } };
        var locals = 1 + random.Next(3);
        var peers = random.Next(maxServers - locals + 1);
        var servers = new List<ServerObservation>();
        string[] variants = ["fp32", "int8", "mixed"];
        for (var i = 0; i < locals + peers; i++)
        {
            var isLocal = i < locals;
            var histogram = new double[random.Next(3) == 0 ? 0 : 1 + random.Next(20)];
            for (var b = 0; b < histogram.Length; b++)
            {
                histogram[b] = random.NextDouble() < 0.3 ? random.Next(1, 4) : 0;
            }

            servers.Add(new ServerObservation
            {
                Placement = isLocal ? Placement.Local(i == 0 ? ModelVariant.Default : variants[i]) : Placement.Peer($"peer{i}"),
                Kind = isLocal ? ServerKind.Local : random.Next(2) == 0 ? ServerKind.Edge : ServerKind.Cloud,
                Available = random.Next(8) != 0,
                UplinkBitsPerSecond = isLocal ? double.PositiveInfinity : Rate(random),
                DownlinkBitsPerSecond = isLocal ? double.PositiveInfinity : Rate(random),
                RoundTripSeconds = isLocal ? 0 : Time(random),
                ExpectedExecSeconds = Time(random),
                Executing = random.Next(4),
                Queued = random.Next(6),
                MaxConcurrency = random.Next(4),
                ResidualWorkSeconds = Time(random),
                ResidualWorkHistogram = histogram,
                HistogramBinSeconds = random.Next(4) switch { 0 => 0.0, 1 => 0.02, 2 => 0.005, _ => 0.01 },
                EstimatedEnergyJoules = random.Next(10) == 0 ? double.NaN : random.NextDouble() * 3,
                AccuracyDropPoints = isLocal && i > 0 ? random.NextDouble() : 0,
                OwnInFlight = isLocal ? 0 : random.Next(4),
                UploadBacklogSeconds = isLocal ? 0 : random.Next(2) == 0 ? 0 : Time(random),
                ArrivingTasks = isLocal ? 0 : random.Next(3),
                ArrivingWorkSeconds = isLocal ? 0 : random.NextDouble() * 0.1,
            });
        }

        return new OffloadObservation(task, servers);
    }

    /// <summary>The agent layout's encoding in its straightforward form: every column of every row computed in the row (the encoder as it was on main at 8b96ea9).</summary>
    private sealed class Reference(FeatureLayout layout, double localUplinkBitsPerSecond)
    {
        private readonly FeatureLayout _layout = layout;
        private readonly double _localUplink = localUplinkBitsPerSecond;
        private readonly FeatureKind[] _kinds = [.. layout.Scalars.Select(s => s.Kind)];
        private readonly int _bins = layout.HistogramBins;
        private readonly double _inverseBinWidth = layout.HistogramBins > 0 ? 1.0 / layout.HistogramBinWidth : 0.0;

        public void Encode(OffloadObservation observation, Span<float> servers, Span<float> mask)
        {
            var list = observation.Servers;
            var t = observation.Task;
            var task = new TaskState(t.InputBytes, t.ExpectedResponseBytes, t.Deadline is { } d ? d.TotalSeconds : double.PositiveInfinity) { OwnRequestsPerSecond = t.OwnRequestsPerSecond };
            var delays = new double[_layout.MaxServers];
            var bestDelay = double.PositiveInfinity;
            var bestEnergy = double.PositiveInfinity;
            for (var i = 0; i < list.Count; i++)
            {
                if (!list[i].Available)
                {
                    continue;
                }

                var state = ObservationEncoder.ToCandidate(list[i], default);
                delays[i] = ObservationEncoder.EstimateDelaySeconds(task, state);
                bestDelay = Math.Min(bestDelay, delays[i]);
                bestEnergy = Math.Min(bestEnergy, state.EnergyJoules);
            }

            var f = _layout.FeatureCount;
            for (var i = 0; i < _layout.MaxServers; i++)
            {
                var row = servers.Slice(i * f, f);
                if (i >= list.Count || !list[i].Available)
                {
                    row.Fill(-1f);
                    mask[i] = 0f;
                    continue;
                }

                var state = ObservationEncoder.ToCandidate(list[i], list[i].ResidualWorkHistogram.ToArray());
                WriteCandidate(row, task, state, delays[i], bestDelay, bestEnergy);
                mask[i] = 1f;
            }
        }

        public void WriteCandidate(Span<float> row, in TaskState task, in CandidateState candidate, double delaySeconds, double bestDelaySeconds, double bestEnergyJoules)
        {
            var delayLog = ObservationEncoder.LogTime(delaySeconds);
            var energyLog = ObservationEncoder.LogEnergy(candidate.EnergyJoules);
            for (var c = 0; c < _kinds.Length; c++)
            {
                row[c] = _kinds[c] switch
                {
                    FeatureKind.Bias => 1f,
                    FeatureKind.IsLocal => candidate.IsLocal ? 1f : 0f,
                    FeatureKind.IsQuantizedVariant => candidate.IsQuantizedVariant ? 1f : 0f,
                    FeatureKind.AccuracyDropPoints => (float)(double.IsFinite(candidate.AccuracyDropPoints) ? candidate.AccuracyDropPoints : 0.0),
                    FeatureKind.RoundTripLog => (float)ObservationEncoder.LogTime(candidate.RoundTripSeconds),
                    FeatureKind.UplinkLog => (float)LogRate(candidate.UplinkBitsPerSecond),
                    FeatureKind.DownlinkLog => (float)LogRate(candidate.DownlinkBitsPerSecond),
                    FeatureKind.ExecLog => (float)ObservationEncoder.LogTime(candidate.ExpectedExecSeconds),
                    FeatureKind.RunningTasks => Math.Max(0, candidate.Running),
                    FeatureKind.QueuedLog => (float)Math.Log2(1.0 + Math.Max(0, candidate.Queued)),
                    FeatureKind.Concurrency => Math.Max(1, candidate.MaxConcurrency),
                    FeatureKind.QueueWaitLog => (float)ObservationEncoder.LogTime(CompletionEstimate.QueueWaitSeconds(candidate.Running, candidate.Queued, candidate.MaxConcurrency, candidate.ResidualWorkSeconds)),
                    FeatureKind.ResidualWorkLog => (float)ObservationEncoder.LogTime(candidate.ResidualWorkSeconds),
                    FeatureKind.EnergyLog => (float)energyLog,
                    FeatureKind.DelayEstimateLog => (float)delayLog,
                    FeatureKind.DelayVsBestLog => (float)Math.Clamp(delayLog - ObservationEncoder.LogTime(bestDelaySeconds), 0.0, 10.0),
                    FeatureKind.EnergyVsBestLog => (float)Math.Clamp(energyLog - ObservationEncoder.LogEnergy(bestEnergyJoules), 0.0, 10.0),
                    FeatureKind.RequestBytesLog => (float)Math.Log10(1.0 + Math.Max(0L, task.RequestBytes)),
                    FeatureKind.ResponseBytesLog => (float)Math.Log10(1.0 + Math.Max(0L, task.ResponseBytes)),
                    FeatureKind.HasDeadline => task.HasDeadline ? 1f : 0f,
                    FeatureKind.DeadlineMarginLog => task.HasDeadline ? (float)Math.Clamp(ObservationEncoder.LogTime(task.DeadlineSeconds) - delayLog, -3.0, 3.0) : 3f,
                    FeatureKind.OwnInFlightLog => (float)Math.Log2(1.0 + Math.Max(0, candidate.OwnInFlight)),
                    FeatureKind.UploadBacklogLog => (float)ObservationEncoder.LogTime(candidate.UploadBacklogSeconds),
                    FeatureKind.ArrivingWorkLog => (float)ObservationEncoder.LogTime(candidate.ArrivingWorkSeconds),
                    FeatureKind.OwnDelayEstimateLog => (float)ObservationEncoder.LogTime(ObservationEncoder.OwnTrafficDelaySeconds(task, candidate)),
                    FeatureKind.OwnEnergyLog => (float)ObservationEncoder.LogEnergy(candidate.OwnTrafficEnergyJoules),
                    FeatureKind.OwnRequestRateLog => (float)Math.Log2(1.0 + Math.Clamp(double.IsNaN(task.OwnRequestsPerSecond) ? 0.0 : task.OwnRequestsPerSecond, 0.0, 1e6)),
                    _ => 0f,
                };
            }

            var hist = row.Slice(_kinds.Length, _bins);
            hist.Clear();
            foreach (var residual in candidate.ResidualSeconds)
            {
                hist[BinOf(residual)] += 1f;
            }

            var source = candidate.ResidualHistogram;
            var width = candidate.HistogramBinSeconds;
            if (width > 0)
            {
                for (var b = 0; b < source.Length; b++)
                {
                    var count = source[b];
                    if (count > 0)
                    {
                        var seconds = b == source.Length - 1 ? b * width : (b + 0.5) * width;
                        hist[BinOf(seconds)] += (float)count;
                    }
                }
            }
        }

        private int BinOf(double residual)
        {
            var b = residual * _inverseBinWidth;
            return b <= 0 ? 0 : b >= _bins - 1 ? _bins - 1 : (int)b;
        }

        private double LogRate(double bitsPerSecond) =>
            Math.Log10(double.IsPositiveInfinity(bitsPerSecond) ? _localUplink : Math.Clamp(double.IsNaN(bitsPerSecond) ? 1.0 : bitsPerSecond, 1.0, _localUplink));
    }
}

using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

public sealed class AgentEncoderTests
{
    private static readonly FeatureLayout Layout = FeatureLayout.Agent();

    // Rows: 0 local default, 1 local int8, 2 edge, 3 cloud (unavailable: absent), 4 far peer; 5..10 absent.
    private static OffloadObservation Situation() => new(
        new TaskObservation("ocr-det", 100_000, TimeSpan.FromSeconds(0.5)) { ExpectedResponseBytes = 1_000 },
        [
            new ServerObservation
            {
                Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.05, Executing = 1, MaxConcurrency = 1,
                ResidualWorkSeconds = 0.03, ResidualWorkHistogram = new double[] { 0, 0, 0, 1 }, HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.25,
            },
            new ServerObservation
            {
                Placement = Placement.Local("int8"), Kind = ServerKind.Local, ExpectedExecSeconds = 0.02, Executing = 1, MaxConcurrency = 1,
                ResidualWorkSeconds = 0.03, ResidualWorkHistogram = new double[] { 0, 0, 0, 1 }, HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.1,
                AccuracyDropPoints = 0.5,
            },
            new ServerObservation
            {
                Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 8e6, DownlinkBitsPerSecond = 8e5, RoundTripSeconds = 0.005,
                ExpectedExecSeconds = 0.01, MaxConcurrency = 2, EstimatedEnergyJoules = 0.2,
            },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false, EstimatedEnergyJoules = 1e-9 },
            new ServerObservation
            {
                Placement = Placement.Peer("far"), Kind = ServerKind.Cloud, UplinkBitsPerSecond = 1e8, RoundTripSeconds = 0.1, ExpectedExecSeconds = 0.005,
                Executing = 2, Queued = 3, MaxConcurrency = 2, ResidualWorkSeconds = 0.4, ResidualWorkHistogram = new double[] { 1, 0, 2 }, HistogramBinSeconds = 0.02,
                EstimatedEnergyJoules = 0.016,
            },
        ]);

    private static double LogT(double s) => Math.Log10(s + 1e-4);

    private static double LogE(double j) => Math.Log10(j + 1e-6);

    private static void AssertRow(double[] expected, ReadOnlySpan<float> row)
    {
        for (var c = 0; c < expected.Length; c++)
        {
            Assert.True(Math.Abs(expected[c] - row[c]) < 1e-5, $"column {c} ({Layout.ColumnNames()[c]}): expected {expected[c]}, got {row[c]}");
        }
    }

    [Fact]
    public void Encode_HandComputedSituation_WritesEveryColumn()
    {
        var encoder = new ObservationEncoder(Layout);
        var f = Layout.FeatureCount;
        var servers = new float[11 * f];
        var mask = new float[11];
        var pref = new float[2];
        encoder.Encode(Situation(), new Preference(0.3), servers, mask, pref);

        Assert.Equal([1f, 1f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f], mask);
        Assert.Equal([0.3f, 0.7f], pref);
        // Delay estimates: local 0.03 wait + 0.05 = 0.08; int8 0.03 + 0.02 = 0.05 (best);
        // edge 0.1 upload + 0.005 rtt + 0.01 exec + 0.01 download = 0.125; far 0.4/2 wait + 0.008 + 0.1 + 0.005 = 0.313.
        // Best energy: far, 0.016 J (the unavailable cloud's 1e-9 J does not count).
        var (bestT, bestE) = (0.05, 0.016);
        double[] Common(double t, double e) => [LogE(e), LogT(t), LogT(t) - LogT(bestT), LogE(e) - LogE(bestE), Math.Log10(100_001), Math.Log10(1_001), 1, LogT(0.5) - LogT(t)];
        AssertRow([1, 1, 0, 0, -4, 10, 10, LogT(0.05), 1, 0, 1, LogT(0.03), LogT(0.03), .. Common(0.08, 0.25)], servers.AsSpan(0, f));
        AssertRow([1, 1, 1, 0.5, -4, 10, 10, LogT(0.02), 1, 0, 1, LogT(0.03), LogT(0.03), .. Common(0.05, 0.1)], servers.AsSpan(f, f));
        AssertRow([1, 0, 0, 0, LogT(0.005), Math.Log10(8e6), Math.Log10(8e5), LogT(0.01), 0, 0, 2, -4, -4, .. Common(0.125, 0.2)], servers.AsSpan(2 * f, f));
        AssertRow([1, 0, 0, 0, LogT(0.1), 8, 10, LogT(0.005), 2, 2, 2, LogT(0.2), LogT(0.4), .. Common(0.313, 0.016)], servers.AsSpan(4 * f, f));
        Assert.Equal(0f, servers[f + 15]); // int8 is the fastest
        Assert.Equal(0f, servers[(4 * f) + 16]); // far is the most frugal

        // Histograms: local rows one task at 35 ms -> bin 3; far: 1 at 10 ms -> bin 1, 2 in its open bin from 40 ms -> bin 4.
        Assert.Equal(1f, servers[21 + 3]);
        Assert.Equal(1f, servers[21..f].Sum());
        Assert.Equal(1f, servers[(4 * f) + 21 + 1]);
        Assert.Equal(2f, servers[(4 * f) + 21 + 4]);
        Assert.Equal(3f, servers[((4 * f) + 21)..(5 * f)].Sum());
        Assert.Equal(0f, servers[((2 * f) + 21)..(3 * f)].Sum());

        Assert.All(servers[(3 * f)..(4 * f)], v => Assert.Equal(-1f, v));
        Assert.All(servers[(5 * f)..], v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void Encode_NoDeadlineUnknownResponseDeadLink_StaysFinite()
    {
        var encoder = new ObservationEncoder(Layout);
        var obs = new OffloadObservation(new TaskObservation("m", 0, null),
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.01 },
            new ServerObservation { Placement = Placement.Peer("dead"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 0, RoundTripSeconds = double.PositiveInfinity, EstimatedEnergyJoules = double.PositiveInfinity },
        ]) with { Task = new TaskObservation("m", 10, null) };
        var servers = new float[11 * Layout.FeatureCount];
        encoder.Encode(obs, Preference.Balanced, servers, new float[11], new float[2]);
        Assert.All(servers, v => Assert.True(float.IsFinite(v)));
        var f = Layout.FeatureCount;
        Assert.Equal(0f, servers[Layout.IndexOf(FeatureKind.HasDeadline)]);
        Assert.Equal(3f, servers[Layout.IndexOf(FeatureKind.DeadlineMarginLog)]);
        Assert.Equal(0f, servers[Layout.IndexOf(FeatureKind.ResponseBytesLog)]);
        Assert.Equal(6f, servers[f + Layout.IndexOf(FeatureKind.RoundTripLog)], 3);
        // A dead link's delay counts as 1e6 s: 6 decades against the local row's 0.01 s.
        Assert.Equal(6 - Math.Log10(0.0101), servers[f + Layout.IndexOf(FeatureKind.DelayVsBestLog)], 3);
    }

    [Fact]
    public void Encode_AgentLayout_AllocatesNothing()
    {
        var encoder = new ObservationEncoder(Layout);
        var obs = Situation();
        var servers = new float[11 * Layout.FeatureCount];
        var mask = new float[11];
        var pref = new float[2];
        var preference = new Preference(0.7);
        for (var i = 0; i < 100; i++)
        {
            encoder.Encode(obs, preference, servers, mask, pref);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            encoder.Encode(obs, preference, servers, mask, pref);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void WriteCandidate_ExactResiduals_MatchEncodeOfTheSameHistogram()
    {
        // The simulator hands exact per-task residuals; the live agent a histogram of the layout's width.
        var encoder = new ObservationEncoder(Layout);
        var f = Layout.FeatureCount;
        double[] residuals = [0.004, 0.013, 0.0199, 0.5];
        double[] histogram = new double[16];
        foreach (var r in residuals)
        {
            histogram[encoder.BinOf(r)]++;
        }

        var task = new TaskState(5000, 200, 0.3);
        var exact = new CandidateState
        {
            IsLocal = false, RoundTripSeconds = 0.02, UplinkBitsPerSecond = 5e7, DownlinkBitsPerSecond = 1e8, ExpectedExecSeconds = 0.03,
            Running = 2, Queued = 2, MaxConcurrency = 2, ResidualWorkSeconds = 0.5372, ResidualSeconds = residuals, EnergyJoules = 0.04,
        };
        var delay = ObservationEncoder.EstimateDelaySeconds(task, exact);
        var row = new float[f];
        encoder.WriteCandidate(row, task, exact, delay, delay, 0.04);

        var live = new OffloadObservation(new TaskObservation("m", 5000, TimeSpan.FromSeconds(0.3)) { ExpectedResponseBytes = 200 },
        [
            new ServerObservation
            {
                Placement = Placement.Peer("p"), Kind = ServerKind.Edge, RoundTripSeconds = 0.02, UplinkBitsPerSecond = 5e7, DownlinkBitsPerSecond = 1e8,
                ExpectedExecSeconds = 0.03, Executing = 2, Queued = 2, MaxConcurrency = 2, ResidualWorkSeconds = 0.5372,
                ResidualWorkHistogram = histogram, HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.04,
            },
        ]);
        var servers = new float[11 * f];
        encoder.Encode(live, Preference.Balanced, servers, new float[11], new float[2]);
        Assert.Equal(row, servers[..f]);
        Assert.Equal([1f, 2f, 0f, 0f], row[21..25]);
        Assert.Equal(1f, row[f - 1]);
    }

    [Fact]
    public void Encode_AllUnavailable_AllRowsAbsent()
    {
        var encoder = new ObservationEncoder(Layout);
        var obs = new OffloadObservation(new TaskObservation("m", 1, null),
            [new ServerObservation { Placement = Placement.Peer("a"), Kind = ServerKind.Edge, Available = false }]);
        var servers = new float[11 * Layout.FeatureCount];
        var mask = new float[11];
        mask.AsSpan().Fill(7f);
        encoder.Encode(obs, Preference.Balanced, servers, mask, new float[2]);
        Assert.All(mask, m => Assert.Equal(0f, m));
        Assert.All(servers, v => Assert.Equal(-1f, v));
    }
}

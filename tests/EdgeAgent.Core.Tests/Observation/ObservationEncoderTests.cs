using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

public sealed class ObservationEncoderTests
{
    [Fact]
    public void Gmorl_Layout_HasReferenceFeaturesThenUploadTimeThenHistogram()
    {
        var layout = FeatureLayout.Gmorl();
        Assert.Equal(11, layout.MaxServers);
        Assert.Equal(68, layout.FeatureCount);
        Assert.Equal(
            [FeatureKind.Bias, FeatureKind.ComputeGhz, FeatureKind.ServerCount, FeatureKind.TaskMbit, FeatureKind.Active, FeatureKind.UplinkRate, FeatureKind.Executing, FeatureKind.UploadSeconds],
            layout.Scalars.Select(s => s.Kind));
        var names = layout.ColumnNames();
        Assert.Equal("compute_speed[GHz]", names[1]);
        Assert.Equal("uplink_rate[1e8 bit/s]", names[5]);
        Assert.Equal("upload_time[s]", names[7]);
        Assert.StartsWith("residual_hist_59[tasks with residual >= 59 Mbit", names[67], StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_RoundTrips()
    {
        var layout = new FeatureLayout("gmorl-local", 12, [FeatureKind.Bias, FeatureKind.IsLocal, FeatureKind.UploadSeconds], 30, 2e6);
        var back = FeatureLayout.FromMetadata(layout.ToMetadata());
        Assert.Equal(layout, back);
        Assert.Equal(layout.ColumnNames(), back.ColumnNames());
    }

    [Fact]
    public void FromMetadata_MissingKey_ThrowsNamingKey()
    {
        var md = new Dictionary<string, string>(FeatureLayout.Gmorl().ToMetadata());
        md.Remove(FeatureLayout.MetadataPrefix + "histogram_bins");
        var ex = Assert.Throws<FormatException>(() => FeatureLayout.FromMetadata(md));
        Assert.Contains("histogram_bins", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMetadata_FeatureCountMismatch_Throws()
    {
        var md = new Dictionary<string, string>(FeatureLayout.Gmorl().ToMetadata())
        {
            [FeatureLayout.MetadataPrefix + "feature_count"] = "66",
        };
        Assert.Throws<FormatException>(() => FeatureLayout.FromMetadata(md));
    }

    [Fact]
    public void EnsureCompatible_DifferentBins_ThrowsDescribingBoth()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FeatureLayout.Gmorl().EnsureCompatible(FeatureLayout.Gmorl(histogramBins: 30)));
        Assert.Contains("histogram=30", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteServer_ReferenceUnitsAndOpenLastBin()
    {
        var encoder = new ObservationEncoder(FeatureLayout.Gmorl());
        var row = new float[68];
        // Marks minus offset 10 give residuals 0.5, 1.5, 1.9, 75 Mbit.
        encoder.WriteServer(row, 16e6, 7, true, 4e9, 5e8, false, 4, [10.5e6, 11.5e6, 11.9e6, 85e6], 10e6);
        Assert.Equal([1f, 4f, 6f, 16f, 1f, 5f, 4f], row[..7]);
        Assert.Equal(16e6f / 5e8f, row[7], 6); // upload time L / rate, s
        Assert.Equal(1f, row[8]);
        Assert.Equal(2f, row[9]);
        Assert.Equal(1f, row[67]);
        Assert.Equal(4f, row[8..].Sum());
    }

    [Theory]
    [InlineData(-0.5, 0)]
    [InlineData(0.99e6, 0)]
    [InlineData(1e6, 1)]
    [InlineData(58.9e6, 58)]
    [InlineData(59e6, 59)]
    [InlineData(1e9, 59)]
    public void BinOf_ClampsToRange(double residual, int bin) =>
        Assert.Equal(bin, new ObservationEncoder(FeatureLayout.Gmorl()).BinOf(residual));

    [Fact]
    public void Encode_LiveObservation_MapsUnitsAndMasksUnavailable()
    {
        var layout = new FeatureLayout("gmorl-local", 4,
            [FeatureKind.Bias, FeatureKind.ComputeGhz, FeatureKind.ServerCount, FeatureKind.TaskMbit, FeatureKind.Active, FeatureKind.UplinkRate, FeatureKind.Executing, FeatureKind.IsLocal], 10, 1e6);
        var encoder = new ObservationEncoder(layout);
        var obs = new OffloadObservation(new TaskObservation("ocr", 1_000_000, null),
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 4, Executing = 1, Queued = 1, ResidualWorkHistogram = [0, 2, 0], HistogramBinSeconds = 1 },
            new ServerObservation { Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 2e8, ExpectedExecSeconds = 1 },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false },
        ]);
        var servers = new float[4 * layout.FeatureCount];
        var mask = new float[4];
        var pref = new float[2];
        encoder.Encode(obs, new Preference(0.25), servers, mask, pref);

        var f = layout.FeatureCount;
        Assert.Equal([1f, 1f, 0f, 0f], mask);
        // Local: 8 Mbit task, 4 s alone -> effective f = 8e6 * 1000 / 4 = 2 GHz; rate stand-in 1e10 -> 100.
        Assert.Equal([1f, 2f, 1f, 8f, 1f, 100f, 2f, 1f], servers[..8]);
        // Two tasks with 1-2 s residual at 2e6 bits/s of work -> 3 Mbit each (bin midpoint 1.5 s).
        Assert.Equal(2f, servers[8 + 3]);
        Assert.Equal([1f, 8f, 1f, 8f, 1f, 2f, 0f, 0f], servers[f..(f + 8)]);
        Assert.All(servers[(2 * f)..], v => Assert.Equal(-1f, v));
        Assert.Equal([0.25f, 0.75f], pref);
    }

    [Fact]
    public void Encode_MoreServersThanLayout_Throws()
    {
        var layout = FeatureLayout.Gmorl(maxEdges: 0);
        var encoder = new ObservationEncoder(layout);
        var s = new ServerObservation { Placement = Placement.Peer("a"), Kind = ServerKind.Edge };
        var obs = new OffloadObservation(new TaskObservation("m", 1, null), [s, s]);
        var ex = Assert.Throws<ArgumentException>(() => encoder.Encode(obs, Preference.Balanced, new float[68], new float[1], new float[2]));
        Assert.Contains("at most 1", ex.Message, StringComparison.Ordinal);
    }
}

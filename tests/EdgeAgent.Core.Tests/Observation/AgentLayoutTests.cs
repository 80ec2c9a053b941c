using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

public sealed class AgentLayoutTests
{
    [Fact]
    public void Agent_Layout_HasNamedColumnsWithUnitsAndSecondsHistogram()
    {
        var layout = FeatureLayout.Agent();
        Assert.Equal("agent", layout.Profile);
        Assert.Equal(11, layout.MaxServers);
        Assert.Equal(21 + 16, layout.FeatureCount);
        Assert.Equal(HistogramUnit.Seconds, layout.HistogramUnit);
        Assert.Equal(0.01, layout.HistogramBinSeconds);
        Assert.Equal(0, layout.HistogramBinBits);
        Assert.True(layout.IsAgentLayout);
        Assert.False(FeatureLayout.Gmorl().IsAgentLayout);
        var names = layout.ColumnNames();
        Assert.Equal("round_trip[log10(s + 1e-4)]", names[4]);
        Assert.Equal("uplink[log10 bit/s]", names[5]);
        Assert.Equal("device_energy_estimate[log10(J + 1e-6)]", names[13]);
        Assert.Equal("residual_hist_0[tasks with residual in [0, 10) ms]", names[21]);
        Assert.Equal("residual_hist_15[tasks with residual >= 150 ms]", names[36]);
    }

    [Fact]
    public void Metadata_AgentLayout_RoundTripsAsVersion2()
    {
        var layout = FeatureLayout.Agent(maxPeers: 5, histogramBins: 8, histogramBinSeconds: 0.025);
        var md = layout.ToMetadata();
        Assert.Equal("2", md[FeatureLayout.MetadataPrefix + "version"]);
        Assert.Equal("s", md[FeatureLayout.MetadataPrefix + "histogram_unit"]);
        Assert.Equal("0.025", md[FeatureLayout.MetadataPrefix + "histogram_bin_width"]);
        var back = FeatureLayout.FromMetadata(md);
        Assert.Equal(layout, back);
        Assert.Equal(layout.ColumnNames(), back.ColumnNames());
        Assert.Equal(md, back.ToMetadata());
    }

    [Fact]
    public void Metadata_GmorlLayout_StaysVersion1WithBitsKey()
    {
        var md = FeatureLayout.Gmorl().ToMetadata();
        Assert.Equal("1", md[FeatureLayout.MetadataPrefix + "version"]);
        Assert.Equal("1000000", md[FeatureLayout.MetadataPrefix + "histogram_bin_bits"]);
        Assert.False(md.ContainsKey(FeatureLayout.MetadataPrefix + "histogram_unit"));
        Assert.Equal(10, md.Count);
        Assert.Equal(FeatureLayout.Gmorl(), FeatureLayout.FromMetadata(md));
    }

    [Fact]
    public void FromMetadata_UnknownHistogramUnit_ThrowsNamingKey()
    {
        var md = new Dictionary<string, string>(FeatureLayout.Agent().ToMetadata())
        {
            [FeatureLayout.MetadataPrefix + "histogram_unit"] = "furlongs",
        };
        var ex = Assert.Throws<FormatException>(() => FeatureLayout.FromMetadata(md));
        Assert.Contains("histogram_unit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("furlongs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMetadata_FutureVersion_ThrowsNamingVersion()
    {
        var md = new Dictionary<string, string>(FeatureLayout.Agent().ToMetadata())
        {
            [FeatureLayout.MetadataPrefix + "version"] = "3",
        };
        var ex = Assert.Throws<FormatException>(() => FeatureLayout.FromMetadata(md));
        Assert.Contains("version' is 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureCompatible_MissingFeature_NamesExpectedAndProducedColumn()
    {
        var policy = FeatureLayout.Agent();
        var agent = new FeatureLayout("agent", 11, FeatureLayout.AgentScalars.Where(k => k != FeatureKind.RoundTripLog), 16, 0.01, HistogramUnit.Seconds);
        var ex = Assert.Throws<InvalidOperationException>(() => agent.EnsureCompatible(policy));
        Assert.Contains("policy expects feature 'round_trip[log10(s + 1e-4)]' at column 4; this agent produces 'uplink[log10 bit/s]'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureCompatible_OtherBinWidth_NamesFirstHistogramColumn()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            FeatureLayout.Agent().EnsureCompatible(FeatureLayout.Agent(histogramBinSeconds: 0.02), "the simulator"));
        Assert.Contains("policy expects feature 'residual_hist_0[tasks with residual in [0, 20) ms]' at column 21; the simulator produces 'residual_hist_0[tasks with residual in [0, 10) ms]'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureCompatible_ExtraColumn_NamesIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FeatureLayout.Agent().EnsureCompatible(FeatureLayout.Agent(histogramBins: 15)));
        Assert.Contains("policy expects feature 'residual_hist_14[tasks with residual >= 140 ms]' at column 35; this agent produces 'residual_hist_14[tasks with residual in [140, 150) ms]'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureCompatible_SameColumnsOtherProfileOrRows_NamesProfileOrS()
    {
        var gmorl = FeatureLayout.Gmorl();
        var renamed = new FeatureLayout("shannon", 11, gmorl.Scalars.Select(s => s.Kind), 60, 1e6);
        var ex = Assert.Throws<InvalidOperationException>(() => gmorl.EnsureCompatible(renamed));
        Assert.Contains("policy was trained for profile 'shannon'; this agent produces profile 'gmorl'", ex.Message, StringComparison.Ordinal);
        var rows = Assert.Throws<InvalidOperationException>(() => FeatureLayout.Agent().EnsureCompatible(FeatureLayout.Agent(maxPeers: 4)));
        Assert.Contains("policy expects S = 7 candidate rows; this agent produces 11", rows.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureCompatible_SameLayout_DoesNotThrow() =>
        FeatureLayout.Agent().EnsureCompatible(FeatureLayout.FromMetadata(FeatureLayout.Agent().ToMetadata()));
}

using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests;

public sealed class PreferenceTests
{
    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Constructor_WeightOutsideUnitInterval_Throws(double w)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Preference(w));
        Assert.Contains("delay weight", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnergyWeight_IsComplementOfDelayWeight()
    {
        var p = new Preference(0.3);
        Assert.Equal(0.7, p.EnergyWeight, 12);
        Assert.Equal((0.3 * 2.0) + (0.7 * 4.0), p.Scalarise(2.0, 4.0), 12);
    }

    [Fact]
    public void Placement_ToString_NamesKindAndTarget()
    {
        Assert.Equal("local", Placement.Local().ToString());
        Assert.Equal("local:int8", Placement.Local("int8").ToString());
        Assert.Equal("peer:cloud", Placement.Peer("cloud").ToString());
    }
}

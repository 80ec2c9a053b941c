using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Offloading;

public sealed class OperatorPreferenceTests
{
    [Fact]
    public void Set_NewValue_RaisesChangedWithSource()
    {
        var holder = new OperatorPreference(Preference.Balanced);
        var seen = new List<(double, string)>();
        holder.Changed += (p, source) => seen.Add((p.DelayWeight, source));

        holder.Set(new Preference(0.8), "control");
        holder.Set(new Preference(0.8), "gpio");

        Assert.Equal(0.8, holder.Current.DelayWeight);
        Assert.Equal([(0.8, "control")], seen);
    }
}

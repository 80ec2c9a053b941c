namespace EdgeAgent.Hardware.Power;

/// <summary>A rail backed by a cumulative microjoule file: counter, wrap range, and the last read's power.</summary>
internal sealed class EnergyCounterRail(string label, SysfsAttribute energy, long rangeMicrojoules) : IDisposable
{
    public string Label { get; } = label;

    public CumulativeCounter Counter { get; } = new(rangeMicrojoules);

    public bool TryUpdate(out long deltaMicrojoules)
    {
        if (!energy.TryReadInt64(out var raw) || raw < 0)
        {
            deltaMicrojoules = 0;
            return false;
        }

        deltaMicrojoules = Counter.Update(raw);
        return true;
    }

    public void Dispose() => energy.Dispose();
}

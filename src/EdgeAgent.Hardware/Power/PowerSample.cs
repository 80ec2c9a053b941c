namespace EdgeAgent.Hardware.Power;

/// <summary>One rail of a power monitor at one instant, in SI units.</summary>
/// <param name="Name">Rail label as the hardware names it ("VDD_IN", "package-0").</param>
/// <param name="Watts">Power on the rail.</param>
/// <param name="Volts">Bus voltage, when the sensor reports it.</param>
/// <param name="Amperes">Current, when the sensor reports it (negative when flowing backwards).</param>
public readonly record struct RailReading(string Name, double Watts, double? Volts = null, double? Amperes = null);

/// <summary>
/// One reading of a power source: the machine's total power, the rails it was computed from, and
/// whether it was measured or modelled.
/// </summary>
public sealed record PowerSample
{
    /// <summary>Creates a sample.</summary>
    public PowerSample(double totalWatts, IReadOnlyList<RailReading> rails, PowerSourceKind kind)
    {
        TotalWatts = totalWatts;
        Rails = rails;
        Kind = kind;
    }

    /// <summary>Total power of the machine (or module) in watts.</summary>
    public double TotalWatts { get; }

    /// <summary>The individual rails, in the order the hardware lists them.</summary>
    public IReadOnlyList<RailReading> Rails { get; }

    /// <summary>Measured or modelled.</summary>
    public PowerSourceKind Kind { get; }

    /// <summary>
    /// For sources backed by a cumulative energy counter (RAPL, hwmon energy files): joules counted
    /// since the source was opened, already corrected for wrap-around. When present, the meter
    /// integrates differences of this value instead of the power curve, which is exact.
    /// </summary>
    public double? CumulativeJoules { get; init; }

    /// <summary>
    /// Applies the rule shared by the Jetson monitors: the input rail (VDD_IN, POM_5V_IN) is the
    /// module's total where present, otherwise the rails are summed (AGX Orin has no input rail).
    /// </summary>
    public static double TotalOf(IReadOnlyList<RailReading> rails)
    {
        ArgumentNullException.ThrowIfNull(rails);
        foreach (var rail in rails)
        {
            if (IsInputRail(rail.Name))
            {
                return rail.Watts;
            }
        }

        var sum = 0.0;
        foreach (var rail in rails)
        {
            sum += rail.Watts;
        }

        return sum;
    }

    /// <summary>True for the rail names that carry a whole module's input power.</summary>
    public static bool IsInputRail(string name) =>
        name is "VDD_IN" or "POM_5V_IN";
}

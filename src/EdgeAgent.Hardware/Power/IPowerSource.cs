using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>Whether a source reads a sensor or computes from a model.</summary>
public enum PowerSourceKind
{
    /// <summary>Readings come from a power sensor.</summary>
    Measured,

    /// <summary>Readings come from a device profile; every figure is an estimate.</summary>
    Modelled,
}

/// <summary>
/// Something that reports this machine's electrical power: a Jetson INA3221, an INA219 on I2C,
/// hwmon or RAPL files, tegrastats output, or a model. Implementations take an injectable sysfs
/// root or device object so they can be tested without hardware.
/// </summary>
public interface IPowerSource : IDisposable
{
    /// <summary>Short stable identifier ("ina3221-hwmon", "rapl", "model").</summary>
    string Name { get; }

    /// <summary>One line for operators: what is read and from where.</summary>
    string Description { get; }

    /// <summary>Measured or modelled.</summary>
    PowerSourceKind Kind { get; }

    /// <summary>
    /// Reads the current power. Returns false when no reading is available now (file vanished,
    /// I2C error, first read of a cumulative counter); the caller keeps its previous value.
    /// </summary>
    bool TryRead([NotNullWhen(true)] out PowerSample? sample);

    /// <summary>
    /// Reads only what the total needs, for high-rate sampling (a Jetson with VDD_IN reads one
    /// channel instead of all). The default reads everything through <see cref="TryRead"/>.
    /// </summary>
    /// <param name="totalWatts">Total power.</param>
    /// <param name="cumulativeJoules">The source's cumulative energy, when it has a counter (see <see cref="PowerSample.CumulativeJoules"/>).</param>
    bool TryReadTotal(out double totalWatts, out double? cumulativeJoules)
    {
        if (TryRead(out var sample))
        {
            (totalWatts, cumulativeJoules) = (sample.TotalWatts, sample.CumulativeJoules);
            return true;
        }

        (totalWatts, cumulativeJoules) = (0.0, null);
        return false;
    }
}

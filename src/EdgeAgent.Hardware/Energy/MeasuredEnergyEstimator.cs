using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// The agent's <see cref="IEnergyEstimator"/> backed by the energy meter: local energy is the
/// execution time times the power above idle per executing task that the meter measured recently
/// (<see cref="EnergyMeter.WattsPerTask"/>), falling back to the device profile's busy minus idle
/// power until a busy sample was seen (or when the source is a model). Offload energy is the radio
/// model at the link's measured transfer time (always modelled; the device idles while waiting).
/// </summary>
public sealed class MeasuredEnergyEstimator(EnergyMeter meter, DeviceProfile fallbackProfile, RadioModel radio) : IEnergyEstimator
{
    /// <summary>Where <see cref="LocalJoules"/> comes from right now.</summary>
    public EnergyProvenance LocalProvenance =>
        meter.Provenance == EnergyProvenance.Measured && meter.WattsPerTask is not null ? EnergyProvenance.Measured : EnergyProvenance.Modelled;

    /// <summary>Power above idle charged per second of local execution now.</summary>
    public double LocalWatts =>
        LocalProvenance == EnergyProvenance.Measured
            ? Math.Max(0.0, meter.WattsPerTask!.Value)
            : Math.Max(0.0, fallbackProfile.BusyWatts - fallbackProfile.IdleWatts);

    /// <inheritdoc />
    public double LocalJoules(double execSeconds, string variant) =>
        double.IsFinite(execSeconds) ? LocalWatts * Math.Max(0.0, execSeconds) : 0.0;

    /// <inheritdoc />
    public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds)
    {
        if (!(transferSeconds > 0) || !double.IsFinite(transferSeconds))
        {
            return 0.0;
        }

        var up = Math.Max(0, uploadBytes);
        var down = Math.Max(0, downloadBytes);
        var upShare = up + down > 0 ? (double)up / (up + down) : 1.0;
        return transferSeconds * ((radio.TransmitWatts * upShare) + (radio.ReceiveWatts * (1.0 - upShare)));
    }
}

using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// The agent's <see cref="IEnergyEstimator"/> backed by the energy meter. Local energy is the
/// execution time times the power above idle per executing task that the meter measured recently
/// (<see cref="EnergyMeter.WattsPerTask"/>). Until a busy sample was measured, or when the meter's
/// source is a model, it asks <paramref name="fallback"/> (the <see cref="DeviceEnergyModel"/>).
/// Offload energy always comes from <paramref name="fallback"/> (a radio model: this device cannot
/// measure its radio apart from the rest).
/// </summary>
public sealed class MeasuredEnergyEstimator(EnergyMeter meter, IEnergyEstimator fallback) : IEnergyEstimator
{
    /// <summary>Where <see cref="LocalJoules"/> comes from right now.</summary>
    public EnergyProvenance LocalProvenance =>
        meter.Provenance == EnergyProvenance.Measured && meter.WattsPerTask is not null ? EnergyProvenance.Measured : fallback.LocalProvenance;

    /// <summary>The estimator used while nothing is measured, and for offloads.</summary>
    public IEnergyEstimator Fallback => fallback;

    /// <inheritdoc />
    public double LocalJoules(double execSeconds, string variant)
    {
        if (LocalProvenance != EnergyProvenance.Measured)
        {
            return fallback.LocalJoules(execSeconds, variant);
        }

        return double.IsFinite(execSeconds) ? Math.Max(0.0, meter.WattsPerTask!.Value) * Math.Max(0.0, execSeconds) : 0.0;
    }

    /// <inheritdoc />
    public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds) =>
        fallback.OffloadJoules(uploadBytes, downloadBytes, transferSeconds, waitSeconds);
}

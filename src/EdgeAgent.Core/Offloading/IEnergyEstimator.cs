namespace EdgeAgent.Core.Offloading;

/// <summary>
/// Energy this device spends on one task, in joules, for each way of placing it. The agent ships
/// a configurable device model (idle, busy and radio watts); a measured estimator (power rails
/// read by EdgeAgent.Hardware) can replace it without touching the agent.
/// </summary>
public interface IEnergyEstimator
{
    /// <summary>Energy to execute locally for <paramref name="execSeconds"/> with the given model variant.</summary>
    double LocalJoules(double execSeconds, string variant);

    /// <summary>
    /// Energy to offload: transmitting <paramref name="uploadBytes"/> (and receiving
    /// <paramref name="downloadBytes"/>) for <paramref name="transferSeconds"/> of radio time, then
    /// waiting <paramref name="waitSeconds"/> for the reply.
    /// </summary>
    double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds);

    /// <summary>
    /// Where <see cref="LocalJoules"/> figures come from right now: modelled for a device table,
    /// measured when a power sensor backs them (EdgeAgent.Hardware's measured estimator).
    /// </summary>
    EnergyProvenance LocalProvenance => EnergyProvenance.Modelled;
}

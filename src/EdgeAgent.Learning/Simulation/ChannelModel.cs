namespace EdgeAgent.Learning.Simulation;

/// <summary>How the uplink rate follows from distance and fading.</summary>
public enum ChannelModel
{
    /// <summary>
    /// The public reference implementation's formula, rate = W log2(1 + p (g/N)^2 / N): about
    /// 390-1010 Mbit/s, uploads finish within a step. The benchmark profile: the published figures need it.
    /// </summary>
    Gmorl,

    /// <summary>The paper's Eq. 2 as written, rate = W log2(1 + p g / N): about 0.002-87 Mbit/s.</summary>
    Shannon,
}

/// <summary>Uplink rate of one user-server pair (the channel constants of <see cref="MecParameters"/>).</summary>
public static class ChannelRate
{
    /// <summary>Noise power N = N0 * W in watts.</summary>
    public static double NoiseWatts(MecParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Math.Pow(10, (p.NoiseDbmPerHz - 30) / 10) * p.BandwidthHz;
    }

    /// <summary>Channel power gain g (path loss, shadowing, antenna gain) times the fading power.</summary>
    public static double Gain(MecParameters p, double distanceMetres, double fadingPower)
    {
        ArgumentNullException.ThrowIfNull(p);
        var pathLossDb = (p.PathLossExponentDb * Math.Log10(distanceMetres / 1000.0)) + p.PathLossAt1KmDb;
        var totalDb = p.AntennaGainDb - p.ShadowingDb - pathLossDb;
        return Math.Pow(10, totalDb / 10) * fadingPower;
    }

    /// <summary>Uplink rate in bits per second.</summary>
    public static double BitsPerSecond(MecParameters p, double distanceMetres, double fadingPower)
    {
        ArgumentNullException.ThrowIfNull(p);
        var noise = NoiseWatts(p);
        var g = Gain(p, distanceMetres, fadingPower);
        var snr = p.Channel switch
        {
            ChannelModel.Gmorl => p.OffloadPowerWatts * (g / noise) * (g / noise) / noise,
            _ => p.OffloadPowerWatts * g / noise,
        };
        return p.BandwidthHz * Math.Log2(1 + snr);
    }
}

using System.Globalization;

namespace EdgeAgent.Node.Demo;

/// <summary>
/// An emulated node of the demo. Compute speed is a factor of this machine's CPU in (0, 1]:
/// the executor holds its slot for exec / factor, so nothing runs faster than the host can.
/// </summary>
/// <param name="Name">Peer name ("edge", "cloud") or "local".</param>
/// <param name="ComputeSpeedFactor">Fraction of this CPU's speed.</param>
/// <param name="RoundTrip">Added round-trip time of the agent-to-node link (zero for local).</param>
/// <param name="BandwidthBitsPerSecond">Bandwidth cap of the link (infinity for local).</param>
public sealed record DemoProfile(string Name, double ComputeSpeedFactor, TimeSpan RoundTrip, double BandwidthBitsPerSecond)
{
    /// <summary>Speed relative to the board (the agent's own device).</summary>
    public double SpeedVersusBoard => ComputeSpeedFactor / DemoProfiles.Board.ComputeSpeedFactor;

    /// <summary>"edge: RTT 5 ms, 200 Mbit/s, 2.4x the board".</summary>
    public string Label => Name == "local"
        ? string.Create(CultureInfo.InvariantCulture, $"local board: 1x (emulated at {ComputeSpeedFactor:0.##} of this CPU), no link")
        : string.Create(CultureInfo.InvariantCulture, $"{Name}: RTT {RoundTrip.TotalMilliseconds:0} ms, {BandwidthBitsPerSecond / 1e6:0} Mbit/s, {SpeedVersusBoard:0.#}x the board");

    /// <summary>The agent's --peer form: NAME=URL;rtt=..;bw=...</summary>
    public string PeerSpec(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return string.Create(CultureInfo.InvariantCulture, $"{Name}={url.ToString().TrimEnd('/')};rtt={RoundTrip.TotalMilliseconds:0.###}ms;bw={BandwidthBitsPerSecond / 1e6:0.###}mbit");
    }
}

/// <summary>The demo's three nodes.</summary>
public static class DemoProfiles
{
    /// <summary>The edge board the agent runs on: a third of this CPU.</summary>
    public static DemoProfile Board { get; } = new("local", 1.0 / 3.0, TimeSpan.Zero, double.PositiveInfinity);

    /// <summary>A nearby edge server: short, fast link, 2.4x the board.</summary>
    public static DemoProfile Edge { get; } = new("edge", 0.8, TimeSpan.FromMilliseconds(5), 200e6);

    /// <summary>A cloud machine: long, slower link, 3x the board.</summary>
    public static DemoProfile Cloud { get; } = new("cloud", 1.0, TimeSpan.FromMilliseconds(40), 50e6);
}

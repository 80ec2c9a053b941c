using System.Globalization;

namespace EdgeAgent.Demo.Cluster;

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

    /// <summary>The agent's --peer form: NAME=URL;rtt=..;bw=... (without bw= when a real link limits the rate: <paramref name="emulateBandwidth"/> false).</summary>
    public string PeerSpec(Uri url, bool emulateBandwidth = true)
    {
        ArgumentNullException.ThrowIfNull(url);
        return emulateBandwidth
            ? string.Create(CultureInfo.InvariantCulture, $"{Name}={url.ToString().TrimEnd('/')};rtt={RoundTrip.TotalMilliseconds:0.###}ms;bw={BandwidthBitsPerSecond / 1e6:0.###}mbit")
            : string.Create(CultureInfo.InvariantCulture, $"{Name}={url.ToString().TrimEnd('/')};rtt={RoundTrip.TotalMilliseconds:0.###}ms");
    }
}

/// <summary>The demo's three nodes, and link/speed contexts written as text.</summary>
public static class DemoProfiles
{
    /// <summary>The demo's default peers as a context specification.</summary>
    public const string DefaultContext = "edge:rtt=5ms,bw=200mbit,speed=2.4;cloud:rtt=40ms,bw=50mbit,speed=3";

    /// <summary>
    /// Parses a link/speed context, <c>NAME:rtt=5ms,bw=200mbit,speed=2.4;NAME:...</c>: per peer its
    /// added round-trip time (ms), bandwidth (Mbit/s) and compute speed in times the board's (at most
    /// 3: the board runs at a third of this CPU and nothing runs faster than the CPU). "default" is
    /// <see cref="DefaultContext"/>.
    /// </summary>
    public static bool TryParseContext(string? spec, out IReadOnlyList<DemoProfile> peers, out string error)
    {
        peers = [];
        error = "";
        if (string.IsNullOrWhiteSpace(spec))
        {
            error = "a link profile is empty; use NAME:rtt=5ms,bw=200mbit,speed=2.4;NAME:... or 'default'";
            return false;
        }

        spec = spec.Trim();
        if (spec.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            spec = DefaultContext;
        }

        var list = new List<DemoProfile>();
        foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var name = colon > 0 ? part[..colon].Trim() : "";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                error = $"'{part}' in link profile '{spec}' does not start with a peer name and a colon (edge:rtt=5ms,bw=200mbit,speed=2.4)";
                return false;
            }

            double? rtt = null, bw = null, speed = null;
            foreach (var setting in part[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = setting.IndexOf('=', StringComparison.Ordinal);
                var key = eq > 0 ? setting[..eq].Trim().ToUpperInvariant() : "";
                var text = eq > 0 ? setting[(eq + 1)..].Trim().ToUpperInvariant() : "";
                var (unit, target) = key switch
                {
                    "RTT" => ("MS", 0),
                    "BW" => ("MBIT", 1),
                    "SPEED" => ("X", 2),
                    _ => ("", -1),
                };
                if (target < 0)
                {
                    error = $"peer '{name}' has setting '{setting}'; use rtt=MS ms, bw=MBIT mbit and speed=TIMES (the board's speed)";
                    return false;
                }

                if (text.EndsWith(unit, StringComparison.Ordinal))
                {
                    text = text[..^unit.Length];
                }

                if (!double.TryParse(text, System.Globalization.NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                {
                    error = $"peer '{name}' setting '{setting}' is not a number";
                    return false;
                }

                if (target == 0) rtt = value;
                else if (target == 1) bw = value;
                else speed = value;
            }

            if (rtt is not (>= 0 and <= 10_000) || bw is not (> 0 and <= 100_000) || speed is not (> 0))
            {
                error = $"peer '{name}' needs rtt in [0, 10000] ms, bw in (0, 100000] Mbit/s and speed > 0 times the board";
                return false;
            }

            var factor = speed.Value * Board.ComputeSpeedFactor;
            if (factor > 1.0 + 1e-9)
            {
                error = string.Create(CultureInfo.InvariantCulture,
                    $"peer '{name}' speed {speed} is more than {1.0 / Board.ComputeSpeedFactor:0.#}x the board, which would be faster than this CPU");
                return false;
            }

            list.Add(new DemoProfile(name, Math.Min(1.0, factor), TimeSpan.FromMilliseconds(rtt.Value), bw.Value * 1e6));
        }

        if (list.Count == 0 || list.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != list.Count)
        {
            error = $"link profile '{spec}' must name at least one peer, each once";
            return false;
        }

        peers = list;
        return true;
    }

    /// <summary>The edge board the agent runs on: a third of this CPU.</summary>
    public static DemoProfile Board { get; } = new("local", 1.0 / 3.0, TimeSpan.Zero, double.PositiveInfinity);

    /// <summary>A nearby edge server: short, fast link, 2.4x the board.</summary>
    public static DemoProfile Edge { get; } = new("edge", 0.8, TimeSpan.FromMilliseconds(5), 200e6);

    /// <summary>A cloud machine: long, slower link, 3x the board.</summary>
    public static DemoProfile Cloud { get; } = new("cloud", 1.0, TimeSpan.FromMilliseconds(40), 50e6);
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Parses the power part of one <c>tegrastats</c> line. JetPack 5/6 print
/// <c>VDD_IN 4742mW/4742mW</c> (current/average), JetPack 4 printed the same pairs without a unit
/// (<c>POM_5V_IN 933/933</c>, milliwatts). Memory fields such as <c>RAM 2448/7620MB</c> and
/// <c>IRAM 0/252kB(lfb 252kB)</c> carry a unit after the second number and are not rails.
/// </summary>
public static partial class TegrastatsParser
{
    /// <summary>Extracts the rails (current values) from <paramref name="line"/>; false when the line has none.</summary>
    public static bool TryParse(string line, out IReadOnlyList<RailReading> rails)
    {
        ArgumentNullException.ThrowIfNull(line);
        List<RailReading>? found = null;
        foreach (Match match in RailPattern().Matches(line))
        {
            // Both numbers carry mW, or neither does (JetPack 4); a mixed pair is not a rail.
            if (match.Groups["u1"].Success != match.Groups["u2"].Success)
            {
                continue;
            }

            if (!long.TryParse(match.Groups["now"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var milliwatts))
            {
                continue;
            }

            (found ??= []).Add(new RailReading(match.Groups["name"].Value, milliwatts / 1000.0));
        }

        rails = (IReadOnlyList<RailReading>?)found ?? [];
        return found is not null;
    }

    /// <summary>Parses a line into a measured sample with the Jetson total rule; false when it has no rails.</summary>
    public static bool TryParseSample(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PowerSample? sample)
    {
        if (!TryParse(line, out var rails))
        {
            sample = null;
            return false;
        }

        sample = new PowerSample(PowerSample.TotalOf(rails), rails, PowerSourceKind.Measured);
        return true;
    }

    [GeneratedRegex(@"(?<![\w@])(?<name>[A-Za-z][A-Za-z0-9_]*) (?<now>\d{1,9})(?<u1>mW)?/(?<avg>\d{1,9})(?<u2>mW)?(?=\s|$)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RailPattern();
}

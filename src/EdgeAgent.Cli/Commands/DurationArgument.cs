using System.CommandLine.Parsing;
using System.Globalization;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// Parses run lengths the way operators type them: "90" or "90s" (seconds), "2m", "1h", or
/// "hh:mm:ss". A bare number means seconds, not days as TimeSpan's own parser would read it.
/// </summary>
internal static class DurationArgument
{
    public static TimeSpan Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : string.Empty;
        if (TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"{result.Argument.Name}: '{text}' is not a duration; write 90, 90s, 2m, 1h or hh:mm:ss.");
        return default;
    }

    internal static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length == 0)
        {
            return false;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
        }

        var scale = text[^1] switch
        {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            _ when char.IsDigit(text[^1]) => 1.0,
            _ => double.NaN,
        };
        var number = char.IsDigit(text[^1]) ? text : text[..^1];
        if (double.IsNaN(scale)
            || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value * scale > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}

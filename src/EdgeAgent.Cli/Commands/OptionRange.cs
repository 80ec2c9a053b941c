using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace EdgeAgent.Cli.Commands;

/// <summary>Value checks for options (numeric ranges, non-empty text), with one error message form for every command.</summary>
internal static class OptionRange
{
    /// <summary>Rejects values outside [<paramref name="min"/>, <paramref name="max"/>]: "--name must be between min and max[ unit]."</summary>
    public static Option<T> MustBeBetween<T>(this Option<T> option, T min, T max, string? unit = null)
        where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (!TryGetValue(result, option, out var value))
            {
                return;
            }

            if (value is null || T.IsNaN(value) || value < min || value > max)
            {
                var suffix = unit is null ? string.Empty : " " + unit;
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between {min} and {max}{suffix}."));
            }
        });
        return option;
    }

    /// <summary>The same for an optional value: absent is fine, a given value must be in range.</summary>
    public static Option<T?> MustBeBetween<T>(this Option<T?> option, T min, T max, string? unit = null)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, option, out var given) && given is { } value && (T.IsNaN(value) || value < min || value > max))
            {
                var suffix = unit is null ? string.Empty : " " + unit;
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between {min} and {max}{suffix}."));
            }
        });
        return option;
    }

    /// <summary>
    /// For an optional value passed on as a setting that validates its own range (a duration,
    /// a weight): absent is fine, NaN or an infinity is refused here, in the option's own
    /// words and unit, rather than as the setting's text.
    /// </summary>
    public static Option<double?> MustBeFinite(this Option<double?> option, string unit)
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, option, out var given) && given is { } value && !double.IsFinite(value))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} is {value}; it takes a finite number of {unit}."));
            }
        });
        return option;
    }

    /// <summary>Rejects an empty or blank value (`--from-log ""`): "--name must not be empty."</summary>
    public static TOption MustNotBeEmpty<TOption>(this TOption option)
        where TOption : Option
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value)))
            {
                result.AddError($"{option.Name} must not be empty.");
            }
        });
        return option;
    }

    /// <summary>
    /// The option's value for a validator; false when the given text does not convert to
    /// <typeparamref name="T"/>. The parser reports that itself ("option '--days': 'abc' is not a whole
    /// number."), but `GetValue` throws on it, and a validator
    /// that throws ends the process during parsing with a stack trace.
    /// </summary>
    public static bool TryGetValue<T>(OptionResult result, Option<T> option, out T? value)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            value = result.GetValue(option);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}

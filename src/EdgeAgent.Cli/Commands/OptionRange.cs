using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace EdgeAgent.Cli.Commands;

/// <summary>Range checks for numeric options, with one error message form for every command.</summary>
internal static class OptionRange
{
    /// <summary>Rejects values outside [<paramref name="min"/>, <paramref name="max"/>]: "--name must be between min and max[ unit]."</summary>
    public static Option<T> MustBeBetween<T>(this Option<T> option, T min, T max, string? unit = null)
        where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValue(option);
            if (value is null || value < min || value > max)
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
            if (result.GetValue(option) is { } value && (value < min || value > max))
            {
                var suffix = unit is null ? string.Empty : " " + unit;
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between {min} and {max}{suffix}."));
            }
        });
        return option;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// Turns the configuration binder's failure to convert a value ("Failed to convert configuration
/// value 'abc' at 'Serving:MaxRequestBytes' to type 'System.Int64'.", wherever it surfaces: a section
/// bound at start, an options class resolved by the host, a setting read on first use) into the one
/// start-up line every other bad setting gets: the key, the value and what the key takes
/// (<c>Serving:MaxRequestBytes is 'abc'; it takes a whole number from -9223372036854775808 to 9223372036854775807.</c>).
/// </summary>
public static partial class ConfigurationValueErrors
{
    /// <summary>The one-line description of the first binder conversion failure in <paramref name="exception"/>'s chain, or null when there is none.</summary>
    public static string? Describe(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is InvalidOperationException && BinderFailure().Match(e.Message) is { Success: true } match)
            {
                var value = match.Groups["value"].Value;
                var key = match.Groups["key"].Value;
                return $"{key} is '{Printable(value)}'; it takes {Expected(match.Groups["type"].Value)}.";
            }
        }

        return null;
    }

    // What a value of the binder's target type looks like, in words.
    private static string Expected(string typeName)
    {
        // Nullable<T> is named "System.Nullable`1[[T, assembly, ...]]".
        var nullable = NullableArgument().Match(typeName);
        var name = nullable.Success ? nullable.Groups["inner"].Value : typeName;
        return name switch
        {
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration as [d.]hh:mm:ss[.fff], such as 00:00:05",
            "System.Double" or "System.Single" or "System.Decimal" => "a number, such as 0.5 (a dot for the decimals)",
            "System.Byte" => WholeNumber(byte.MinValue, byte.MaxValue),
            "System.SByte" => WholeNumber(sbyte.MinValue, sbyte.MaxValue),
            "System.Int16" => WholeNumber(short.MinValue, short.MaxValue),
            "System.UInt16" => WholeNumber(ushort.MinValue, ushort.MaxValue),
            "System.Int32" => WholeNumber(int.MinValue, int.MaxValue),
            "System.UInt32" => WholeNumber(uint.MinValue, uint.MaxValue),
            "System.Int64" => WholeNumber(long.MinValue, long.MaxValue),
            "System.UInt64" => WholeNumber(ulong.MinValue, ulong.MaxValue),
            _ => FindEnum(name) is { } type ? "one of " + string.Join(", ", Enum.GetNames(type)) : $"a value of type {ShortName(name)}",
        };
    }

    private static string WholeNumber<T>(T min, T max) where T : IFormattable =>
        $"a whole number from {min.ToString(null, CultureInfo.InvariantCulture)} to {max.ToString(null, CultureInfo.InvariantCulture)}";

    private static Type? FindEnum(string fullName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(fullName, throwOnError: false) is { IsEnum: true } type)
            {
                return type;
            }
        }

        return null;
    }

    private static string ShortName(string fullName) => fullName[(fullName.LastIndexOf('.') + 1)..];

    // A value with control characters or a long one is shown escaped and cut, so the line stays one line.
    private static string Printable(string value) => WireText.Printable(value, keep: 80);

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex BinderFailure();

    [GeneratedRegex(@"^System\.Nullable`1\[\[(?<inner>[^,\]]+)")]
    private static partial Regex NullableArgument();
}

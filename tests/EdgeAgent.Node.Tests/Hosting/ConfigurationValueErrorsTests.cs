using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.Configuration;

namespace EdgeAgent.Node.Tests.Hosting;

public sealed class ConfigurationValueErrorsTests
{
    public enum Mode
    {
        Off,
        Basic,
        All,
    }

    public sealed class Settings
    {
        public int Count { get; set; }
        public long Bytes { get; set; }
        public double Ratio { get; set; }
        public bool Enabled { get; set; }
        public TimeSpan Interval { get; set; }
        public Mode Mode { get; set; }
        public int? Pin { get; set; }
    }

    // The binder's own exception for KEY = VALUE, as a node meets it.
    private static InvalidOperationException BinderFailure(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"Section:{key}"] = value }).Build();
        return Assert.Throws<InvalidOperationException>(() => configuration.GetSection("Section").Get<Settings>());
    }

    [Theory]
    [InlineData("Count", "abc", "Section:Count is 'abc'; it takes a whole number from -2147483648 to 2147483647.")]
    [InlineData("Count", "99999999999999999999", "Section:Count is '99999999999999999999'; it takes a whole number from -2147483648 to 2147483647.")]
    [InlineData("Bytes", "1.5", "Section:Bytes is '1.5'; it takes a whole number from -9223372036854775808 to 9223372036854775807.")]
    [InlineData("Ratio", "half", "Section:Ratio is 'half'; it takes a number, such as 0.5 (a dot for the decimals).")]
    [InlineData("Enabled", "maybe", "Section:Enabled is 'maybe'; it takes true or false.")]
    [InlineData("Interval", "5s", "Section:Interval is '5s'; it takes a duration as [d.]hh:mm:ss[.fff], such as 00:00:05.")]
    [InlineData("Mode", "most", "Section:Mode is 'most'; it takes one of Off, Basic, All.")]
    [InlineData("Pin", "GPIO17", "Section:Pin is 'GPIO17'; it takes a whole number from -2147483648 to 2147483647.")]
    public void Describe_BinderFailure_NamesKeyValueAndWhatTheKeyTakes(string key, string value, string expected)
    {
        Assert.Equal(expected, ConfigurationValueErrors.Describe(BinderFailure(key, value)));
    }

    [Fact]
    public void Describe_ControlCharactersAndLongValues_StayOnOneShortLine()
    {
        var description = ConfigurationValueErrors.Describe(BinderFailure("Count", "1\n2" + new string('x', 200)));

        Assert.NotNull(description);
        Assert.DoesNotContain('\n', description);
        Assert.Contains("'1\\u000a2xxx", description, StringComparison.Ordinal);
        Assert.Contains("...'", description, StringComparison.Ordinal);
        Assert.True(description.Length < 200, description);
    }

    [Fact]
    public void Describe_FailureWrappedInAnotherException_IsFound()
    {
        var wrapped = new InvalidOperationException("resolving a service failed", BinderFailure("Enabled", "yes please"));

        Assert.Equal("Section:Enabled is 'yes please'; it takes true or false.", ConfigurationValueErrors.Describe(wrapped));
    }

    [Fact]
    public void Describe_OtherExceptions_AreNotDescribed()
    {
        Assert.Null(ConfigurationValueErrors.Describe(new InvalidOperationException("Sequence contains no elements")));
        Assert.Null(ConfigurationValueErrors.Describe(new FormatException("Failed to convert configuration value 'a' at 'B' to type 'System.Int32'.")));
        Assert.Null(ConfigurationValueErrors.Describe(null));
    }
}

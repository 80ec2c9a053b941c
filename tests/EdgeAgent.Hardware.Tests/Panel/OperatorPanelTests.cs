using System.Device.Gpio;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Panel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Panel;

public sealed class OperatorPanelTests
{
    private const int Button = 17;
    private static readonly int[] Leds = [22, 23, 24];

    private static OperatorPanelOptions Wired(PanelInputMode mode = PanelInputMode.Button) => new()
    {
        ButtonPin = Button,
        LedPins = [.. Leds],
        InputMode = mode,
        DebounceMs = 30,
    };

    private static (OperatorPanel Panel, SimulatedGpioDriver Driver, OperatorPreference Preference, FakeTimeProvider Time) Start(
        OperatorPanelOptions? options = null, double initialDelayWeight = 0.5)
    {
        var driver = new SimulatedGpioDriver();
        var time = new FakeTimeProvider();
        var preference = new OperatorPreference(new Preference(initialDelayWeight));
        var panel = OperatorPanel.Create(options ?? Wired(), preference, time, driverFactory: _ => driver);
        panel.Start();
        return (panel, driver, preference, time);
    }

    // A press as a real contact makes it: a few bounces within milliseconds, then held low, then released with bounce.
    private static void PressWithBounce(SimulatedGpioDriver driver, FakeTimeProvider time)
    {
        foreach (var level in new[] { PinValue.Low, PinValue.High, PinValue.Low, PinValue.High, PinValue.Low })
        {
            driver.SetInput(Button, level);
            time.Advance(TimeSpan.FromMilliseconds(2));
        }

        time.Advance(TimeSpan.FromMilliseconds(100));
        foreach (var level in new[] { PinValue.High, PinValue.Low, PinValue.High })
        {
            driver.SetInput(Button, level);
            time.Advance(TimeSpan.FromMilliseconds(3));
        }

        time.Advance(TimeSpan.FromMilliseconds(100));
    }

    private static PinValue[] LedLevels(SimulatedGpioDriver driver) => [.. Leds.Select(driver.LevelOf)];

    [Fact]
    public void Start_OpensPinsThroughController_AndShowsPresetNearestToPreference()
    {
        var (panel, driver, _, _) = Start();
        using var _p = panel;

        Assert.True(panel.IsEnabled);
        Assert.Equal(PinMode.InputPullUp, driver.ModeOf(Button));
        Assert.All(Leds, l => Assert.Equal(PinMode.Output, driver.ModeOf(l)));
        Assert.Equal(1, driver.CallbackCount);
        Assert.Equal("balanced", panel.ActivePreset.Name);
        Assert.Equal([PinValue.Low, PinValue.High, PinValue.Low], LedLevels(driver));
    }

    [Fact]
    public void ButtonPress_WithBounce_AdvancesOnePresetAndSetsPreference()
    {
        var (panel, driver, preference, time) = Start();
        using var _p = panel;
        var changes = new List<(Preference, string)>();
        preference.Changed += (p, s) => changes.Add((p, s));

        PressWithBounce(driver, time);

        Assert.Equal("fast", panel.ActivePreset.Name);
        Assert.Equal([(new Preference(0.8), "gpio")], changes);
        Assert.Equal([PinValue.Low, PinValue.Low, PinValue.High], LedLevels(driver));
    }

    [Fact]
    public void ButtonPress_ThreeTimes_CyclesAroundToTheStart()
    {
        var (panel, driver, preference, time) = Start();
        using var _p = panel;

        PressWithBounce(driver, time);
        PressWithBounce(driver, time);
        Assert.Equal("energy-saving", panel.ActivePreset.Name);
        Assert.Equal(0.2, preference.Current.DelayWeight, 12);
        PressWithBounce(driver, time);

        Assert.Equal("balanced", panel.ActivePreset.Name);
        Assert.Equal(0.5, preference.Current.DelayWeight, 12);
    }

    [Fact]
    public void Glitch_ShorterThanDebounce_IsIgnored()
    {
        var (panel, driver, preference, time) = Start();
        using var _p = panel;

        driver.SetInput(Button, PinValue.Low);
        time.Advance(TimeSpan.FromMilliseconds(5));
        driver.SetInput(Button, PinValue.High);
        time.Advance(TimeSpan.FromMilliseconds(200));

        Assert.Equal("balanced", panel.ActivePreset.Name);
        Assert.Equal(0.5, preference.Current.DelayWeight, 12);
    }

    [Fact]
    public void Switch_TwoPositions_SelectFirstAndLastPreset()
    {
        var (panel, driver, preference, time) = Start(Wired(PanelInputMode.Switch));
        using var _p = panel;
        Assert.Equal("energy-saving", panel.ActivePreset.Name); // switch open (pulled up) = off
        Assert.Equal(0.2, preference.Current.DelayWeight, 12);

        driver.SetInput(Button, PinValue.Low);
        driver.SetInput(Button, PinValue.High);
        driver.SetInput(Button, PinValue.Low);
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal("fast", panel.ActivePreset.Name);
        Assert.Equal(0.8, preference.Current.DelayWeight, 12);

        driver.SetInput(Button, PinValue.High);
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal("energy-saving", panel.ActivePreset.Name);
    }

    [Fact]
    public void NotifyOffload_BlinksActiveLedOffThenBackOn()
    {
        var (panel, driver, _, time) = Start();
        using var _p = panel;
        driver.Writes.Clear();

        panel.NotifyOffload();
        panel.NotifyOffload(); // during the blink: counted, not re-blinked
        Assert.Equal([(23, PinValue.Low)], driver.Writes);
        time.Advance(TimeSpan.FromMilliseconds(60));

        Assert.Equal(PinValue.High, driver.LevelOf(23));
        Assert.Contains((23, PinValue.High), driver.Writes);
        Assert.Equal(2, panel.OffloadsSignalled);
    }

    [Fact]
    public void NotifyOffload_DedicatedLed_PulsesIt()
    {
        var options = Wired();
        options.OffloadLedPin = 27;
        var (panel, driver, _, time) = Start(options);
        using var _p = panel;

        panel.NotifyOffload();
        Assert.Equal(PinValue.High, driver.LevelOf(27));
        time.Advance(TimeSpan.FromMilliseconds(60));

        Assert.Equal(PinValue.Low, driver.LevelOf(27));
        Assert.Equal(PinValue.High, driver.LevelOf(23));
    }

    [Fact]
    public void PreferenceSetElsewhere_LedsFollowNearestPreset()
    {
        var (panel, driver, preference, _) = Start();
        using var _p = panel;

        preference.Set(new Preference(0.25), "control");

        Assert.Equal("energy-saving", panel.ActivePreset.Name);
        Assert.Equal([PinValue.High, PinValue.Low, PinValue.Low], LedLevels(driver));
    }

    [Fact]
    public void Dispose_TurnsLedsOffAndUnregisters()
    {
        var (panel, driver, _, _) = Start();

        panel.Dispose();

        Assert.Equal(0, driver.CallbackCount);
        Assert.All(Leds, l => Assert.Equal(PinValue.Low, driver.LevelOf(l)));
    }

    [Fact]
    public void Create_NoGpioChip_DisabledWithOneLogLineAndHarmless()
    {
        var root = Path.Join(Path.GetTempPath(), "edgeagent-nogpio-" + Guid.NewGuid().ToString("N"));
        var logger = new ListLogger();
        var preference = new OperatorPreference(Preference.Balanced);

        using var panel = OperatorPanel.Create(Wired(), preference, new FakeTimeProvider(), logger, devRoot: root);
        panel.Start();
        panel.NotifyOffload();

        Assert.False(panel.IsEnabled);
        Assert.Contains("/dev/gpiochip0", panel.DisabledReason, StringComparison.Ordinal);
        var line = Assert.Single(logger.Lines);
        Assert.Contains("Operator panel disabled", line, StringComparison.Ordinal);
        Assert.Equal(Preference.Balanced, preference.Current);
    }

    [Fact]
    public void Create_DriverFails_Disabled()
    {
        var logger = new ListLogger();

        using var panel = OperatorPanel.Create(Wired(), new OperatorPreference(Preference.Balanced), new FakeTimeProvider(), logger,
            driverFactory: _ => throw new IOException("Permission denied"));

        Assert.False(panel.IsEnabled);
        Assert.Contains("Permission denied", Assert.Single(logger.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NotWired_DisabledSayingSo()
    {
        using var panel = OperatorPanel.Create(new OperatorPanelOptions(), new OperatorPreference(Preference.Balanced), new FakeTimeProvider());

        Assert.Contains("no ButtonPin", panel.DisabledReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("leds", "LedPins")]
    [InlineData("duplicate", "different lines")]
    [InlineData("weight", "DelayWeight")]
    public void Validate_BadWiring_NamesTheSetting(string fault, string expected)
    {
        var options = Wired();
        switch (fault)
        {
            case "leds": options.LedPins = [1, 2, 3, 4]; break;
            case "duplicate": options.LedPins = [Button]; break;
            default: options.Presets = [new PanelPreset { Name = "x", DelayWeight = 1.5 }]; break;
        }

        Assert.Contains(expected, options.Validate(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OperatorPanel.Create(options, new OperatorPreference(Preference.Balanced), new FakeTimeProvider(), driverFactory: _ => new SimulatedGpioDriver()));
    }

    private sealed class ListLogger : ILogger<OperatorPanel>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}

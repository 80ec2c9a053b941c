using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeAgent.Core.Offloading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Hardware.Panel;

/// <summary>
/// A physical control at the box: a push button (or two-position switch) on a GPIO line selects
/// the operator preference preset, LEDs show the active preset and blink when a task is offloaded.
/// Debounce is done in software: the input must hold a level for <see cref="OperatorPanelOptions.DebounceMs"/>
/// before it counts. Runs on any <see cref="GpioController"/>, so tests drive it through a simulated
/// <see cref="GpioDriver"/>. On a machine without GPIO, <see cref="Create"/> returns a disabled panel
/// after one log line, and the agent runs normally.
/// </summary>
public sealed partial class OperatorPanel : IOffloadIndicator, IDisposable
{
    private readonly GpioController? _controller;
    private readonly OperatorPanelOptions _options;
    private readonly IReadOnlyList<PanelPreset> _presets;
    private readonly OperatorPreference _preference;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private ITimer? _debounce;
    private ITimer? _blink;
    private PinValue _stable;
    private int _active;
    private bool _blinking;
    private bool _started;
    private bool _disposed;

    /// <summary>A panel on <paramref name="controller"/>; call <see cref="Start"/> to open the pins.</summary>
    public OperatorPanel(GpioController controller, OperatorPanelOptions options, OperatorPreference preference, TimeProvider time, ILogger<OperatorPanel>? logger = null)
        : this(controller, options, preference, time, (ILogger?)logger ?? NullLogger.Instance, disabledReason: null)
    {
        ArgumentNullException.ThrowIfNull(controller);
    }

    private OperatorPanel(GpioController? controller, OperatorPanelOptions options, OperatorPreference preference, TimeProvider time, ILogger logger, string? disabledReason)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(preference);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _controller = controller;
        _options = options;
        _presets = options.EffectivePresets;
        _preference = preference;
        _time = time;
        _logger = logger;
        DisabledReason = disabledReason;
        _active = NearestPreset(preference.Current);
    }

    /// <summary>Why the panel is disabled, or null when it drives GPIO.</summary>
    public string? DisabledReason { get; }

    /// <summary>True when the panel drives GPIO lines.</summary>
    public bool IsEnabled => DisabledReason is null;

    /// <summary>The active preset.</summary>
    public PanelPreset ActivePreset
    {
        get
        {
            lock (_gate)
            {
                return _presets[_active];
            }
        }
    }

    /// <summary>Offloads signalled so far (blinks shown or skipped because one was showing).</summary>
    public long OffloadsSignalled { get; private set; }

    /// <summary>
    /// Opens GPIO chip <see cref="OperatorPanelOptions.Chip"/> and returns a panel on it, or a
    /// disabled panel (after one log line saying why) when the panel is switched off, not wired, or
    /// the machine has no usable GPIO chip.
    /// </summary>
    /// <param name="options">The panel's settings (EdgeAgent:Hardware:Panel).</param>
    /// <param name="preference">The agent's preference the buttons move and the LEDs show.</param>
    /// <param name="time">Clock for debouncing and blinking.</param>
    /// <param name="logger">Where the panel says why it is disabled, and its events.</param>
    /// <param name="driverFactory">Opens a chip by number; null uses libgpiod (v2, then v1).</param>
    /// <param name="devRoot">Root of the /dev tree the GPIO chips are looked up in (tests pass a fake tree).</param>
    public static OperatorPanel Create(OperatorPanelOptions options, OperatorPreference preference, TimeProvider time, ILogger<OperatorPanel>? logger = null,
        Func<int, GpioDriver>? driverFactory = null, string devRoot = "/")
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        var log = (ILogger?)logger ?? NullLogger.Instance;
        string? reason = null;
        GpioController? controller = null;
        if (!options.Enabled)
        {
            reason = $"{OperatorPanelOptions.Section}:Enabled is false";
        }
        else if (options.ButtonPin is null && options.LedPins.Count == 0 && options.OffloadLedPin is null)
        {
            reason = $"no ButtonPin, LedPins or OffloadLedPin configured under {OperatorPanelOptions.Section}";
        }
        else if (driverFactory is null && !File.Exists(Path.Join(devRoot, $"dev/gpiochip{options.Chip}")))
        {
            reason = $"this machine has no /dev/gpiochip{options.Chip}";
        }
        else
        {
            try
            {
                controller = new GpioController((driverFactory ?? OpenLibgpiod)(options.Chip));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException
                or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException or GpiodException)
            {
                reason = $"GPIO chip {options.Chip} could not be opened ({ex.GetType().Name}: {ex.Message})";
            }
        }

        if (reason is not null)
        {
            Log.Disabled(log, reason);
            return new OperatorPanel(null, options, preference, time, log, reason);
        }

        return new OperatorPanel(controller, options, preference, time, log, null);
    }

    /// <summary>Opens the pins, shows the active preset and starts listening to the input. No-op when disabled.</summary>
    public void Start()
    {
        if (_controller is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            foreach (var pin in _options.LedPins)
            {
                _controller.OpenPin(pin, PinMode.Output, PinValue.Low);
            }

            if (_options.OffloadLedPin is { } offloadPin)
            {
                _controller.OpenPin(offloadPin, PinMode.Output, PinValue.Low);
            }

            if (_options.ButtonPin is { } button)
            {
                var mode = _options.ActiveLow ? PinMode.InputPullUp : PinMode.InputPullDown;
                if (!_controller.IsPinModeSupported(button, mode))
                {
                    mode = PinMode.Input;
                }

                _controller.OpenPin(button, mode);
                _stable = _controller.Read(button);
                _debounce = _time.CreateTimer(_ => OnDebounced(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _controller.RegisterCallbackForPinValueChangedEvent(button, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
                if (_options.InputMode == PanelInputMode.Switch)
                {
                    _active = IsActive(_stable) ? _presets.Count - 1 : 0;
                }
            }

            ShowActive();
        }

        _preference.Changed += OnPreferenceChanged;
        if (_options.InputMode == PanelInputMode.Switch && _options.ButtonPin is not null)
        {
            Apply();
        }

        Log.Started(_logger, _options.Chip, _options.ButtonPin ?? -1, _options.InputMode, string.Join(", ", _presets.Select(p => p.Name)), ActivePreset.Name);
    }

    /// <inheritdoc />
    public void NotifyOffload()
    {
        if (_controller is null)
        {
            return;
        }

        lock (_gate)
        {
            OffloadsSignalled++;
            if (!_started || _blinking || _disposed)
            {
                return;
            }

            int pin;
            PinValue blinkValue;
            if (_options.OffloadLedPin is { } offloadPin)
            {
                (pin, blinkValue) = (offloadPin, PinValue.High);
            }
            else if (_active < _options.LedPins.Count)
            {
                (pin, blinkValue) = (_options.LedPins[_active], PinValue.Low);
            }
            else
            {
                return;
            }

            _blinking = true;
            _controller.Write(pin, blinkValue);
            _blink ??= _time.CreateTimer(_ => EndBlink(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _blink.Change(TimeSpan.FromMilliseconds(_options.BlinkMs), Timeout.InfiniteTimeSpan);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _preference.Changed -= OnPreferenceChanged;
        _debounce?.Dispose();
        _blink?.Dispose();
        if (_controller is not null)
        {
            if (_started && _options.ButtonPin is { } button)
            {
                _controller.UnregisterCallbackForPinValueChangedEvent(button, OnEdge);
            }

            foreach (var pin in _options.LedPins.Concat(_options.OffloadLedPin is { } o ? [o] : []))
            {
                if (_controller.IsPinOpen(pin))
                {
                    _controller.Write(pin, PinValue.Low);
                }
            }

            _controller.Dispose();
        }
    }

    private static GpioDriver OpenLibgpiod(int chip)
    {
        try
        {
            return new LibGpiodV2Driver(chip);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or GpiodException or PlatformNotSupportedException)
        {
            return new LibGpiodDriver(chip);
        }
    }

    private bool IsActive(PinValue value) => _options.ActiveLow ? value == PinValue.Low : value == PinValue.High;

    // Every edge (including bounce) restarts the settle timer; only a level that holds counts.
    private void OnEdge(object sender, PinValueChangedEventArgs args)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _debounce?.Change(TimeSpan.FromMilliseconds(_options.DebounceMs), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnDebounced()
    {
        bool changed;
        lock (_gate)
        {
            if (_disposed || _controller is null || _options.ButtonPin is not { } button)
            {
                return;
            }

            var level = _controller.Read(button);
            if (level == _stable)
            {
                return;
            }

            _stable = level;
            var previous = _active;
            if (_options.InputMode == PanelInputMode.Switch)
            {
                _active = IsActive(level) ? _presets.Count - 1 : 0;
            }
            else if (IsActive(level))
            {
                _active = (_active + 1) % _presets.Count;
            }

            changed = _active != previous;
            if (changed)
            {
                ShowActive();
            }
        }

        if (changed)
        {
            Apply();
        }
    }

    private void Apply()
    {
        var preset = ActivePreset;
        Log.PresetSelected(_logger, preset.Name, preset.DelayWeight);
        _preference.Set(new Preference(preset.DelayWeight), "gpio");
    }

    // Someone else (the control API, configuration) changed the preference: show the nearest preset.
    private void OnPreferenceChanged(Preference preference, string source)
    {
        if (source == "gpio")
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _active = NearestPreset(preference);
            ShowActive();
        }
    }

    private int NearestPreset(Preference preference)
    {
        var best = 0;
        for (var i = 1; i < _presets.Count; i++)
        {
            if (Math.Abs(_presets[i].DelayWeight - preference.DelayWeight) < Math.Abs(_presets[best].DelayWeight - preference.DelayWeight))
            {
                best = i;
            }
        }

        return best;
    }

    // Called under _gate.
    private void ShowActive()
    {
        if (_controller is null || !_started)
        {
            return;
        }

        for (var i = 0; i < _options.LedPins.Count; i++)
        {
            _controller.Write(_options.LedPins[i], i == _active ? PinValue.High : PinValue.Low);
        }
    }

    private void EndBlink()
    {
        lock (_gate)
        {
            _blinking = false;
            if (_disposed || _controller is null)
            {
                return;
            }

            if (_options.OffloadLedPin is { } offloadPin)
            {
                _controller.Write(offloadPin, PinValue.Low);
            }
            else
            {
                ShowActive();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information,
            Message = "Operator panel disabled: {Reason}. The agent runs without it.")]
        public static partial void Disabled(ILogger logger, string reason);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Information,
            Message = "Operator panel on GPIO chip {Chip}: input line {ButtonPin} as {Mode}, presets {Presets}; active preset {Active}.")]
        public static partial void Started(ILogger logger, int chip, int buttonPin, PanelInputMode mode, string presets, string active);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Information,
            Message = "Operator panel selected preset {Preset} (delay weight {DelayWeight}).")]
        public static partial void PresetSelected(ILogger logger, string preset, double delayWeight);
    }
}

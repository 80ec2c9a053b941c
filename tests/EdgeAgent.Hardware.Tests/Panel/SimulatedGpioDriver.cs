using System.Device.Gpio;

namespace EdgeAgent.Hardware.Tests.Panel;

/// <summary>
/// A GPIO chip in memory, driven through the real <see cref="GpioController"/>: the test sets input
/// levels (edges fire the registered callbacks the way libgpiod's event thread does) and reads back
/// every output write.
/// </summary>
internal sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, PinValue> _levels = [];
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];

    public List<(int Pin, PinValue Value)> Writes { get; } = [];

    public HashSet<int> OpenPins { get; } = [];

    public PinMode ModeOf(int pin) => _modes[pin];

    public PinValue LevelOf(int pin) => _levels.GetValueOrDefault(pin, PinValue.Low);

    public int CallbackCount => _callbacks.Count;

    /// <summary>Drives an input line to <paramref name="value"/>, firing edge callbacks when it changes.</summary>
    public void SetInput(int pin, PinValue value)
    {
        var previous = _levels.GetValueOrDefault(pin, PinValue.High);
        _levels[pin] = value;
        if (previous == value)
        {
            return;
        }

        var edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        foreach (var (p, types, handler) in _callbacks.ToList())
        {
            if (p == pin && (types & edge) != 0)
            {
                handler(this, new PinValueChangedEventArgs(edge, pin));
            }
        }
    }

    protected override int PinCount => 64;

    protected override void OpenPin(int pinNumber) => OpenPins.Add(pinNumber);

    protected override void ClosePin(int pinNumber) => OpenPins.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        _modes[pinNumber] = mode;
        if (mode == PinMode.InputPullUp && !_levels.ContainsKey(pinNumber))
        {
            _levels[pinNumber] = PinValue.High;
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => _modes[pinNumber];

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => LevelOf(pinNumber);

    protected override void Write(int pinNumber, PinValue value)
    {
        if (_modes.GetValueOrDefault(pinNumber) != PinMode.Output)
        {
            throw new InvalidOperationException($"Line {pinNumber} is not an output.");
        }

        _levels[pinNumber] = value;
        Writes.Add((pinNumber, value));
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        new() { TimedOut = true, EventTypes = PinEventTypes.None };

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        _callbacks.Add((pinNumber, eventTypes, callback));

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
}

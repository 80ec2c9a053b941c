using System.Device.Gpio;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Hardware.Panel;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Hardware;

/// <summary>The hardware layer inside a real agent: energy meter and estimator, and the GPIO panel on the agent's preference.</summary>
public sealed class AgentHardwareTests
{
    private static async Task<WebApplication> StartAgentAsync(AgentHostSettings settings, SimulatedGpio? gpio)
    {
        return await AgentHost.StartAsync(settings, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (gpio is not null)
            {
                builder.Services.AddSingleton(new GpioDriverFactory(_ => gpio));
            }
        }).WaitAsync(AgentCluster.Bound);
    }

    private static Dictionary<string, string?> Panel(params (string Key, string Value)[] extra)
    {
        var settings = AgentCluster.FastAgentSettings(extra);
        settings["EdgeAgent:Hardware:Panel:ButtonPin"] = "17";
        settings["EdgeAgent:Hardware:Panel:LedPins:0"] = "22";
        settings["EdgeAgent:Hardware:Panel:LedPins:1"] = "23";
        settings["EdgeAgent:Hardware:Panel:LedPins:2"] = "24";
        return settings;
    }

    [Fact]
    public async Task Agent_PanelWiredButNoGpioOnMachine_StartsServesAndMeters()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local") with { Extra = Panel(("EdgeAgent:Hardware:Panel:Chip", "63")) };
        await using var app = await StartAgentAsync(settings, gpio: null);

        var response = await AgentCluster.InferAsync(cluster.Channel(app));

        AgentCluster.AssertAddNegOutputs(response);
        var panel = app.Services.GetRequiredService<OperatorPanel>();
        Assert.False(panel.IsEnabled);
        Assert.Contains("gpiochip63", panel.DisabledReason, StringComparison.Ordinal);
        Assert.IsType<MeasuredEnergyEstimator>(app.Services.GetRequiredService<IEnergyEstimator>());
        var meter = app.Services.GetRequiredService<EnergyMeter>();
        await AgentCluster.WaitUntilAsync(() => meter.SampleCount > 2, "the energy meter sampled");
        await app.StopAsync().WaitAsync(AgentCluster.Bound);
    }

    [Fact]
    public async Task Agent_ButtonPressOnSimulatedGpio_ChangesAgentPreferenceAndOffloadBlinks()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var gpio = new SimulatedGpio();
        // The bounce below must fall inside one debounce window: with the default 30 ms, a stall of the
        // test thread between two edges on a loaded machine made the panel see two presses.
        var settings = cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}") with { Preference = 0.5, Extra = Panel(("EdgeAgent:Hardware:Panel:DebounceMs", "300"), ("Security:OperatorTokenFile", cluster.TokenFile)) };
        await using var app = await StartAgentAsync(settings, gpio);
        var channel = cluster.Channel(app);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        var preference = app.Services.GetRequiredService<OperatorPreference>();
        await AgentCluster.WaitUntilAsync(() => gpio.Level(23) == PinValue.High, "the panel lit the 'balanced' LED");

        // A press with contact bounce; the debounced press selects the next preset, "fast".
        gpio.SetInput(17, PinValue.Low);
        gpio.SetInput(17, PinValue.High);
        gpio.SetInput(17, PinValue.Low);
        await AgentCluster.WaitUntilAsync(() => preference.Current.DelayWeight == 0.8, "the button changed the agent's preference");
        gpio.SetInput(17, PinValue.High);
        Assert.Equal(PinValue.High, gpio.Level(24));

        var writesBefore = gpio.WriteCount(24);
        var response = await AgentCluster.InferAsync(channel);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        await AgentCluster.WaitUntilAsync(() => gpio.WriteCount(24) >= writesBefore + 2 && gpio.Level(24) == PinValue.High, "the active LED blinked for the offload");
        await app.StopAsync().WaitAsync(AgentCluster.Bound);
    }

    /// <summary>A thread-safe GPIO chip in memory under the real GpioController (edges fire callbacks; writes are counted).</summary>
    private sealed class SimulatedGpio : GpioDriver
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, PinMode> _modes = [];
        private readonly Dictionary<int, PinValue> _levels = [];
        private readonly Dictionary<int, int> _writes = [];
        private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];

        public PinValue Level(int pin)
        {
            lock (_gate)
            {
                return _levels.GetValueOrDefault(pin, PinValue.Low);
            }
        }

        public int WriteCount(int pin)
        {
            lock (_gate)
            {
                return _writes.GetValueOrDefault(pin);
            }
        }

        public void SetInput(int pin, PinValue value)
        {
            List<PinChangeEventHandler> handlers;
            PinEventTypes edge;
            lock (_gate)
            {
                var previous = _levels.GetValueOrDefault(pin, PinValue.High);
                _levels[pin] = value;
                if (previous == value)
                {
                    return;
                }

                edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
                handlers = [.. _callbacks.Where(c => c.Pin == pin && (c.Types & edge) != 0).Select(c => c.Handler)];
            }

            foreach (var handler in handlers)
            {
                handler(this, new PinValueChangedEventArgs(edge, pin));
            }
        }

        protected override int PinCount => 64;

        protected override void OpenPin(int pinNumber)
        {
        }

        protected override void ClosePin(int pinNumber)
        {
        }

        protected override void SetPinMode(int pinNumber, PinMode mode)
        {
            lock (_gate)
            {
                _modes[pinNumber] = mode;
                if (mode == PinMode.InputPullUp)
                {
                    _levels.TryAdd(pinNumber, PinValue.High);
                }
            }
        }

        protected override PinMode GetPinMode(int pinNumber)
        {
            lock (_gate)
            {
                return _modes[pinNumber];
            }
        }

        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

        protected override PinValue Read(int pinNumber) => Level(pinNumber);

        protected override void Write(int pinNumber, PinValue value)
        {
            lock (_gate)
            {
                _levels[pinNumber] = value;
                _writes[pinNumber] = _writes.GetValueOrDefault(pinNumber) + 1;
            }
        }

        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
            new() { TimedOut = true, EventTypes = PinEventTypes.None };

        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
        {
            lock (_gate)
            {
                _callbacks.Add((pinNumber, eventTypes, callback));
            }
        }

        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
        {
            lock (_gate)
            {
                _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
            }
        }
    }
}

using System.Device.Gpio;

namespace EdgeAgent.Hardware.Panel;

/// <summary>
/// Opens the GPIO driver of chip <paramref name="chip"/>. Register one in the host's services to
/// give the operator panel a particular driver (a simulated one in tests); without one the panel
/// opens <c>/dev/gpiochipN</c> through libgpiod.
/// </summary>
public delegate GpioDriver GpioDriverFactory(int chip);

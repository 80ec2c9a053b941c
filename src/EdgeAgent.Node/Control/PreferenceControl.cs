using System.Globalization;
using EdgeAgent.Core.Offloading;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Control;

/// <summary>
/// The one path that changes the agent's energy/delay preference on an operator's request:
/// ControlService.SetPreference (`edgeagent pref set`) and the dashboard's slider both call
/// <see cref="Set"/>, which checks the weight, sets it and logs who asked.
/// </summary>
public sealed partial class PreferenceControl(OperatorPreference preference, ILogger<PreferenceControl> logger)
{
    /// <summary>The preference now.</summary>
    public Preference Current => preference.Current;

    /// <summary>Sets the delay weight (the energy weight is 1 minus it).</summary>
    /// <param name="delayWeight">In [0, 1].</param>
    /// <param name="source">Who asked: "control" or "dashboard".</param>
    /// <param name="caller">The caller's address, for the log.</param>
    /// <exception cref="ArgumentOutOfRangeException">The weight is outside [0, 1] or not a number; the message says so.</exception>
    public Preference Set(double delayWeight, string source, string caller)
    {
        if (!(delayWeight >= 0 && delayWeight <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delayWeight), delayWeight,
                string.Create(CultureInfo.InvariantCulture, $"delay_weight is {delayWeight}; it must be in [0, 1] (the energy weight is 1 - delay_weight)."));
        }

        var set = new Preference(delayWeight);
        preference.Set(set, source);
        Log.PreferenceSet(logger, delayWeight, source, caller);
        return set;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Preference set to delay weight {DelayWeight} through {Source} by {Caller}.")]
        public static partial void PreferenceSet(ILogger logger, double delayWeight, string source, string caller);
    }
}

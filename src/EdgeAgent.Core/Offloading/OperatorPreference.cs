namespace EdgeAgent.Core.Offloading;

/// <summary>
/// The preference the running agent decides with. One instance per agent, shared by whatever
/// sets it: configuration at start, the ControlService, the GPIO operator panel. It lives in Core
/// so that EdgeAgent.Hardware can drive it without referencing EdgeAgent.Node. Thread-safe.
/// </summary>
public sealed class OperatorPreference
{
    private readonly object _gate = new();
    private Preference _current;

    /// <summary>Starts at <paramref name="initial"/>.</summary>
    public OperatorPreference(Preference initial) => _current = initial;

    /// <summary>Raised after the preference changed, with the new value and who changed it ("config", "control", "gpio").</summary>
    public event Action<Preference, string>? Changed;

    /// <summary>The preference the next decision uses.</summary>
    public Preference Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Sets the preference; raises <see cref="Changed"/> when the value differs.</summary>
    /// <param name="preference">The new preference.</param>
    /// <param name="source">Who changed it, for logs and status (for example "control" or "gpio").</param>
    public void Set(Preference preference, string source)
    {
        bool changed;
        lock (_gate)
        {
            changed = _current != preference;
            _current = preference;
        }

        if (changed)
        {
            Changed?.Invoke(preference, source);
        }
    }
}

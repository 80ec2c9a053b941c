namespace EdgeAgent.Hardware.Panel;

/// <summary>Shows the operator that a task was offloaded (the panel blinks an LED).</summary>
public interface IOffloadIndicator
{
    /// <summary>Signals one offload; cheap and non-blocking, safe to call on the request path.</summary>
    void NotifyOffload();
}

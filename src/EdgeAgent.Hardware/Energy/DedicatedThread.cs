namespace EdgeAgent.Hardware.Energy;

/// <summary>Runs a blocking loop on its own background thread and reports its end as a task.</summary>
internal static class DedicatedThread
{
    /// <summary>Starts <paramref name="body"/> on a new background thread named <paramref name="name"/>; the task ends when it returns or throws.</summary>
    public static Task Run(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.TrySetResult();
            }
#pragma warning disable CA1031 // The failure is handed to the awaiting caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}

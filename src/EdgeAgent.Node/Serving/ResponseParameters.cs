namespace EdgeAgent.Node.Serving;

/// <summary>
/// The Open Inference Protocol response parameters this node sets, by name: the one place they are
/// spelled. Every response carries <see cref="Placement"/>, <see cref="QueueMs"/> and
/// <see cref="ExecMs"/>; an agent's response that ran locally after its peer failed carries
/// <see cref="FallbackFrom"/>.
/// </summary>
public static class ResponseParameters
{
    /// <summary>Where the request ran: "local", "local:int8", "peer:cloud" (string).</summary>
    public const string Placement = "edgeagent.placement";

    /// <summary>Milliseconds the request waited in the executor's queue where it ran (double).</summary>
    public const string QueueMs = "edgeagent.queue_ms";

    /// <summary>Milliseconds the request executed where it ran (double).</summary>
    public const string ExecMs = "edgeagent.exec_ms";

    /// <summary>The peer a request was first sent to when it then ran locally (string).</summary>
    public const string FallbackFrom = "edgeagent.fallback_from";
}

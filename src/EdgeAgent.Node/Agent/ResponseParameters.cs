namespace EdgeAgent.Node.Agent;

/// <summary>Names of the response parameters every agent response carries.</summary>
public static class ResponseParameters
{
    /// <summary>Where the request ran: "local", "local:int8", "peer:cloud".</summary>
    public const string Placement = "edgeagent.placement";

    /// <summary>Milliseconds the request waited in the executor's queue (double).</summary>
    public const string QueueMs = "edgeagent.queue_ms";

    /// <summary>Milliseconds the request executed (double).</summary>
    public const string ExecMs = "edgeagent.exec_ms";

    /// <summary>The peer a request was first sent to when it then ran locally (string).</summary>
    public const string FallbackFrom = "edgeagent.fallback_from";
}

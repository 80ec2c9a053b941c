namespace EdgeAgent.Node.Agent;

/// <summary>Names of the response parameters every agent response carries.</summary>
public static class ResponseParameters
{
    /// <summary>Where the request ran: "local", "local:int8", "peer:cloud".</summary>
    public const string Placement = Serving.InferenceService.PlacementParameter;

    /// <summary>Milliseconds the request waited in the executor's queue (double).</summary>
    public const string QueueMs = Serving.InferenceService.QueueMsParameter;

    /// <summary>Milliseconds the request executed (double).</summary>
    public const string ExecMs = Serving.InferenceService.ExecMsParameter;

    /// <summary>The peer a request was first sent to when it then ran locally (string).</summary>
    public const string FallbackFrom = "edgeagent.fallback_from";
}

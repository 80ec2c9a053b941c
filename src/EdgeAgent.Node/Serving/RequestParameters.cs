using EdgeAgent.Contracts.Inference;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The Open Inference Protocol request parameters this node reads, by name: the one place they are
/// spelled. All are optional; a request without them is served as before.
/// </summary>
public static class RequestParameters
{
    /// <summary>
    /// Set by a client whose next request for the same page waits for this one's answer (a pipeline's
    /// detection or classification, or a line another line follows) (bool): the agent counts such
    /// requests while they are in flight, the observation's <c>own_followed_in_flight</c> column.
    /// </summary>
    public const string Followed = "edgeagent.followed";

    /// <summary>True when <paramref name="request"/> carries <see cref="Followed"/> as the bool true.</summary>
    public static bool IsFollowed(ModelInferRequest request) =>
        request is not null
        && request.Parameters.TryGetValue(Followed, out var value)
        && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
        && value.BoolParam;
}

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

    /// <summary>
    /// Why a parameter this node reads is unusable (the wrong kind of value), or null when every one
    /// is absent or well formed. Parameters this node does not read are left alone, as the protocol allows.
    /// </summary>
    public static string? Problem(ModelInferRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Parameters.TryGetValue(Followed, out var value) && value.ParameterChoiceCase != InferParameter.ParameterChoiceOneofCase.BoolParam)
        {
            return $"Parameter '{Followed}' must be a bool (true when a later request of the same page waits for this one's answer), not {Describe(value)}.";
        }

        return null;
    }

    private static string Describe(InferParameter value) => value.ParameterChoiceCase switch
    {
        InferParameter.ParameterChoiceOneofCase.StringParam => "a string",
        InferParameter.ParameterChoiceOneofCase.Int64Param => "an int64",
        InferParameter.ParameterChoiceOneofCase.DoubleParam => "a double",
        InferParameter.ParameterChoiceOneofCase.Uint64Param => "a uint64",
        InferParameter.ParameterChoiceOneofCase.None => "an empty value",
        var other => other.ToString(),
    };

    /// <summary>Marks <paramref name="request"/> as followed: <see cref="Followed"/> = the bool true.</summary>
    public static void MarkFollowed(ModelInferRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Parameters[Followed] = new InferParameter { BoolParam = true };
    }

    /// <summary>True when <paramref name="request"/> carries <see cref="Followed"/> as the bool true.</summary>
    public static bool IsFollowed(ModelInferRequest request) =>
        request is not null
        && request.Parameters.TryGetValue(Followed, out var value)
        && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
        && value.BoolParam;
}

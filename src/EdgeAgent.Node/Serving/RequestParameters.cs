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
    /// Set by a client that sends several requests at once, such as a page's lines after its detection
    /// answered (int64 or uint64, at least 0): how many more of them it sends right after this one. The
    /// agent passes it to the observation's <c>own_batch_after</c> column (0 without it): the placement of
    /// the first lines then accounts for the work the rest bring a moment later.
    /// </summary>
    public const string BatchAfter = "edgeagent.batch_after";

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

        if (request.Parameters.TryGetValue(BatchAfter, out var batch))
        {
            switch (batch.ParameterChoiceCase)
            {
                case InferParameter.ParameterChoiceOneofCase.Int64Param when batch.Int64Param < 0:
                    return $"Parameter '{BatchAfter}' must be at least 0 (how many more requests the client sends right after this one), not {batch.Int64Param}.";
                case InferParameter.ParameterChoiceOneofCase.Int64Param or InferParameter.ParameterChoiceOneofCase.Uint64Param:
                    break;
                default:
                    return $"Parameter '{BatchAfter}' must be an int64 or uint64 (how many more requests the client sends right after this one), not {Describe(batch)}.";
            }
        }

        return null;
    }

    private static string Describe(InferParameter value) => value.ParameterChoiceCase switch
    {
        InferParameter.ParameterChoiceOneofCase.BoolParam => "a bool",
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

    /// <summary>Sets <see cref="BatchAfter"/> on <paramref name="request"/>: <paramref name="count"/> more requests follow it at once.</summary>
    public static void MarkBatchAfter(ModelInferRequest request, int count)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        request.Parameters[BatchAfter] = new InferParameter { Int64Param = count };
    }

    /// <summary>
    /// <see cref="BatchAfter"/> of <paramref name="request"/>, capped at <see cref="int.MaxValue"/>; 0 when it is
    /// absent or not a count (<see cref="Problem"/> refuses such a request before it is decided).
    /// </summary>
    public static int BatchAfterOf(ModelInferRequest request) =>
        request is not null && request.Parameters.TryGetValue(BatchAfter, out var value)
            ? value.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.Int64Param => (int)Math.Clamp(value.Int64Param, 0, int.MaxValue),
                InferParameter.ParameterChoiceOneofCase.Uint64Param => (int)Math.Min(value.Uint64Param, int.MaxValue),
                _ => 0,
            }
            : 0;

    /// <summary>True when <paramref name="request"/> carries <see cref="Followed"/> as the bool true.</summary>
    public static bool IsFollowed(ModelInferRequest request) =>
        request is not null
        && request.Parameters.TryGetValue(Followed, out var value)
        && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
        && value.BoolParam;
}

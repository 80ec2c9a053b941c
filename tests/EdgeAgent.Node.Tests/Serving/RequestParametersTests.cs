using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class RequestParametersTests
{
    [Fact]
    public void IsFollowed_OnlyTheBoolTrue_MarksARequestFollowed()
    {
        static ModelInferRequest With(InferParameter? value)
        {
            var request = new ModelInferRequest { ModelName = "det" };
            if (value is not null)
            {
                request.Parameters[RequestParameters.Followed] = value;
            }

            return request;
        }

        Assert.True(RequestParameters.IsFollowed(With(new InferParameter { BoolParam = true })));
        Assert.False(RequestParameters.IsFollowed(With(new InferParameter { BoolParam = false })));
        Assert.False(RequestParameters.IsFollowed(With(new InferParameter { StringParam = "true" })));
        Assert.False(RequestParameters.IsFollowed(With(new InferParameter { Int64Param = 1 })));
        Assert.False(RequestParameters.IsFollowed(With(null)));
    }

    [Fact]
    public void MarkFollowed_SetsTheBoolTrue_ReplacingAnyEarlierValue()
    {
        var request = new ModelInferRequest { ModelName = "det" };
        request.Parameters[RequestParameters.Followed] = new InferParameter { StringParam = "no" };
        request.Parameters["other"] = new InferParameter { Int64Param = 3 };

        RequestParameters.MarkFollowed(request);

        Assert.True(RequestParameters.IsFollowed(request));
        Assert.Null(RequestParameters.Problem(request));
        Assert.Equal(3, request.Parameters["other"].Int64Param);
    }

    [Fact]
    public void Problem_NamesAFollowedThatIsNotABool_LeavesOtherParametersAlone()
    {
        var request = new ModelInferRequest { ModelName = "det" };
        request.Parameters["priority"] = new InferParameter { StringParam = "high" };
        request.Parameters["edgeagent.unknown"] = new InferParameter { Int64Param = 3 };
        Assert.Null(RequestParameters.Problem(request));

        request.Parameters[RequestParameters.Followed] = new InferParameter { BoolParam = false };
        Assert.Null(RequestParameters.Problem(request));

        request.Parameters[RequestParameters.Followed] = new InferParameter { Int64Param = 1 };
        Assert.Equal("Parameter 'edgeagent.followed' must be a bool (true when a later request of the same page waits for this one's answer), not an int64.", RequestParameters.Problem(request));
    }
}

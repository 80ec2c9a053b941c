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

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(11L)]
    [InlineData(long.MaxValue)]
    public void BatchAfter_ACountAsInt64_IsAcceptedAndReadCapped(long count)
    {
        var request = new ModelInferRequest { ModelName = "cls" };
        request.Parameters[RequestParameters.BatchAfter] = new InferParameter { Int64Param = count };
        Assert.Null(RequestParameters.Problem(request));
        Assert.Equal((int)Math.Min(count, int.MaxValue), RequestParameters.BatchAfterOf(request));

        request.Parameters[RequestParameters.BatchAfter] = new InferParameter { Uint64Param = (ulong)count };
        Assert.Null(RequestParameters.Problem(request));
        Assert.Equal((int)Math.Min(count, int.MaxValue), RequestParameters.BatchAfterOf(request));
    }

    [Fact]
    public void BatchAfter_AbsentOrSetByMark_ReadsTheCount()
    {
        var request = new ModelInferRequest { ModelName = "cls" };
        Assert.Equal(0, RequestParameters.BatchAfterOf(request));
        RequestParameters.MarkBatchAfter(request, 4);
        Assert.Equal(4, RequestParameters.BatchAfterOf(request));
        Assert.Null(RequestParameters.Problem(request));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestParameters.MarkBatchAfter(request, -1));
    }

    [Fact]
    public void Problem_NamesABatchAfterThatIsNotACount()
    {
        var request = new ModelInferRequest { ModelName = "cls" };
        request.Parameters[RequestParameters.BatchAfter] = new InferParameter { Int64Param = -2 };
        Assert.Equal("Parameter 'edgeagent.batch_after' must be at least 0 (how many more requests the client sends right after this one), not -2.", RequestParameters.Problem(request));
        Assert.Equal(0, RequestParameters.BatchAfterOf(request));

        foreach (var (value, kind) in new[] { (new InferParameter { StringParam = "3" }, "a string"), (new InferParameter { DoubleParam = 3 }, "a double"), (new InferParameter { BoolParam = true }, "a bool"), (new InferParameter(), "an empty value") })
        {
            request.Parameters[RequestParameters.BatchAfter] = value;
            Assert.Equal($"Parameter 'edgeagent.batch_after' must be an int64 or uint64 (how many more requests the client sends right after this one), not {kind}.", RequestParameters.Problem(request));
            Assert.Equal(0, RequestParameters.BatchAfterOf(request));
        }
    }
}

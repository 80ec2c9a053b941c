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
}

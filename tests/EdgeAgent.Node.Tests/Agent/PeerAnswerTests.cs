using EdgeAgent.Node.Agent;
using Grpc.Core;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>Which peer answers the agent retries locally (docs/architecture.md, "Peer answers").</summary>
public sealed class PeerAnswerTests
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.OutOfRange)]
    public void FallsBackLocally_CallersError_False(StatusCode status)
    {
        Assert.False(Dispatcher.FallsBackLocally(status));
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.Unimplemented)]
    [InlineData(StatusCode.Unauthenticated)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unknown)]
    [InlineData(StatusCode.DataLoss)]
    [InlineData(StatusCode.Aborted)]
    [InlineData(StatusCode.Cancelled)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.AlreadyExists)]
    public void FallsBackLocally_AboutThePeer_True(StatusCode status)
    {
        Assert.True(Dispatcher.FallsBackLocally(status));
    }

    [Fact]
    public void FallsBackLocally_EveryStatusCode_Classified()
    {
        // A new status code must be placed in one of the two lists above on purpose.
        var classified = new[]
        {
            StatusCode.OK, StatusCode.InvalidArgument, StatusCode.OutOfRange, StatusCode.ResourceExhausted, StatusCode.NotFound,
            StatusCode.FailedPrecondition, StatusCode.Unimplemented, StatusCode.Unauthenticated, StatusCode.PermissionDenied,
            StatusCode.Unavailable, StatusCode.Internal, StatusCode.Unknown, StatusCode.DataLoss, StatusCode.Aborted,
            StatusCode.Cancelled, StatusCode.DeadlineExceeded, StatusCode.AlreadyExists,
        };

        Assert.Equal(Enum.GetValues<StatusCode>().Order(), classified.Order());
    }
}

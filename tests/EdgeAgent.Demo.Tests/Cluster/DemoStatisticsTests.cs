using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.Ocr;
using Google.Protobuf;

namespace EdgeAgent.Demo.Tests.Cluster;

public sealed class DemoStatisticsTests
{
    [Theory]
    [InlineData(50, 3)]
    [InlineData(95, 5)]
    [InlineData(0, 1)]
    [InlineData(100, 5)]
    public void Percentiles_NearestRank_MatchHandComputedValues(double percentile, double expected)
    {
        Assert.Equal(expected, Percentiles.Of([5, 1, 4, 2, 3], percentile));
    }

    [Fact]
    public void Percentiles_Empty_IsNaN()
    {
        Assert.True(double.IsNaN(Percentiles.Of([], 50)));
    }

    [Fact]
    public void Snapshot_CallsAndItems_GroupsByPlacementLocalFirst()
    {
        var statistics = new DemoStatistics();
        statistics.Add(new InferCallRecord("ocr-det", "peer:cloud", 0.050, 1, 30, 100, 10));
        statistics.Add(new InferCallRecord("ocr-rec", "local", 0.010, 0, 8, 100, 10));
        statistics.Add(new InferCallRecord("ocr-rec", "local", 0.030, 0, 12, 100, 10));
        statistics.Add(new InferCallRecord("ocr-det", "peer:edge", 0.020, 0, 15, 100, 10));
        statistics.AddItem("abcd", "abcd", 0.1);
        statistics.AddItem("abcd", "abXd", 0.3);
        statistics.AddFailure("boom");

        var snapshot = statistics.Snapshot();

        Assert.Equal(["local", "peer:cloud", "peer:edge"], snapshot.Rows.Select(r => r.Placement));
        Assert.Equal(2, snapshot.LocalRequests);
        Assert.Equal(2, snapshot.OffloadedRequests);
        Assert.Equal(10, snapshot.Rows[0].P50Ms, 6);
        Assert.Equal(30, snapshot.Rows[0].P95Ms, 6);
        Assert.Equal(10, snapshot.Rows[0].MeanExecMs, 6);
        Assert.Equal(2, snapshot.Items);
        Assert.Equal(1, snapshot.FailedItems);
        Assert.Equal(7.0 / 8, snapshot.CharacterAccuracy, 10);
        Assert.Equal(1, snapshot.ExactLines);
        Assert.Equal("boom", snapshot.LastError);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(true, 3)]
    [InlineData(false, 1)]
    public void BuildRequest_Marks_CarryTheAgentsParametersOnlyWhenSet(bool followed, int batchAfter)
    {
        var request = OipModelRunner.BuildRequest("m", "x", new OcrTensor([1f], [1, 1]), followed, batchAfter);

        Assert.Equal(followed, EdgeAgent.Node.Serving.RequestParameters.IsFollowed(request));
        Assert.Equal(batchAfter, EdgeAgent.Node.Serving.RequestParameters.BatchAfterOf(request));
        Assert.Equal(batchAfter > 0, request.Parameters.ContainsKey(EdgeAgent.Node.Serving.RequestParameters.BatchAfter));
        Assert.Null(EdgeAgent.Node.Serving.RequestParameters.Problem(request));
    }

    [Fact]
    public void BuildRequest_ThenReadAsResponse_RoundTripsTheTensor()
    {
        var input = new OcrTensor([1.5f, -2f, 3.25f, 0f, 7f, 8f], [1, 2, 3]);

        var request = OipModelRunner.BuildRequest("m", "x", input);
        var response = new ModelInferResponse();
        var output = new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "FP32" };
        output.Shape.AddRange(request.Inputs[0].Shape);
        response.Outputs.Add(output);
        response.RawOutputContents.Add(request.RawInputContents[0]);
        var back = OipModelRunner.ReadFirstOutput(response, "m");

        Assert.Equal("FP32", request.Inputs[0].Datatype);
        Assert.Equal(24, request.RawInputContents[0].Length);
        Assert.Equal(input.Shape, back.Shape);
        Assert.Equal(input.Data, back.Data);
    }

    [Fact]
    public void ReadFirstOutput_TypedContents_AreRead()
    {
        var response = new ModelInferResponse();
        var output = new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "FP32", Contents = new InferTensorContents() };
        output.Shape.Add(2);
        output.Contents.Fp32Contents.Add([1f, 2f]);
        response.Outputs.Add(output);

        Assert.Equal([1f, 2f], OipModelRunner.ReadFirstOutput(response, "m").Data);
    }

    [Fact]
    public void ReadFirstOutput_NonFloatOutput_ThrowsNamingTheType()
    {
        var response = new ModelInferResponse();
        response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "INT64" });
        response.RawOutputContents.Add(ByteString.CopyFrom(new byte[8]));

        var error = Assert.Throws<Grpc.Core.RpcException>(() => OipModelRunner.ReadFirstOutput(response, "m"));

        Assert.Contains("INT64", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2, 0.5, "--duration")]
    [InlineData(60, 0, 0.5, "--rate")]
    [InlineData(60, 2, 1.5, "--preference")]
    public void Validate_BadSetting_NamesTheOption(int seconds, double rate, double preference, string option)
    {
        var settings = new DemoSettings { Duration = TimeSpan.FromSeconds(seconds), Rate = rate, Preference = preference };

        var error = Assert.Throws<ArgumentException>(settings.Validate);

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Profiles_AreDistinctAndLabelledRelativeToTheBoard()
    {
        Assert.Equal("edge: RTT 5 ms, 200 Mbit/s, 2.4x the board", DemoProfiles.Edge.Label);
        Assert.Equal("cloud: RTT 40 ms, 50 Mbit/s, 3x the board", DemoProfiles.Cloud.Label);
        Assert.Equal("edge=http://127.0.0.1:5000;rtt=5ms;bw=200mbit", DemoProfiles.Edge.PeerSpec(new Uri("http://127.0.0.1:5000/")));
        Assert.All([DemoProfiles.Board, DemoProfiles.Edge, DemoProfiles.Cloud], p => Assert.InRange(p.ComputeSpeedFactor, 0.001, 1.0));
    }
}

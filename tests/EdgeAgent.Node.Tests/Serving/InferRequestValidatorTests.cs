using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Grpc.Core;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class InferRequestValidatorTests : IClassFixture<InferRequestValidatorTests.CatalogFixture>
{
    private readonly ModelCatalog _catalog;

    public InferRequestValidatorTests(CatalogFixture fixture)
    {
        _catalog = fixture.Catalog;
    }

    public static TheoryData<MalformedCase> Cases()
    {
        var data = new TheoryData<MalformedCase>();
        foreach (var c in MalformedRequests.All())
        {
            data.Add(c);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_MalformedRequest_FailsWithStatusNamingTensor(MalformedCase malformed)
    {
        var request = malformed.Build();

        var ex = InferenceStatus.ToRpcException(Assert.Throws<InferenceException>(() =>
        {
            var model = InferRequestValidator.ResolveModel(_catalog, request.ModelName, request.ModelVersion);
            InferRequestValidator.Validate(request, model, MalformedRequests.CapBytes);
        }));

        Assert.Equal(malformed.Code, ex.StatusCode);
        Assert.Contains(malformed.Fragment, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValidateHead_MalformedRequestWithRawTensors_PassesOnlyWhenTheWholeFailsForItsTensors(MalformedCase malformed)
    {
        // A head that passes lets the agent start forwarding; the whole request must then fail only
        // on what the head lacks (the raw tensors), so no head check is missing. A head refused is
        // answered from the whole request (InferenceService), with the whole request's error.
        var request = malformed.Build();
        var model = _catalog.Find(request.ModelName);
        if (request.RawInputContents.Count == 0 || model is null)
        {
            return; // no head (only ever validated whole), or an unknown model (refused from the head by ResolveModel)
        }

        var head = request.Clone();
        head.RawInputContents.Clear();
        var whole = Assert.Throws<InferenceException>(() => InferRequestValidator.Validate(request, model, MalformedRequests.CapBytes));

        if (Record.Exception(() => InferRequestValidator.ValidateHead(head, model, MalformedRequests.CapBytes)) is null)
        {
            Assert.Contains("raw_input_contents", whole.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidateHead_RawRequest_SameFiguresAsTheWhole()
    {
        var request = MalformedRequests.Raw();
        var head = request.Clone();
        head.RawInputContents.Clear();
        var model = _catalog.Find("add_neg")!;

        var validatedHead = InferRequestValidator.ValidateHead(head, model, MalformedRequests.CapBytes);
        var validated = InferRequestValidator.Validate(request, model, MalformedRequests.CapBytes);

        Assert.True(validatedHead.UsesRawInputs);
        Assert.Equal(validated.TotalInputBytes, validatedHead.TotalInputBytes);
        Assert.Equal(validated.Inputs.Select(i => i.ByteCount), validatedHead.Inputs.Select(i => i.ByteCount));
    }

    [Fact]
    public void Validate_TypedRequest_ReturnsShapesAndByteCounts()
    {
        var request = MalformedRequests.Typed();
        request.Outputs.Add(new Contracts.Inference.ModelInferRequest.Types.InferRequestedOutputTensor { Name = "neg" });

        var validated = InferRequestValidator.Validate(request, _catalog.Find("add_neg")!, MalformedRequests.CapBytes);

        Assert.False(validated.UsesRawInputs);
        Assert.Equal(32, validated.TotalInputBytes);
        Assert.Equal(["neg"], validated.RequestedOutputs);
        Assert.Equal([1L, 4L], validated.Inputs[0].Shape);
        Assert.Equal(TensorDataType.Fp32, validated.Inputs[1].DataType);
    }

    [Fact]
    public void Validate_RawRequestWithVariableBatch_Accepts()
    {
        var request = MalformedRequests.Raw(aShape: [3, 4], aBytes: 48, bShape: [3, 4], bBytes: 48);

        var validated = InferRequestValidator.Validate(request, _catalog.Find("add_neg")!, MalformedRequests.CapBytes);

        Assert.True(validated.UsesRawInputs);
        Assert.Equal(12, validated.Inputs[0].ElementCount);
    }

    [Fact]
    public void RequestTensors_TypedInt8OutOfRange_IsInvalidArgument()
    {
        var request = MalformedRequests.IdentityTyped("id_int8", "INT8", c => c.IntContents.Add([1, 300, 2]));
        var validated = InferRequestValidator.Validate(request, _catalog.Find("id_int8")!, MalformedRequests.CapBytes);

        var ex = InferenceStatus.ToRpcException(Assert.Throws<InferenceException>(() => RequestTensors.Create(request, validated)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("Input 'x': element 1 is 300, out of range for INT8", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input")]
    [InlineData("output")]
    [InlineData("datatype")]
    public void Validate_WireNameWithControlCharacters_IsQuotedEscapedOnOneLine(string where)
    {
        var request = MalformedRequests.Typed();
        switch (where)
        {
            case "input": request.Inputs[0].Name = "a\nb\u0007"; break;
            case "output": request.Outputs.Add(new Contracts.Inference.ModelInferRequest.Types.InferRequestedOutputTensor { Name = "a\nb\u0007" }); break;
            default: request.Inputs[0].Datatype = "a\nb\u0007"; break;
        }

        var ex = InferenceStatus.ToRpcException(Assert.Throws<InferenceException>(() => InferRequestValidator.Validate(request, _catalog.Find("add_neg")!, MalformedRequests.CapBytes)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("'a\\u000ab\\u0007'", ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Status.Detail);
    }

    [Fact]
    public void RequestParameterLimits_LongKeyWithControlCharacters_IsQuotedEscapedAndCut()
    {
        var request = MalformedRequests.Typed();
        request.Parameters.Add("k\r\n" + new string('x', 300), new Contracts.Inference.InferParameter { BoolParam = true });

        var ex = InferenceStatus.ToRpcException(Assert.Throws<InferenceException>(() => RequestParameterLimits.Check(request, new ServingOptions { MaxNameLength = 16 })));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("('k\\u000d\\u000a" + new string('x', 61 - 3) + "...')", ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Status.Detail);
    }

    [Fact]
    public void WireText_Printable_EscapesControlCharactersAndCaps()
    {
        Assert.Equal("plain", WireText.Printable("plain"));
        Assert.Equal("tab\\u0009", WireText.Printable("tab\t"));
        Assert.Equal(new string('a', 128) + "...", WireText.Printable(new string('a', 200)));
        Assert.Equal("ab...", WireText.Printable("abcdef", keep: 2));
    }

    public sealed class CatalogFixture : IDisposable
    {
        private readonly TempRepository _repo = TempRepository.Standard();

        public CatalogFixture()
        {
            Catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        }

        public ModelCatalog Catalog { get; }

        public void Dispose()
        {
            Catalog.Dispose();
            _repo.Dispose();
        }
    }
}

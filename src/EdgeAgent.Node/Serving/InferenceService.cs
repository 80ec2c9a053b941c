using System.Reflection;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Execution;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The Open Inference Protocol service both roles serve. ModelInfer validates the request against
/// the local catalog, hands it to the registered <see cref="IInferenceBackend"/>, and stamps the
/// response with <see cref="ResponseParameters.Placement"/>, <see cref="ResponseParameters.QueueMs"/> and <see cref="ResponseParameters.ExecMs"/>.
/// </summary>
public sealed class InferenceService(
    ModelCatalog catalog,
    IInferenceBackend backend,
    IOptions<ServingOptions> options,
    TimeProvider timeProvider) : GRPCInferenceService.GRPCInferenceServiceBase
{
    private static readonly string SoftwareVersion =
        typeof(InferenceService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly ServingOptions _options = options.Value;

    /// <inheritdoc />
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    /// <inheritdoc />
    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = catalog.Models.Count > 0 });

    /// <inheritdoc />
    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = catalog.TryGet(request.Name, request.Version, out _) });

    /// <inheritdoc />
    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = _options.NodeName, Version = SoftwareVersion });

    /// <inheritdoc />
    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var model = InferRequestValidator.ResolveModel(catalog, request.Name, request.Version);
        var response = new ModelMetadataResponse { Name = model.Name, Platform = ServedModel.OnnxPlatform };
        response.Versions.Add(model.VersionString);
        foreach (var input in model.Inputs)
        {
            var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = input.Name, Datatype = input.DataTypeName };
            tensor.Shape.Add(input.Shape);
            response.Inputs.Add(tensor);
        }

        foreach (var output in model.Outputs)
        {
            var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = output.Name, Datatype = output.DataTypeName };
            tensor.Shape.Add(output.Shape);
            response.Outputs.Add(tensor);
        }

        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        // The request's pooled bytes go back when the call is over, whatever its outcome.
        InferMessages.ReturnAfterCall(context, request);
        RequestParameterLimits.Check(request, _options);
        var model = InferRequestValidator.ResolveModel(catalog, request.ModelName, request.ModelVersion);
        var validated = InferRequestValidator.Validate(request, model, _options.MaxRequestBytes);
        var call = new InferenceCall
        {
            Request = request,
            Model = model,
            Validated = validated,
            Deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline.ToUniversalTime(),
        };

        InferenceOutcome outcome;
        try
        {
            outcome = await backend.InferAsync(call, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw call.Cancellation(timeProvider.GetUtcNow());
        }

        var response = outcome.Response;
        // A peer's response (the agent's offload) is written from its pooled bytes, then returned.
        InferMessages.ReturnAfterCall(context, response);
        response.ModelName = model.Name;
        response.ModelVersion = model.VersionString;
        response.Id = request.Id;
        response.Parameters[ResponseParameters.Placement] = new InferParameter { StringParam = outcome.Placement.ToString() };
        response.Parameters[ResponseParameters.QueueMs] = new InferParameter { DoubleParam = outcome.QueueMs };
        response.Parameters[ResponseParameters.ExecMs] = new InferParameter { DoubleParam = outcome.ExecMs };
        return response;
    }
}

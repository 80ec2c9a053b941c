using System.Reflection;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Execution;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The Open Inference Protocol service both roles serve. ModelInfer validates the request against
/// the local catalog, hands it to the registered <see cref="IInferenceBackend"/>, and stamps the
/// response with <c>edgeagent.placement</c>, <c>edgeagent.queue_ms</c> and <c>edgeagent.exec_ms</c>.
/// </summary>
public sealed partial class InferenceService(
    ModelCatalog catalog,
    IInferenceBackend backend,
    IOptions<ServingOptions> options,
    TimeProvider timeProvider,
    ILogger<InferenceService> logger) : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <summary>Response parameter: where the request ran ("local", "local:int8", "peer:cloud").</summary>
    public const string PlacementParameter = "edgeagent.placement";

    /// <summary>Response parameter: milliseconds queued where it ran.</summary>
    public const string QueueMsParameter = "edgeagent.queue_ms";

    /// <summary>Response parameter: milliseconds of execution where it ran.</summary>
    public const string ExecMsParameter = "edgeagent.exec_ms";

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
        catch (RpcException)
        {
            throw;
        }
        catch (ExecutorQueueFullException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            var expired = call.Remaining(timeProvider.GetUtcNow()) is { } left && left <= TimeSpan.Zero;
            throw new RpcException(expired
                ? new Status(StatusCode.DeadlineExceeded, $"The deadline passed before model '{model.Name}' finished.")
                : new Status(StatusCode.Cancelled, "The caller cancelled the request."));
        }
        catch (OnnxRuntimeException ex) when (IsInputRejection(ex))
        {
            // Metadata cannot express every constraint (two dynamic dims that must agree, index
            // ranges): the model refused these inputs, so the caller's request is at fault.
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Model '{model.Name}' rejected the inputs: {ex.Message}"));
        }
        catch (OnnxRuntimeException ex)
        {
            Log.RunFailed(logger, model.Name, ex);
            throw new RpcException(new Status(StatusCode.Internal, $"ONNX Runtime failed to run model '{model.Name}': {ex.Message}"));
        }

        var response = outcome.Response;
        response.ModelName = model.Name;
        response.ModelVersion = model.VersionString;
        response.Id = request.Id;
        response.Parameters[PlacementParameter] = new InferParameter { StringParam = outcome.Placement.ToString() };
        response.Parameters[QueueMsParameter] = new InferParameter { DoubleParam = outcome.QueueMs };
        response.Parameters[ExecMsParameter] = new InferParameter { DoubleParam = outcome.ExecMs };
        return response;
    }

    private static bool IsInputRejection(OnnxRuntimeException ex) =>
        ex.Message.StartsWith("[ErrorCode:InvalidArgument]", StringComparison.Ordinal)
        || ex.Message.StartsWith("[ErrorCode:Fail]", StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Error, Message = "ONNX Runtime failed to run model {Model}.")]
        public static partial void RunFailed(ILogger logger, string model, Exception exception);
    }
}

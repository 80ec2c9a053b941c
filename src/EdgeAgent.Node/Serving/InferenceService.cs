using System.Reflection;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
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
        var call = Validated(request, context);
        InferenceOutcome outcome;
        try
        {
            outcome = await backend.InferAsync(call, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw call.Cancellation(timeProvider.GetUtcNow());
        }

        return Stamped(outcome, call.Model, request.Id, context);
    }

    /// <summary>
    /// ModelInfer on a node whose backend takes requests while they arrive (the agent, issue 17):
    /// bound as a client-streaming method (the same wire format as unary: one message each way), so
    /// it runs as soon as the call's headers are in and reads the body itself
    /// (<see cref="ArrivingRequest"/>): a large uncompressed request is handed to the backend once its
    /// head is in and valid; any other body is read by grpc-dotnet's reader, one message exactly,
    /// and served as <see cref="ModelInfer"/> serves it.
    /// </summary>
    /// <exception cref="RpcException">As grpc-dotnet's unary reading, for a body without exactly one message.</exception>
    public async Task<ModelInferResponse> ModelInferArriving(IAsyncStreamReader<ModelInferRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (backend is IArrivingRequestBackend { ArrivingMinBytes: > 0 } arriving)
        {
            var http = context.GetHttpContext();
            var body = await ArrivingRequest.TryStartAsync(http.Request.BodyReader, arriving.ArrivingMinBytes, _options.TransportMessageLimit, context.CancellationToken).ConfigureAwait(false);
            if (body is not null)
            {
                // The array goes back once the response is written and no forward reads it.
                http.Response.RegisterForDispose(body);
                return await ArrivingAsync(body, arriving, context).ConfigureAwait(false);
            }
        }

        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Internal, "Incomplete message."));
        }

        var request = requestStream.Current;
        if (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Internal, "Additional data after the message received."));
        }

        return await ModelInfer(request, context).ConfigureAwait(false);
    }

    private async Task<ModelInferResponse> ArrivingAsync(ArrivingRequest body, IArrivingRequestBackend arriving, ServerCallContext context)
    {
        ServedModel? model = null;
        ValidatedRequest? head = null;
        if (body.Head is { } fields)
        {
            try
            {
                RequestParameterLimits.Check(fields, _options);
                model = InferRequestValidator.ResolveModel(catalog, fields.ModelName, fields.ModelVersion);
                head = InferRequestValidator.ValidateHead(fields, model, _options.MaxRequestBytes);
            }
            catch (InferenceException)
            {
                // Refused from its head: the whole request gets the refusal a buffered one gets,
                // in the same order of checks (a malformed tail first).
                model = null;
            }
        }

        if (model is null || head is null)
        {
            return await ModelInfer(await WholeAsync(body).ConfigureAwait(false), context).ConfigureAwait(false);
        }

        // A large answer from a peer goes on to the caller as it arrives (issue 17, response cut-through).
        var relay = arriving.RelayMinBytes > 0
            ? new ResponseRelay(context, arriving.RelayMinBytes, _options.TransportMessageLimit, model.Name, model.VersionString, body.Head!.Id)
            : null;
        var call = new ArrivingCall
        {
            Body = body,
            Model = model,
            Head = head,
            Relay = relay,
            Deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline.ToUniversalTime(),
            Complete = async () =>
            {
                ModelInferRequest request;
                try
                {
                    request = await body.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not ArrivingRequestException)
                {
                    // A body that failed (malformed, cut short, the client gone) never reached the
                    // backend when it was read whole either: not recorded, the same status.
                    throw new ArrivingRequestException(ex);
                }

                InferenceCall complete;
                try
                {
                    complete = Validated(request, context);
                }
                catch (InferenceException ex)
                {
                    throw new ArrivingRequestException(ex);
                }

                body.ReleaseTail();
                return complete;
            },
        };

        InferenceOutcome outcome;
        try
        {
            outcome = await arriving.InferArrivingAsync(call, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (relay is { Began: true })
        {
            // Part of the peer's answer is with the caller: no status can follow it, the stream is reset.
            relay.Abort();
            throw;
        }
        catch (ArrivingRequestException ex) when (ex.HeadNotFinal is { } whole)
        {
            return await ModelInfer(whole, context).ConfigureAwait(false);
        }
        catch (ArrivingRequestException ex) when (ex.Refusal is { } refusal)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal);
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw InferenceCall.Cancellation(model, call.Deadline, timeProvider.GetUtcNow());
        }

        if (relay is { Began: true })
        {
            InferMessages.ReturnAfterCall(context, outcome.Response);
            if (relay.IsBroken)
            {
                // The caller went away while the answer was relayed.
                relay.Abort();
                throw InferenceCall.Cancellation(model, call.Deadline, timeProvider.GetUtcNow());
            }

            try
            {
                return await relay.CompleteAsync(outcome.QueueMs, outcome.ExecMs, context.CancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                relay.Abort();
                throw;
            }
        }

        return Stamped(outcome, model, body.Head!.Id, context);
    }

    // The whole message of a body whose head is not used: its parse error, or the request.
    private static async Task<ModelInferRequest> WholeAsync(ArrivingRequest body)
    {
        try
        {
            return await body.CompleteAsync().ConfigureAwait(false);
        }
        catch (ArrivingRequestException ex) when (ex.HeadNotFinal is { } whole)
        {
            return whole;
        }
    }

    private InferenceCall Validated(ModelInferRequest request, ServerCallContext context)
    {
        RequestParameterLimits.Check(request, _options);
        var model = InferRequestValidator.ResolveModel(catalog, request.ModelName, request.ModelVersion);
        var validated = InferRequestValidator.Validate(request, model, _options.MaxRequestBytes);
        return new InferenceCall
        {
            Request = request,
            Model = model,
            Validated = validated,
            Deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline.ToUniversalTime(),
        };
    }

    private static ModelInferResponse Stamped(InferenceOutcome outcome, ServedModel model, string id, ServerCallContext context)
    {
        var response = outcome.Response;
        // A peer's response (the agent's offload) is written from its pooled bytes, then returned.
        InferMessages.ReturnAfterCall(context, response);
        response.ModelName = model.Name;
        response.ModelVersion = model.VersionString;
        response.Id = id;
        response.Parameters[ResponseParameters.Placement] = new InferParameter { StringParam = outcome.Placement.ToString() };
        response.Parameters[ResponseParameters.QueueMs] = new InferParameter { DoubleParam = outcome.QueueMs };
        response.Parameters[ResponseParameters.ExecMs] = new InferParameter { DoubleParam = outcome.ExecMs };
        return response;
    }
}

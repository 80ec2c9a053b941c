using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Node.Serving;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.Demo.Cluster;

/// <summary>One ModelInfer call as the client saw it.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Placement">The <c>edgeagent.placement</c> response parameter ("local", "peer:cloud"), or "direct" when the server sets none.</param>
/// <param name="LatencySeconds">Client-measured time from send to decoded reply.</param>
/// <param name="QueueMs">The <c>edgeagent.queue_ms</c> response parameter (NaN when absent).</param>
/// <param name="ExecMs">The <c>edgeagent.exec_ms</c> response parameter (NaN when absent).</param>
/// <param name="RequestBytes">Tensor bytes sent.</param>
/// <param name="ResponseBytes">Tensor bytes received.</param>
public sealed record InferCallRecord(string Model, string Placement, double LatencySeconds, double QueueMs, double ExecMs, long RequestBytes, long ResponseBytes);

/// <summary>
/// Runs OCR models through any Open Inference Protocol server (the agent, a peer, Triton) with
/// raw FP32 tensors, reading input and output names from ModelMetadata once per model, and
/// reports every call to an observer.
/// </summary>
public sealed class OipModelRunner : IOcrModelRunner
{
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client;
    private readonly Action<InferCallRecord>? _observer;
    private readonly TimeSpan _timeout;
    private readonly ConcurrentDictionary<string, Task<(string Input, string Output)>> _names = new(StringComparer.Ordinal);

    /// <summary>Creates a runner over <paramref name="client"/>.</summary>
    /// <param name="client">The inference service client.</param>
    /// <param name="observer">Called after every successful call.</param>
    /// <param name="timeout">Deadline of each call.</param>
    public OipModelRunner(GRPCInferenceService.GRPCInferenceServiceClient client, Action<InferCallRecord>? observer = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _observer = observer;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    /// <inheritdoc />
    public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken) => RunAsync(model, input, followed: false, batchAfter: 0, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A followed request carries <see cref="RequestParameters.Followed"/> = true.</remarks>
    public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, CancellationToken cancellationToken) => RunAsync(model, input, followed, batchAfter: 0, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A followed request carries <see cref="RequestParameters.Followed"/> = true; one with requests behind
    /// it carries <see cref="RequestParameters.BatchAfter"/> = <paramref name="batchAfter"/>.
    /// </remarks>
    public async ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, int batchAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (inputName, _) = await _names.GetOrAdd(model, m => LoadNamesAsync(m, cancellationToken)).ConfigureAwait(false);
        var request = BuildRequest(model, inputName, input, followed, batchAfter);

        var started = Stopwatch.GetTimestamp();
        var response = await _client.ModelInferAsync(request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        var output = ReadFirstOutput(response, model);
        var latency = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _observer?.Invoke(new InferCallRecord(
            model,
            response.Parameters.TryGetValue(ResponseParameters.Placement, out var placement) ? placement.StringParam : "direct",
            latency,
            Double(response, ResponseParameters.QueueMs),
            Double(response, ResponseParameters.ExecMs),
            input.Data.Length * sizeof(float),
            output.Data.Length * sizeof(float)));
        return output;
    }

    /// <summary>
    /// A ModelInfer request carrying <paramref name="input"/> as raw little-endian FP32; with <paramref name="followed"/>
    /// it carries <see cref="RequestParameters.Followed"/> = true, with a positive <paramref name="batchAfter"/>
    /// <see cref="RequestParameters.BatchAfter"/>.
    /// </summary>
    public static ModelInferRequest BuildRequest(string model, string inputName, OcrTensor input, bool followed = false, int batchAfter = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = inputName, Datatype = "FP32" };
        tensor.Shape.AddRange(input.LongShape);
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(tensor);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(input.Data.AsSpan())));
        if (followed)
        {
            RequestParameters.MarkFollowed(request);
        }

        if (batchAfter > 0)
        {
            RequestParameters.MarkBatchAfter(request, batchAfter);
        }

        return request;
    }

    /// <summary>The first output of <paramref name="response"/> as FP32 (raw or typed contents).</summary>
    /// <exception cref="RpcException">The response has no FP32 output.</exception>
    public static OcrTensor ReadFirstOutput(ModelInferResponse response, string model)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Outputs.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Model '{model}' returned no outputs."));
        }

        var output = response.Outputs[0];
        if (output.Datatype != "FP32")
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Model '{model}' returned {output.Datatype}; the OCR pipeline expects FP32."));
        }

        var shape = output.Shape.Select(d => checked((int)d)).ToArray();
        float[] data;
        if (response.RawOutputContents.Count > 0)
        {
            data = MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
        }
        else
        {
            data = [.. output.Contents.Fp32Contents];
        }

        return new OcrTensor(data, shape);
    }

    private async Task<(string Input, string Output)> LoadNamesAsync(string model, CancellationToken cancellationToken)
    {
        var metadata = await _client.ModelMetadataAsync(new ModelMetadataRequest { Name = model }, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        if (metadata.Inputs.Count != 1 || metadata.Outputs.Count < 1)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Model '{model}' has {metadata.Inputs.Count} inputs and {metadata.Outputs.Count} outputs; the OCR pipeline expects one input."));
        }

        return (metadata.Inputs[0].Name, metadata.Outputs[0].Name);
    }

    private static double Double(ModelInferResponse response, string key) =>
        response.Parameters.TryGetValue(key, out var value) && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.DoubleParam ? value.DoubleParam : double.NaN;
}

using System.Reflection;
using System.Runtime.InteropServices;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Serving;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Peer;

/// <summary>
/// edgeagent.v1.PeerService: a stream of LoadReports taken from the local executor at an
/// interval, the node's capabilities, and link probes (the agent's <c>LinkProber</c> measures the
/// link's rate with them instead of running a model). Streams end when the caller cancels or the node stops.
/// </summary>
public sealed class PeerService(
    LocalExecutor executor,
    IOptions<PeerOptions> options,
    IOptions<ServingOptions> serving,
    IHostApplicationLifetime lifetime,
    LoadStreamLimiter streams,
    TimeProvider timeProvider) : Contracts.V1.PeerService.PeerServiceBase
{
    private static readonly string SoftwareVersion =
        typeof(PeerService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The interval used for a request asking for <paramref name="requestedMs"/> (0 = default), clamped to the configured range.</summary>
    public static TimeSpan ResolveInterval(uint requestedMs, PeerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ms = requestedMs == 0
            ? options.LoadReportIntervalMs
            : Math.Clamp((long)requestedMs, options.MinLoadReportIntervalMs, options.MaxLoadReportIntervalMs);
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <inheritdoc />
    public override async Task WatchLoad(WatchLoadRequest request, IServerStreamWriter<LoadReport> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var interval = ResolveInterval(request.IntervalMs, options.Value);
        using var slot = streams.Acquire(context);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var token = linked.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                await responseStream.WriteAsync(LoadReports.FromSnapshot(executor.GetLoadSnapshot(), executor.Catalog), token).ConfigureAwait(false);
                await Task.Delay(interval, timeProvider, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The caller left or the node is stopping: a clean end of the stream.
        }
    }

    /// <summary>Largest payload a probe reply carries back, in bytes (a larger request is capped).</summary>
    public const int MaxProbeResponseBytes = 2 * 1024 * 1024;

    // The filler every probe reply wraps (zeros; wrapped, not copied), allocated on the first probe.
    private static class ProbeFiller
    {
        public static readonly byte[] Bytes = new byte[MaxProbeResponseBytes];
    }

    /// <summary>
    /// A link probe: the request's payload has crossed the link (its content is ignored); the reply
    /// carries min(<c>response_bytes</c>, <see cref="MaxProbeResponseBytes"/>) filler bytes back.
    /// </summary>
    public override Task<ProbeReply> Probe(ProbeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bytes = (int)Math.Min(request.ResponseBytes, (uint)MaxProbeResponseBytes);
        return Task.FromResult(new ProbeReply { Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(ProbeFiller.Bytes.AsMemory(0, bytes)) });
    }

    /// <inheritdoc />
    public override Task<Capabilities> GetCapabilities(GetCapabilitiesRequest request, ServerCallContext context)
    {
        var capabilities = new Capabilities
        {
            NodeName = serving.Value.NodeName,
            SoftwareVersion = SoftwareVersion,
            MaxConcurrency = (uint)executor.MaxConcurrency,
            QueueCapacity = (uint)executor.QueueCapacity,
            ComputeSpeedFactor = executor.ComputeSpeedFactor,
            Device = options.Value.Device
                ?? $"{RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} CPUs",
        };
        foreach (var model in executor.Catalog.Models)
        {
            var capability = new ModelCapability { Name = model.Name, Platform = ServedModel.OnnxPlatform };
            capability.Versions.Add(model.VersionString);
            capabilities.Models.Add(capability);
        }

        return Task.FromResult(capabilities);
    }
}

using EdgeAgent.Contracts.Inference;
using EdgeAgent.Core.Offloading;
using System.Diagnostics;
using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Serving;
using EdgeAgent.Node.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's <see cref="IInferenceBackend"/>: for each validated request
/// Observe (<see cref="ClusterView"/>) -> Decide (<see cref="IOffloadPolicy"/> with the current
/// <see cref="OperatorPreference"/>) -> Execute (the local executor, or the peer with a deadline of
/// min(request deadline, <see cref="AgentOptions.OffloadTimeout"/>)) -> on a peer failure or missed
/// deadline, run locally within the request's own deadline (response parameter
/// <c>edgeagent.fallback_from</c> names the peer; a call waiting on a peer found hung,
/// <see cref="PeerHangDetector"/>, is released early and runs locally the same way) -> Record (one <see cref="DecisionRecord"/> to the
/// <see cref="DecisionLog"/>, which hands it to every registered <see cref="IDecisionObserver"/>, and
/// to the meters).
/// </summary>
public sealed partial class Dispatcher(
    ClusterView cluster,
    IOffloadPolicy policy,
    OperatorPreference preference,
    LocalInferenceBackend local,
    IEnergyEstimator energy,
    DecisionLog decisions,
    AgentMetrics metrics,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<Dispatcher> logger,
    IHostApplicationLifetime? lifetime = null,
    IOptions<ServingOptions>? serving = null) : IArrivingRequestBackend
{
    // On shutdown, offloads still waiting after half the shutdown timeout fall back to local
    // execution, so they finish inside the drain instead of being cut off (issue 13).
    private readonly TimeSpan _drainGrace = (serving?.Value.ShutdownTimeout ?? TimeSpan.FromSeconds(10)) / 2;

    private readonly TimeSpan _offloadTimeout = options.Value.OffloadTimeout;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> _localPathSeconds = new(StringComparer.Ordinal);

    /// <summary>The policy deciding placements.</summary>
    public IOffloadPolicy Policy => policy;

    /// <inheritdoc />
    public int ArrivingMinBytes { get; } = options.Value.CutThroughMinBytes;

    /// <inheritdoc />
    public int RelayMinBytes { get; } = options.Value.RelayMinBytes;

    /// <inheritdoc />
    /// <remarks>
    /// Observe and Decide run on the head; a peer placement on a single peer starts the peer call at
    /// once with the bytes as they arrive (<see cref="PeerConnection.InferAsync(ArrivingRequest, ForwardShape, TimeSpan, CancellationToken, ResponseRelay)"/>),
    /// any other placement waits for the whole request first. A request refused once whole
    /// abandons the peer call (neither a success nor a failure of the peer) and is not recorded, as
    /// a buffered request refused by the service never reaches the dispatcher.
    /// </remarks>
    public Task<InferenceOutcome> InferArrivingAsync(ArrivingCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return InferAsync(new InferenceCall { Request = call.Body.Head!, Model = call.Model, Validated = call.Head, Deadline = call.Deadline, Arriving = call }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var start = time.GetTimestamp();
        var remaining = call.Remaining(time.GetUtcNow());
        var requestBytes = call.Validated.TotalInputBytes;
        var ownRate = cluster.RecordRequestArrival(start / (double)time.TimestampFrequency);
        var observation = cluster.Observe(call.Model.Name, requestBytes, remaining, ownRate, RequestParameters.BatchAfterOf(call.Request));
        var currentPreference = preference.Current;
        var decided = Decide(observation, currentPreference);

        // A request its client follows with a later stage of the same page counts as in flight from
        // its decision to its answer or failure (the finally below): the observation's own_followed_in_flight.
        var followed = RequestParameters.IsFollowed(call.Request);
        if (followed)
        {
            cluster.BeginFollowed();
        }

        string? fallbackFrom = null;
        var radioJoules = 0.0;
        var wireSeconds = 0.0;
        try
        {
            InferenceOutcome? outcome = null;
            var target = decided.Kind == PlacementKind.Peer ? observation.Candidate(decided)?.Handle as PeerConnection : null;
            var budget = target is null ? null : OffloadBudget(remaining, observation, _offloadTimeout, _localPathSeconds.GetValueOrDefault(call.Model.Name));
            if (target is not null && budget is null)
            {
                // The caller's deadline leaves no time for the peer and a local fallback: run locally now.
                fallbackFrom = target.Name;
                Log.NoTimeToOffload(logger, target.Name, call.Model.Name, remaining?.TotalMilliseconds ?? 0);
            }

            if (target is { } peer && budget is { } timeout)
            {
                var peerStart = time.GetTimestamp();
                // The offload span is current while the call runs, so the gRPC client's spans are
                // its children and the peer's spans join this trace (W3C traceparent).
                using var activity = NodeTelemetry.StartSpan("edgeagent.offload");
                var span = NodeTelemetry.Recorded(activity);
                span?.SetTag("rpc.system", "grpc");
                span?.SetTag("rpc.service", "inference.GRPCInferenceService");
                span?.SetTag("rpc.method", "ModelInfer");
                span?.SetTag("edgeagent.peer", peer.Name);
                span?.SetTag("server.address", peer.Endpoint.Url.Host);
                span?.SetTag("server.port", peer.Endpoint.Url.Port);
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var stopping = lifetime?.ApplicationStopping.Register(static state =>
                {
                    var (source, grace) = ((CancellationTokenSource, TimeSpan))state!;
                    try
                    {
                        source.CancelAfter(grace);
                    }
                    catch (ObjectDisposedException)
                    {
                        // The call already ended.
                    }
                }, (drain, _drainGrace));
                try
                {
                    var shape = new ForwardShape(requestBytes, observation.Candidate(decided)?.ExpectedExecSeconds ?? 0.0);
                    if (call.Arriving?.Relay is { } relay)
                    {
                        // The answer names this placement whether it is relayed or written whole.
                        relay.Placement = decided.ToString();
                    }

                    var response = await ForwardAsync(peer, call, shape, timeout, drain.Token).ConfigureAwait(false);
                    var elapsed = time.GetElapsedTime(peerStart).TotalSeconds;
                    var responseBytes = response.CalculateSize();
                    outcome = new InferenceOutcome(response, decided, DoubleParameter(response, ResponseParameters.QueueMs), DoubleParameter(response, ResponseParameters.ExecMs));
                    span?.SetTag("rpc.grpc.status_code", 0);
                    wireSeconds = Math.Max(0, elapsed - ((outcome.QueueMs + outcome.ExecMs) / 1000.0));
                    // Radio time: this call's measured time on the wire less the round trip, when the
                    // peer reported its queue and exec times and that leaves a measurable transfer (1 ms,
                    // the link estimator's rule); else the bytes at the link's estimate. (Priced at the
                    // estimate only, two agents moving the same bytes over the same link were charged up
                    // to 20 % apart, by whatever their estimates were at the reply.)
                    var measured = wireSeconds - peer.Link.RoundTripSeconds;
                    var transfer = response.Parameters.ContainsKey(ResponseParameters.ExecMs) && measured >= 0.001
                        ? Math.Min(measured, elapsed)
                        : Math.Min(elapsed, (requestBytes + responseBytes) * 8.0 / peer.Link.ThroughputBitsPerSecond);
                    radioJoules = energy.OffloadJoules(requestBytes, responseBytes, transfer, Math.Max(0, elapsed - transfer));
                }
                catch (RpcException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException("The caller cancelled or its deadline passed.", cancellationToken);
                }
                catch (RpcException ex) when (call.Arriving?.Relay is { Began: true })
                {
                    // The peer's answer was already on its way to the caller (response cut-through):
                    // no local run can replace it now; the service resets the caller's stream.
                    span?.SetTag("rpc.grpc.status_code", (int)ex.StatusCode);
                    span?.SetStatus(ActivityStatusCode.Error, ex.StatusCode.ToString());
                    Log.PeerFailedMidRelay(logger, peer.Name, call.Model.Name, ex.StatusCode, ex.Status.Detail);
                    throw;
                }
                catch (RpcException ex) when (!FallsBackLocally(ex.StatusCode))
                {
                    // The caller's own error: the local model would refuse the request too, so it is
                    // answered now, not run a second time (docs/architecture.md, "Peer answers").
                    span?.SetTag("rpc.grpc.status_code", (int)ex.StatusCode);
                    span?.SetStatus(ActivityStatusCode.Error, ex.StatusCode.ToString());
                    var elapsed = time.GetElapsedTime(peerStart).TotalSeconds;
                    var transfer = requestBytes * 8.0 / peer.Link.ThroughputBitsPerSecond;
                    radioJoules = energy.OffloadJoules(requestBytes, 0, Math.Min(transfer, elapsed), Math.Max(0, elapsed - transfer));
                    Log.PeerRefusedAsInvalid(logger, peer.Name, call.Model.Name, ex.StatusCode, ex.Status.Detail);
                    throw new RpcException(new Status(ex.StatusCode, $"Peer '{peer.Name}' refused the request: {WireText.Printable(ex.Status.Detail, 512)}"));
                }
                catch (RpcException ex)
                {
                    fallbackFrom = peer.Name;
                    span?.SetTag("rpc.grpc.status_code", (int)ex.StatusCode);
                    span?.SetStatus(ActivityStatusCode.Error, ex.StatusCode.ToString());
                    var elapsed = time.GetElapsedTime(peerStart).TotalSeconds;
                    var transfer = requestBytes * 8.0 / peer.Link.ThroughputBitsPerSecond;
                    radioJoules = energy.OffloadJoules(requestBytes, 0, Math.Min(transfer, elapsed), Math.Max(0, elapsed - transfer));
                    if (ex is PeerHungException)
                    {
                        // Released when the peer was found hung (PeerConnection logged that once for
                        // every call it released); it runs locally now, well within its deadline.
                        Log.PeerHungFallback(logger, peer.Name, call.Model.Name, elapsed * 1000);
                    }
                    else if (ex.StatusCode is StatusCode.NotFound or StatusCode.ResourceExhausted or StatusCode.FailedPrecondition)
                    {
                        // The peer refused this request (its load, its limits, a model it lacks), not
                        // failed: a client sending such requests in a loop must not get a warning per
                        // request (RejectedCallLog counts the final statuses).
                        Log.PeerRefused(logger, peer.Name, call.Model.Name, ex.StatusCode, ex.Status.Detail);
                    }
                    else
                    {
                        Log.PeerFailed(logger, peer.Name, call.Model.Name, ex.StatusCode, ex.Status.Detail);
                    }
                }
            }

            if (outcome is null)
            {
                var variant = decided.IsLocal && !ModelVariant.IsDefault(decided.Target) ? decided.Target : null;
                using var activity = NodeTelemetry.StartSpan("edgeagent.local");
                var span = NodeTelemetry.Recorded(activity);
                span?.SetTag("edgeagent.model", call.Model.Name);
                span?.SetTag("edgeagent.variant", variant ?? "default");
                if (fallbackFrom is not null)
                {
                    span?.SetTag("edgeagent.fallback_from", fallbackFrom);
                }

                try
                {
                    var localStart = time.GetTimestamp();
                    outcome = await local.RunAsync(await WholeAsync(call).ConfigureAwait(false), variant, cancellationToken).ConfigureAwait(false);
                    var seconds = time.GetElapsedTime(localStart).TotalSeconds;
                    _localPathSeconds.AddOrUpdate(call.Model.Name, seconds, (_, mean) => mean + (0.3 * (seconds - mean)));
                }
                catch (ModelLoadException ex) when (variant is not null)
                {
                    // The variant's session could not be created; it fails this request and is no
                    // longer offered (LocalExecutorLoadSource skips failed variants).
                    Log.VariantFailed(logger, variant, call.Model.Name, ex.Message);
                    throw;
                }
                if (fallbackFrom is not null)
                {
                    outcome.Response.Parameters[ResponseParameters.FallbackFrom] = new InferParameter { StringParam = fallbackFrom };
                }
            }

            cluster.RecordResponseBytes(call.Model.Name, outcome.Response.CalculateSize());
            var computeJoules = outcome.Placement.IsLocal ? energy.LocalJoules(outcome.ExecMs / 1000.0, outcome.Placement.Target) : 0.0;
            Record(call, requestBytes, observation, decided, outcome.Placement, fallbackFrom, currentPreference, start, outcome.QueueMs, outcome.ExecMs, TaskFigures(computeJoules, radioJoules), success: true,
                outcome.Placement.IsLocal ? 0.0 : wireSeconds, StatusCode.OK);
            return outcome;
        }
        catch (Exception ex) when (ex is not ArrivingRequestException)
        {
            Record(call, requestBytes, observation, decided, fallbackFrom is null ? decided : Placement.Local(), fallbackFrom, currentPreference, start, 0, 0, TaskFigures(0, radioJoules), success: false,
                0.0, StatusOf(ex, call));
            throw;
        }
        finally
        {
            if (followed)
            {
                cluster.EndFollowed();
            }
        }
    }

    // The request to a peer: as received, or for a call still arriving (cut-through) its bytes as
    // they come, on a single peer; the whole request is parsed and validated meanwhile. Refused (or
    // not as its head said), the peer call is abandoned before the peer has the whole message, and
    // the refusal goes up (ArrivingRequestException, not recorded).
    private static async Task<ModelInferResponse> ForwardAsync(PeerConnection peer, InferenceCall call, ForwardShape shape, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (call.Arriving is not { } arriving)
        {
            return await peer.InferAsync(call.Request, shape, timeout, cancellationToken).ConfigureAwait(false);
        }

        if (!peer.ForwardsArriving)
        {
            return await peer.InferAsync((await arriving.CompleteAsync().ConfigureAwait(false)).Request, shape, timeout, cancellationToken).ConfigureAwait(false);
        }

        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var forward = peer.InferAsync(arriving.Body, shape, timeout, abandon.Token, arriving.Relay);
        try
        {
            await arriving.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await forward.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The abandoned call's own outcome does not matter; the refusal does.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            throw;
        }

        return await forward.ConfigureAwait(false);
    }

    // The whole call: itself, or once arrived, a call still arriving.
    private static async Task<InferenceCall> WholeAsync(InferenceCall call) =>
        call.Arriving is { } arriving ? await arriving.CompleteAsync().ConfigureAwait(false) : call;

    /// <summary>
    /// How long the peer may take: the offload timeout, or less when the caller's deadline must also
    /// leave room for running the request locally after a failed or late peer. The reserve is the
    /// local default row's expected completion (its queue's residual work per slot plus its
    /// execution time, or the measured wall time of this agent's local path for the model when that
    /// is longer: it includes tensor conversion and response building) times
    /// <see cref="FallbackReserveFactor"/>, plus <see cref="FallbackReserveFloor"/>.
    /// Null when less than <see cref="MinimumOffloadBudget"/> would be left (issue 13: with client
    /// deadlines under the offload timeout, requests were lost because the peer call took the whole
    /// remaining deadline).
    /// </summary>
    internal static TimeSpan? OffloadBudget(TimeSpan? remaining, OffloadObservation observation, TimeSpan offloadTimeout, double measuredLocalSeconds = 0)
    {
        if (remaining is not { } left)
        {
            return offloadTimeout;
        }

        var local = observation.Servers.Count > 0 && observation.Servers[0].Placement.IsLocal ? observation.Servers[0] : null;
        var queue = local is null ? 0.0 : local.ResidualWorkSeconds / Math.Max(1, local.MaxConcurrency);
        var expectedLocal = queue + Math.Max(local?.ExpectedExecSeconds ?? 0.0, measuredLocalSeconds);
        var reserve = TimeSpan.FromSeconds(expectedLocal * FallbackReserveFactor) + FallbackReserveFloor;
        var budget = left - reserve;
        if (budget < MinimumOffloadBudget)
        {
            return null;
        }

        return budget < offloadTimeout ? budget : offloadTimeout;
    }

    /// <summary>
    /// Whether a peer's error answer is retried locally. The agent forwards only requests that
    /// passed its own validation against the same model's metadata and its own request limits, so:
    /// INVALID_ARGUMENT and OUT_OF_RANGE are the caller's error (what a peer still refuses as
    /// invalid is the content, e.g. an index the model's Gather refuses, and the local model refuses
    /// it too): answered as the peer answered, not run twice. Every other status says something
    /// about that peer, not the request: its load or its configured limits (RESOURCE_EXHAUSTED),
    /// a model or version it lacks (NOT_FOUND), a model it cannot load (FAILED_PRECONDITION), a
    /// method it lacks (UNIMPLEMENTED), its credentials (UNAUTHENTICATED, PERMISSION_DENIED), its
    /// failure or absence (UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS, ABORTED, CANCELLED), its
    /// lateness (DEADLINE_EXCEEDED): the request runs locally.
    /// </summary>
    internal static bool FallsBackLocally(StatusCode status) => status is not (StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.OK);

    /// <summary>Safety factor on the expected local completion time kept free for a fallback.</summary>
    internal const double FallbackReserveFactor = 1.5;

    /// <summary>Fixed part of the fallback reserve (scheduling, response building).</summary>
    internal static readonly TimeSpan FallbackReserveFloor = TimeSpan.FromMilliseconds(20);

    /// <summary>A peer call with less time than this is not attempted.</summary>
    internal static readonly TimeSpan MinimumOffloadBudget = TimeSpan.FromMilliseconds(5);

    private Placement Decide(OffloadObservation observation, Preference currentPreference)
    {
        using var span = NodeTelemetry.StartSpan("edgeagent.decide");
        var start = time.GetTimestamp();
        try
        {
            var placement = policy.Decide(observation, currentPreference);
            metrics.RecordDecision(time.GetElapsedTime(start), policy.Name);
            if (NodeTelemetry.Recorded(span) is not null)
            {
                span!.SetTag("edgeagent.policy", policy.Name);
                span.SetTag("edgeagent.delay_weight", currentPreference.DelayWeight);
                span.SetTag("edgeagent.candidates", observation.Servers.Count);
                span.SetTag("edgeagent.placement", placement.ToString());
            }

            return placement;
        }
#pragma warning disable CA1031 // A broken policy must not fail requests: they run locally and the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PolicyFailed(logger, policy.Name, ex);
            return Placement.Local();
        }
    }

    private void Record(InferenceCall call, long bytes, OffloadObservation observation, Placement decided, Placement ranAt, string? fallbackFrom,
        Preference usedPreference, long start, double queueMs, double execMs, TaskEnergy taskEnergy, bool success, double transferSeconds, StatusCode status)
    {
        var record = new DecisionRecord(
            time.GetUtcNow(), call.Model.Name, bytes, decided, ranAt, fallbackFrom, usedPreference,
            time.GetElapsedTime(start).TotalSeconds, queueMs / 1000.0, execMs / 1000.0, taskEnergy, success, observation)
        {
            TransferSeconds = transferSeconds,
            StatusCode = (int)status,
        };
        decisions.Add(record);
        metrics.Record(record);
    }

    // The status the caller will get for a failed request: InferenceStatus maps domain errors, and
    // the caller's own cancellation is what the service will throw (InferenceCall.Cancellation).
    private StatusCode StatusOf(Exception exception, InferenceCall call) => exception switch
    {
        InferenceException inference => InferenceStatus.Code(inference.Error),
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException => InferenceStatus.Code(call.Cancellation(time.GetUtcNow()).Error),
        _ => StatusCode.Internal,
    };

    // Compute is labelled as the estimator says (measured when EdgeAgent.Hardware reads a power
    // sensor); radio energy is always modelled.
    private TaskEnergy TaskFigures(double computeJoules, double radioJoules) =>
        new(new EnergyFigure(computeJoules, computeJoules > 0 ? energy.LocalProvenance : EnergyProvenance.Modelled), new EnergyFigure(radioJoules, EnergyProvenance.Modelled));

    private static double DoubleParameter(ModelInferResponse response, string name) =>
        response.Parameters.TryGetValue(name, out var value) && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.DoubleParam
            ? value.DoubleParam
            : 0.0;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "Peer {Peer} failed model {Model} with {Status} ({Detail}); running it locally.")]
        public static partial void PeerFailed(ILogger logger, string peer, string model, StatusCode status, string detail);

        [LoggerMessage(EventId = 2026, Level = LogLevel.Debug, Message = "Peer {Peer} looks hung; model {Model}'s call to it was released after {WaitedMs:0} ms and runs locally.")]
        public static partial void PeerHungFallback(ILogger logger, string peer, string model, double waitedMs);

        [LoggerMessage(EventId = 2027, Level = LogLevel.Warning, Message = "Peer {Peer} failed model {Model} with {Status} ({Detail}) after its answer had begun to reach the caller; the caller's stream is reset.")]
        public static partial void PeerFailedMidRelay(ILogger logger, string peer, string model, StatusCode status, string detail);

        [LoggerMessage(EventId = 2024, Level = LogLevel.Debug, Message = "Peer {Peer} refused model {Model} with {Status} ({Detail}); running it locally.")]
        public static partial void PeerRefused(ILogger logger, string peer, string model, StatusCode status, string detail);

        [LoggerMessage(EventId = 2025, Level = LogLevel.Debug, Message = "Peer {Peer} refused model {Model} as the caller's error with {Status} ({Detail}); answered without a local run.")]
        public static partial void PeerRefusedAsInvalid(ILogger logger, string peer, string model, StatusCode status, string detail);

        [LoggerMessage(EventId = 2023, Level = LogLevel.Debug, Message = "Peer {Peer} was chosen for {Model} but the {RemainingMs:0} ms left leave no time for it and a local fallback; running locally.")]
        public static partial void NoTimeToOffload(ILogger logger, string peer, string model, double remainingMs);

        [LoggerMessage(EventId = 2021, Level = LogLevel.Error, Message = "Policy {Policy} failed to decide; running locally.")]
        public static partial void PolicyFailed(ILogger logger, string policy, Exception exception);

        [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Local variant {Variant} of {Model} failed to load and is no longer offered: {Detail}")]
        public static partial void VariantFailed(ILogger logger, string variant, string model, string detail);
    }
}

using System.Net;
using System.Net.Sockets;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Serving;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's live connection to one peer: a gRPC channel (through the emulated link when one is
/// configured), the peer's latest <see cref="PeerLoad"/> from its WatchLoad stream, RTT and
/// throughput estimates, and forwarding of inference calls. <see cref="RunAsync"/> keeps the view
/// current: GetCapabilities, then WatchLoad until the stream breaks or goes quiet for
/// <see cref="AgentOptions.StaleAfter"/> of observed time (<see cref="Lag"/>: time this agent was not
/// running does not count), then reconnect after an exponential backoff with jitter
/// (delay = min(max, initial * 2^failures) * U[0.5, 1) from the injected Random).
/// <para>
/// A peer group (<see cref="PeerEndpoint.IsGroup"/>, <c>dns:///HOST:PORT</c>) is one connection,
/// one candidate of the policy: its inference channel resolves HOST with Grpc.Net.Client's resolver
/// and spreads calls over the members with the <c>round_robin</c> policy (a member whose connection
/// fails leaves the rotation and rejoins when it reconnects: the balancer's own ejection and
/// re-admission), and a call a member failed with UNAVAILABLE is retried by the channel's retry
/// policy on another member within the same deadline. The same resolver feeds <see cref="Members"/>,
/// one connection per address that keeps that member's load stream; the group's <see cref="Load"/>
/// is the sum of its available members' queues, running tasks, executor slots, residual work and
/// histograms (so the policy's queue-per-slot terms are the members' mean, which round_robin
/// evens out), its models those every available member serves.
/// </para>
/// </summary>
public sealed partial class PeerConnection : ILinkProbeTarget, IDisposable
{
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly GrpcChannel _channel;
    private readonly PeerService.PeerServiceClient _peerClient;
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _inferenceClient;
    private readonly CallInvoker _invoker;
    private readonly ResolverFactory? _resolverFactory;
    private readonly ServiceProvider? _channelServices;
    private readonly ForwardedBodies? _bodies;
    private readonly PeerWriteBatches? _batches;
    private readonly Security.TlsCertificateStore? _tls;
    private readonly Lock _membersLock = new();
    private readonly Dictionary<string, (PeerConnection Connection, CancellationTokenSource Stop, Task Run)> _members = new(StringComparer.Ordinal);
    private PeerLoad _load = PeerLoad.Unknown;
    private CancellationTokenSource? _streamQuiet;
    private long _streamHeardAt;
    private int _inFlight;
    private int _probeUnsupported;
    private readonly Lock _trafficLock = new();
    private readonly List<OwnForward> _forwards = [];
    private long _linkFreeAt;
    private string _resolution = "";
    private int _groupRunning;
    private CancellationToken _groupStopping;

    /// <summary>Creates the connection; nothing is sent until <see cref="RunAsync"/>.</summary>
    /// <param name="endpoint">The peer.</param>
    /// <param name="options">The agent's settings.</param>
    /// <param name="time">Clock for deadlines, staleness and backoff.</param>
    /// <param name="random">Jitter of the reconnect backoff.</param>
    /// <param name="logger">Where stream failures are logged.</param>
    /// <param name="tls">For https:// peers: the client certificate to present and the CA bundle the peer's certificate and name are verified against (null: no client certificate, the system trust store).</param>
    /// <param name="resolvers">Resolver factories for a group's <c>dns:///</c> address (the last named "dns" wins; none: Grpc.Net.Client's DNS resolver re-resolving every <see cref="AgentOptions.GroupRefreshInterval"/>). Tests give loopback members this way.</param>
    public PeerConnection(PeerEndpoint endpoint, AgentOptions options, TimeProvider time, Random random, ILogger logger, Security.TlsCertificateStore? tls = null, IEnumerable<ResolverFactory>? resolvers = null)
        : this(endpoint, options, time, random, logger, tls, resolvers, tlsTargetHost: null)
    {
    }

    private PeerConnection(PeerEndpoint endpoint, AgentOptions options, TimeProvider time, Random random, ILogger logger, Security.TlsCertificateStore? tls, IEnumerable<ResolverFactory>? resolvers, string? tlsTargetHost)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        Endpoint = endpoint;
        _options = options;
        _time = time;
        _random = random;
        _logger = logger;
        Link = new LinkEstimator(options.PriorThroughputMbit * 1e6, minimumSampleBytes: options.ThroughputSampleMinBytes);
        Circuit = new PeerCircuit(options.PeerBreakDuration, options.ReconnectMaxDelay, time);
        Lag = new SchedulingLag(time);
        HangDetector = new PeerHangDetector(options.HungPeerFactor, options.HungPeerFloor, Lag.Clock);
        var sockets = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Tensors are megabytes: a wide receive window keeps responses from stalling on flow control.
            InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _tls = tls;
        if (tls is not null && endpoint.UsesTls)
        {
            tls.ConfigureClient(sockets);
        }

        var channelUrl = endpoint.Url;
        if (tlsTargetHost is not null)
        {
            // A group member over TLS: addressed by the group's host name (SNI and the certificate's
            // name, which SocketsHttpHandler takes from the request's host) but dialled at its own address.
            var dialHost = endpoint.Url.DnsSafeHost;
            var dialPort = endpoint.Url.Port;
            sockets.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(dialHost, dialPort, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            channelUrl = new UriBuilder(Uri.UriSchemeHttps, tlsTargetHost, dialPort).Uri;
        }

        // A forwarded body's frames are batched on plaintext single-peer connections (under TLS the
        // frames are encrypted records by the time they reach the connection's stream); not under an
        // emulated link, whose pacing would hold frames in a batch between its paced writes.
        var batches = tlsTargetHost is null && !endpoint.IsGroup && !endpoint.UsesTls && endpoint.Emulation.IsNone && options.PeerWriteBatchBytes > 0
            ? new PeerWriteBatches(options.PeerWriteBatchBytes, time)
            : null;
        _batches = batches;
        if (tlsTargetHost is null && !endpoint.IsGroup && (options.PeerReadAheadBytes > 0 || batches is not null))
        {
            // A single peer: its answers are received up to PeerReadAheadBytes per call, a forwarded
            // body is sent in batches (a group's connections are made by the balancer, which sets its
            // own connect callback).
            var readAhead = options.PeerReadAheadBytes;
            sockets.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    Stream connection = new NetworkStream(socket, ownsSocket: true);
                    if (batches is not null)
                    {
                        connection = batches.Wrap(connection);
                    }

                    return readAhead > 0 ? new ReadAheadStream(connection, readAhead) : connection;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        if (endpoint.IsGroup)
        {
            _resolverFactory = resolvers?.LastOrDefault(r => string.Equals(r.Name, PeerEndpoint.GroupScheme, StringComparison.OrdinalIgnoreCase))
                ?? new DnsResolverFactory(options.GroupRefreshInterval);
            var services = new ServiceCollection();
            // The channel's own resolver, observed: the addresses the balancer gets are the members whose load streams we keep.
            services.AddSingleton<ResolverFactory>(new ObservedResolverFactory(_resolverFactory, result => OnResolved(result)));
            _channelServices = services.BuildServiceProvider();
            _channel = GrpcChannel.ForAddress(endpoint.Url, new GrpcChannelOptions
            {
                HttpHandler = sockets,
                DisposeHttpClient = true,
                Credentials = endpoint.GroupTls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
                ServiceProvider = _channelServices,
                ServiceConfig = GroupServiceConfig(options),
                MaxReceiveMessageSize = options.MaxPeerMessageBytes,
                MaxSendMessageSize = options.MaxPeerMessageBytes,
                // A retried call is sent again from this buffer: it must hold the largest request.
                MaxRetryBufferPerCallSize = options.MaxPeerMessageBytes,
                MaxRetryBufferSize = Math.Max(16L * 1024 * 1024, 4L * options.MaxPeerMessageBytes),
            });
        }
        else
        {
            HttpMessageHandler handler = endpoint.Emulation.IsNone ? sockets : new EmulatedLinkHandler(endpoint.Emulation, time, sockets);
            // Outermost, so an emulated link paces forwarded bodies too.
            _bodies = new ForwardedBodies(time, handler, batches);
            _channel = GrpcChannel.ForAddress(channelUrl, new GrpcChannelOptions
            {
                HttpHandler = _bodies,
                DisposeHttpClient = true,
                MaxReceiveMessageSize = options.MaxPeerMessageBytes,
                MaxSendMessageSize = options.MaxPeerMessageBytes,
            });
        }

        _peerClient = new PeerService.PeerServiceClient(_channel);
        _inferenceClient = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        _invoker = _channel.CreateCallInvoker();
    }

    // ModelInfer as the agent forwards it: a request it received goes out as the bytes that came
    // in (no second serialisation), the peer's raw outputs are parsed as views of one copy of the
    // response (InferMessages).
    private static readonly Method<ModelInferRequest, ModelInferResponse> ForwardMethod = new(
        MethodType.Unary,
        GRPCInferenceService.Descriptor.FullName,
        "ModelInfer",
        InferMessages.ForwardingRequest,
        InferMessages.ReceivingResponse);

    /// <summary>The batching of forwarded bodies on this peer's connections (null: off, a group, or TLS).</summary>
    internal PeerWriteBatches? WriteBatches => _batches;

    /// <summary>The configured peer.</summary>
    public PeerEndpoint Endpoint { get; }

    /// <summary>Peer name.</summary>
    public string Name => Endpoint.Name;

    /// <summary>RTT and throughput measured on this peer's link.</summary>
    public LinkEstimator Link { get; }

    /// <summary>Outlier detection over this peer's inference calls.</summary>
    public PeerCircuit Circuit { get; }

    /// <summary>Hung-peer detection over this peer's outstanding calls (Agent:HungPeerFactor, Agent:HungPeerFloor).</summary>
    public PeerHangDetector HangDetector { get; }

    /// <summary>Inference calls forwarded to this peer and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The latest view of the peer (a read, no I/O); for a group, the sum over its available members.</summary>
    public PeerLoad Load => Volatile.Read(ref _load);

    /// <summary>For a group, its members as last resolved, in address order (empty for a single peer).</summary>
    public IReadOnlyList<PeerConnection> Members
    {
        get
        {
            lock (_membersLock)
            {
                return _members.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Value.Connection).ToArray();
            }
        }
    }

    /// <summary>For a group, why it has no members ("" when the last resolution gave addresses, or for a single peer).</summary>
    public string Resolution => Volatile.Read(ref _resolution);

    /// <summary>Called after this connection's <see cref="Load"/> changed (a group member tells its group).</summary>
    private Action? LoadChanged { get; init; }

    /// <summary>
    /// True when the peer is connected, its last report is younger than <see cref="AgentOptions.StaleAfter"/>
    /// (<see cref="LoadAge"/>: time this agent itself was not running does not count),
    /// its <see cref="Circuit"/> lets calls through, and it does not look hung (<see cref="HangDetector"/>:
    /// between the watchdog's checks a hung peer is already no candidate).
    /// </summary>
    public bool IsAvailable
    {
        get
        {
            var load = Load;
            return load.Connected && Lag.Since(load.ReceivedTimestamp) <= _options.StaleAfter && Circuit.AllowsCalls && !HangDetector.LooksHung;
        }
    }

    /// <summary>
    /// This connection's clock of observed time (time this agent was running, judged by the
    /// watchdog's checks): the age of the last report, and the load stream's quiet, are measured on it,
    /// so a stopped or starved agent does not take its peers for silent (reports wait unread meanwhile).
    /// </summary>
    public SchedulingLag Lag { get; }

    /// <summary>Time since the last report on <see cref="Lag"/>'s clock (time this agent was not running left out).</summary>
    public TimeSpan LoadAge => Lag.Since(Load.ReceivedTimestamp);

    /// <summary>
    /// Replaces the view of the peer as a load report does: for replaying a recorded or simulated
    /// situation (the simulator-equivalence tests, the decision benchmark) without a running peer.
    /// </summary>
    public void ApplyLoad(PeerLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        Volatile.Write(ref _load, load);
    }

    /// <summary>Keeps the load view current until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Endpoint.IsGroup)
        {
            await RunGroupAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var pings = PingLoopAsync(cancellationToken);
        var watchdog = WatchdogLoopAsync(cancellationToken);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await WatchOnceAsync(cancellationToken).ConfigureAwait(false))
                {
                    failures = 0;
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException ex)
            {
                Log.StreamFailed(_logger, Name, ex.StatusCode, ex.Status.Detail);
            }
#pragma warning disable CA1031 // One peer's failure, whatever it is, must not stop the agent: log, back off, retry.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StreamFailed(_logger, Name, StatusCode.Unavailable, ex.GetType().Name + ": " + ex.Message);
            }

            MarkDisconnected();
            var delay = BackoffDelay(failures++);
            Log.Reconnecting(_logger, Name, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        MarkDisconnected();
        await pings.ConfigureAwait(false);
        await watchdog.ConfigureAwait(false);
    }

    /// <summary>
    /// Forwards one inference to the peer with a deadline of <paramref name="timeout"/> from now and
    /// feeds the link estimator from the measured transfer. A missed deadline or a transport
    /// failure opens the peer's <see cref="Circuit"/>; so does the peer being found hung while the
    /// call waits (<see cref="HangDetector"/>), which ends the call at once.
    /// </summary>
    /// <exception cref="RpcException">The peer failed, missed the deadline (DeadlineExceeded), or its
    /// circuit is open (Unavailable, nothing sent); <see cref="PeerHungException"/> (Unavailable) when
    /// the peer was found hung while the call waited.</exception>
    public Task<ModelInferResponse> InferAsync(ModelInferRequest request, TimeSpan timeout, CancellationToken cancellationToken) =>
        InferAsync(request, default, timeout, cancellationToken);

    /// <summary>
    /// As <see cref="InferAsync(ModelInferRequest, TimeSpan, CancellationToken)"/>, and counts the call
    /// in this agent's own traffic to the peer (<see cref="OwnTraffic"/>) with its
    /// <paramref name="shape"/>: the bytes it puts on the link and its expected execution time there.
    /// </summary>
    /// <exception cref="RpcException">As the other overload.</exception>
    public async Task<ModelInferResponse> InferAsync(ModelInferRequest request, ForwardShape shape, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Circuit.TryAcquire(out var trial))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"peer '{Name}' gets no work for now: its last {Circuit.ConsecutiveFailures} call(s) failed or timed out"));
        }

        var start = _time.GetTimestamp();
        var startObserved = Lag.Now;
        var outcome = PeerCallOutcome.Neutral;
        using var deadlineCts = new CancellationTokenSource(timeout, _time);
        var forward = NoteSent(shape);
        // A call whose message is still arriving (cut-through) waits for the client's upload, not
        // for the peer: it is judged only once its last byte has been written to the peer.
        var arriving = _bodies?.Find(request);
        var pending = HangDetector.Sent(ExpectedAnswerTime(forward, shape, start), judged: arriving is null);
        if (arriving is not null)
        {
            arriving.BodySent = () => HangDetector.StartJudging(pending);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineCts.Token, pending.Released);
        try
        {
            var response = await _invoker.AsyncUnaryCall(ForwardMethod, null, new CallOptions(headers: _bodies?.HeadersOf(request), deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: linked.Token), request).ConfigureAwait(false);
            outcome = PeerCallOutcome.Healthy;
            AddTransfer(request, response, start);
            return response;
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away. When the peer had used up its own time too (both deadlines
            // fire together on a loaded machine), it was late all the same: counted as a failure,
            // or a hung peer would keep getting calls while callers' deadlines beat its timeout.
            if (deadlineCts.IsCancellationRequested || _time.GetElapsedTime(start) >= timeout)
            {
                outcome = LateOutcome(start, startObserved, timeout);
            }

            throw;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded || (ex.StatusCode == StatusCode.Cancelled && deadlineCts.IsCancellationRequested))
        {
            outcome = LateOutcome(start, startObserved, timeout);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"peer '{Name}' did not answer within {timeout.TotalMilliseconds:0} ms")));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && pending.Released.IsCancellationRequested)
        {
            // The watchdog found the peer hung while this call waited: it counted the failure and
            // opened the circuit once for all of them, so this call says nothing more.
            throw new PeerHungException(Name, _time.GetElapsedTime(start));
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
        {
            // The transport failed: do not offload here again until the load stream confirms the peer.
            // In a group it is one member's failure after the retries (a member killed with the call
            // in flight, or all members gone): the balancer leaves that member out and the members'
            // streams say which are alive, so the whole group is not paused for it. A hung group
            // still opens the circuit through missed deadlines.
            if (Endpoint.IsGroup)
            {
                outcome = PeerCallOutcome.Neutral;
            }
            else
            {
                outcome = PeerCallOutcome.Failed;
                MarkDisconnected();
            }

            throw;
        }
        catch (RpcException)
        {
            // The peer answered with a status of its own choosing: it is alive.
            outcome = PeerCallOutcome.Healthy;
            throw;
        }
        finally
        {
            NoteAnswered(forward);
            HangDetector.Ended(pending, answered: outcome == PeerCallOutcome.Healthy);
            if (Circuit.Complete(trial, outcome))
            {
                Log.CircuitOpened(_logger, Name, Circuit.ConsecutiveFailures);
            }
        }
    }

    // What this agent expects a call to take until its answer: its upload behind the calls already
    // on the link and half a round trip (the forward's estimated arrival), the peer's reported
    // queue per slot, the model's execution time there and half a round trip back.
    private TimeSpan ExpectedAnswerTime(OwnForward forward, ForwardShape shape, long now)
    {
        var load = Load;
        var arrival = Math.Max(0, forward.ArrivalAt - now) / (double)_time.TimestampFrequency;
        var queue = load.MaxConcurrency > 0 ? Math.Max(0, load.ResidualWorkSeconds) / load.MaxConcurrency : 0.0;
        var seconds = arrival + queue + Math.Max(0, shape.ExpectedExecSeconds) + (0.5 * Math.Max(0, Link.RoundTripSeconds));
        return double.IsFinite(seconds) ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds)) : TimeSpan.FromDays(1);
    }

    // A call that ran out of time counts against the peer (a circuit failure) unless this agent
    // itself was not running for more than a quarter of the timeout meanwhile (Lag): then the answer
    // may be waiting unread, and the deadline says more about the agent than about the peer. The
    // caller's deadline is real time all the same: the request falls back either way.
    private PeerCallOutcome LateOutcome(long start, long startObserved, TimeSpan timeout)
    {
        var unobserved = _time.GetElapsedTime(start) - Lag.Since(startObserved);
        return unobserved > timeout / 4 ? PeerCallOutcome.Neutral : PeerCallOutcome.Failed;
    }

    /// <summary>
    /// One check of <see cref="HangDetector"/>: when the peer looks hung, its circuit opens (one
    /// failure, as a timed-out call would count) and every call waiting on it is released to run
    /// locally. Returns the verdict, or null when the peer does not look hung.
    /// </summary>
    internal HangVerdict? DetectHang()
    {
        if (HangDetector.Check() is not { } verdict)
        {
            return null;
        }

        Circuit.Complete(trial: false, PeerCallOutcome.Failed);
        var released = HangDetector.Release();
        Log.PeerHung(_logger, Name, verdict.OldestWait.TotalMilliseconds, verdict.Silent.TotalMilliseconds, verdict.Threshold.TotalMilliseconds, released, Circuit.ConsecutiveFailures);
        return verdict;
    }

    // The connection's periodic check, every quarter of Agent:HungPeerFloor and at most an eighth of
    // Agent:StaleAfter (at least 10 ms): it ticks Lag, looks for a hung peer, and ends a load stream
    // that has been quiet for StaleAfter. Both silences are measured on Lag's clock: a check that
    // comes late does not count its lateness as the peer's silence, since this agent itself was not
    // running then (a stopped or starved process, a long collection), so answers and reports may be
    // waiting unread.
    private async Task WatchdogLoopAsync(CancellationToken cancellationToken)
    {
        var ticks = _options.StaleAfter.Ticks / 8;
        if (HangDetector.Enabled)
        {
            ticks = Math.Min(ticks, HangDetector.Floor.Ticks / 4);
        }

        var interval = TimeSpan.FromTicks(Math.Max(ticks, TimeSpan.FromMilliseconds(10).Ticks));
        Lag.Start(interval);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                Lag.Tick();
                if (HangDetector.Enabled)
                {
                    DetectHang();
                }

                EndQuietStream();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            Lag.Stop();
        }
    }

    // Ends the load stream (WatchOnceAsync) when nothing came on it for Agent:StaleAfter of observed time.
    private void EndQuietStream()
    {
        if (Volatile.Read(ref _streamQuiet) is not { } quiet || Lag.Since(Volatile.Read(ref _streamHeardAt)) <= _options.StaleAfter)
        {
            return;
        }

        try
        {
            quiet.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended meanwhile.
        }
    }

    /// <summary>
    /// Whether <see cref="InferAsync(ArrivingRequest, ForwardShape, TimeSpan, CancellationToken, ResponseRelay)"/>
    /// can forward a request while it arrives: a single peer (a group's calls may be retried on another
    /// member, which needs the whole message in the channel's retry buffer).
    /// </summary>
    public bool ForwardsArriving => _bodies is not null;

    /// <summary>
    /// As <see cref="InferAsync(ModelInferRequest, ForwardShape, TimeSpan, CancellationToken)"/>, for
    /// a request still arriving (issue 17, cut-through): the call starts now and its message is
    /// <paramref name="body"/>'s bytes, sent as they arrive, the last byte once the agent has released
    /// it (<see cref="ArrivingRequest.ReleaseTail"/>). The timeout counts from now, the rest of the
    /// client's upload included. Cancel <paramref name="cancellationToken"/> to abandon the call (a
    /// refused request): the peer never gets the whole message, and the call counts as neither a
    /// success nor a failure of the peer.
    /// </summary>
    /// <param name="body">The request as it arrives.</param>
    /// <param name="shape">The call's bytes and expected execution time, for this agent's own traffic.</param>
    /// <param name="timeout">The peer's time from now.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <param name="relay">Where the peer's answer goes on to the caller as it arrives (response cut-through), or null.</param>
    /// <exception cref="RpcException">As the other overloads.</exception>
    /// <exception cref="InvalidOperationException">The peer is a group (<see cref="ForwardsArriving"/> is false).</exception>
    public async Task<ModelInferResponse> InferAsync(ArrivingRequest body, ForwardShape shape, TimeSpan timeout, CancellationToken cancellationToken, ResponseRelay? relay = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_bodies is null)
        {
            throw new InvalidOperationException($"Peer '{Name}' is a group; its calls are forwarded whole.");
        }

        var forwarded = _bodies.Add(body, relay);
        try
        {
            return await InferAsync(forwarded.Placeholder, shape, timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _bodies.Remove(forwarded);
        }
    }

    // A link sample from a forwarded call. For a body forwarded while it arrived (cut-through), the
    // bytes sent before it had arrived whole went at the client's pace, not the link's: the sample
    // is what crossed after that.
    private void AddTransfer(ModelInferRequest request, ModelInferResponse response, long start)
    {
        if (_bodies?.Find(request) is not { } forwarded)
        {
            Link.AddTransfer(request.CalculateSize() + response.CalculateSize(), _time.GetElapsedTime(start), PeerBusyTime(response));
        }
        else if (forwarded.ArrivedAt is { } arrived)
        {
            Link.AddTransfer(forwarded.Body.Length - forwarded.SentAtArrival + response.CalculateSize(), _time.GetElapsedTime(Math.Max(start, arrived)), PeerBusyTime(response));
        }
    }

    /// <summary>
    /// This agent's own traffic to the peer now, as the simulator models its link: the upload
    /// backlog (the link is busy with this agent's earlier uploads until
    /// linkFreeAt, where every call sent moves linkFreeAt = max(now, linkFreeAt) + 8 x upload bytes /
    /// the throughput estimate at send time) and the calls still on their way (estimated arrival =
    /// the end of their link slot + half the round-trip estimate, still ahead, and not yet answered)
    /// with their expected execution seconds there. The in-flight count is <see cref="InFlight"/>.
    /// </summary>
    public OwnTraffic Traffic
    {
        get
        {
            var now = _time.GetTimestamp();
            lock (_trafficLock)
            {
                var arriving = 0;
                var work = 0.0;
                foreach (var forward in _forwards)
                {
                    if (forward.ArrivalAt > now)
                    {
                        arriving++;
                        work += forward.ExecSeconds;
                    }
                }

                var backlog = _linkFreeAt > now ? (_linkFreeAt - now) / (double)_time.TimestampFrequency : 0.0;
                return new OwnTraffic(backlog, arriving, work);
            }
        }
    }

    // Takes a link slot for a call being sent (the simulator's rule: one upload at a time, first in
    // first out) and counts it in flight until NoteAnswered.
    internal OwnForward NoteSent(ForwardShape shape)
    {
        var now = _time.GetTimestamp();
        var rate = Link.ThroughputBitsPerSecond;
        var upload = shape.UploadBytes > 0 && rate > 0 && double.IsFinite(rate) ? shape.UploadBytes * 8.0 / rate : 0.0;
        var frequency = (double)_time.TimestampFrequency;
        lock (_trafficLock)
        {
            var linkFree = Math.Max(now, _linkFreeAt) + (long)Math.Round(upload * frequency);
            _linkFreeAt = linkFree;
            var forward = new OwnForward(linkFree + (long)Math.Round(0.5 * Math.Max(0.0, Link.RoundTripSeconds) * frequency), Math.Max(0.0, shape.ExpectedExecSeconds));
            _forwards.Add(forward);
            Interlocked.Increment(ref _inFlight);
            return forward;
        }
    }

    // The call was answered (or failed): it is no longer on its way.
    internal void NoteAnswered(OwnForward forward)
    {
        lock (_trafficLock)
        {
            if (_forwards.Remove(forward))
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>
    /// True when a link probe may be sent now: the peer is available (<see cref="IsAvailable"/>), no
    /// inference call of this agent is on the link (a probe would measure the link shared with it and
    /// delay it), and the peer has not answered a probe with UNIMPLEMENTED (an older EdgeAgent peer;
    /// Triton and KServe, which have no PeerService, are never probed).
    /// </summary>
    public bool CanProbe => IsAvailable && InFlight == 0 && Volatile.Read(ref _probeUnsupported) == 0 && !Load.ServesAnyModel;

    /// <summary>
    /// Sends one link probe (PeerService.Probe): <paramref name="requestBytes"/> filler bytes up,
    /// <paramref name="responseBytes"/> back, and feeds the transfer to <see cref="Link"/> as a
    /// throughput sample (the peer runs nothing, so none of the time is the peer's). Returns null
    /// when the peer does not implement probes (it is not probed again).
    /// </summary>
    /// <exception cref="RpcException">The probe failed or missed <paramref name="timeout"/>.</exception>
    public async Task<LinkProbeResult?> ProbeAsync(int requestBytes, int responseBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requestBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requestBytes, LinkProber.MaxProbeBytes / 2);
        ArgumentOutOfRangeException.ThrowIfNegative(responseBytes);
        var request = new ProbeRequest
        {
            Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(ProbeFiller.Bytes.AsMemory(0, requestBytes)),
            ResponseBytes = (uint)responseBytes,
        };
        var start = _time.GetTimestamp();
        ProbeReply reply;
        try
        {
            reply = await _peerClient.ProbeAsync(request, deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            Volatile.Write(ref _probeUnsupported, 1);
            Log.ProbeUnsupported(_logger, Name);
            return null;
        }

        var elapsed = _time.GetElapsedTime(start);
        var up = request.CalculateSize();
        var down = reply.CalculateSize();
        var rtt = TimeSpan.FromSeconds(Link.RoundTripSeconds);
        var sampled = Link.AddTransfer(up + down, elapsed, TimeSpan.Zero);
        var transfer = elapsed > rtt ? elapsed - rtt : TimeSpan.Zero;
        return new LinkProbeResult(up, down, elapsed, transfer, sampled);
    }

    // Filler of the probes' requests (zeros; wrapped, not copied), allocated on the first probe.
    private static class ProbeFiller
    {
        public static readonly byte[] Bytes = new byte[LinkProber.MaxProbeBytes / 2];
    }

    /// <summary>Closes the channel (and a group's member connections).</summary>
    public void Dispose()
    {
        _channel.Dispose();
        _channelServices?.Dispose();
        lock (_membersLock)
        {
            foreach (var member in _members.Values)
            {
                member.Stop.Cancel();
                member.Connection.Dispose();
                member.Stop.Dispose();
            }

            _members.Clear();
        }
    }

    // round_robin over the resolved members; ModelInfer retried on UNAVAILABLE (a member that went
    // away before answering) on the next member, within the call's own deadline.
    private static ServiceConfig GroupServiceConfig(AgentOptions options)
    {
        var retry = new RetryPolicy
        {
            MaxAttempts = options.GroupMaxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
            BackoffMultiplier = 2,
        };
        retry.RetryableStatusCodes.Add(StatusCode.Unavailable);
        var method = new MethodConfig { RetryPolicy = retry };
        method.Names.Add(new MethodName { Service = GRPCInferenceService.Descriptor.FullName, Method = "ModelInfer" });
        var config = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        config.MethodConfigs.Add(method);
        return config;
    }

    // A group: the resolver's addresses become member connections (load streams), the group's load
    // their sum; RTT probes go through the balanced channel like inference calls.
    private async Task RunGroupAsync(CancellationToken cancellationToken)
    {
        _groupStopping = cancellationToken;
        Volatile.Write(ref _groupRunning, 1);
        // Connecting starts the channel's resolver (and so the members); it completes when one member is ready.
        var connecting = _channel.ConnectAsync(cancellationToken).ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var pings = PingLoopAsync(cancellationToken);
        var watchdog = WatchdogLoopAsync(cancellationToken);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        Task[] runs;
        lock (_membersLock)
        {
            runs = _members.Values.Select(m => m.Run).ToArray();
        }

        await Task.WhenAll(runs).ConfigureAwait(false);
        await pings.ConfigureAwait(false);
        await watchdog.ConfigureAwait(false);
        await connecting.ConfigureAwait(false);
        Volatile.Write(ref _load, PeerLoad.Unknown);
    }

    private void OnResolved(ResolverResult result)
    {
        var cancellationToken = _groupStopping;
        if (Volatile.Read(ref _groupRunning) == 0 || cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (result.Status.StatusCode != StatusCode.OK || result.Addresses is not { Count: > 0 } addresses)
        {
            var why = result.Status.StatusCode != StatusCode.OK ? result.Status.Detail : "it resolved to no address";
            if (!string.Equals(Volatile.Read(ref _resolution), why, StringComparison.Ordinal))
            {
                Volatile.Write(ref _resolution, why);
                Log.GroupUnresolved(_logger, Name, Endpoint.Url.ToString(), why);
            }

            if (result.Status.StatusCode != StatusCode.OK)
            {
                // A failed lookup keeps the members last resolved: their own streams say whether they live.
                return;
            }
        }
        else
        {
            Volatile.Write(ref _resolution, "");
        }

        var wanted = new Dictionary<string, BalancerAddress>(StringComparer.Ordinal);
        foreach (var address in result.Addresses ?? [])
        {
            wanted[address.EndPoint.Host + ":" + address.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)] = address;
        }

        lock (_membersLock)
        {
            foreach (var gone in _members.Keys.Where(k => !wanted.ContainsKey(k)).ToArray())
            {
                var member = _members[gone];
                _members.Remove(gone);
                member.Stop.Cancel();
                _ = member.Run.ContinueWith(_ => { member.Connection.Dispose(); member.Stop.Dispose(); }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }

            foreach (var (key, address) in wanted)
            {
                if (_members.ContainsKey(key))
                {
                    continue;
                }

                var host = address.EndPoint.Host.Contains(':', StringComparison.Ordinal) ? "[" + address.EndPoint.Host + "]" : address.EndPoint.Host;
                var url = new Uri((Endpoint.GroupTls ? "https://" : "http://") + host + ":" + address.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var memberEndpoint = new PeerEndpoint(Name + "/" + key, url, LinkEmulation.None) { Kind = Endpoint.Kind };
                var connection = new PeerConnection(memberEndpoint, _options, _time, _random, _logger, _tls, resolvers: null, Endpoint.GroupTls ? Endpoint.GroupHost : null)
                {
                    LoadChanged = AggregateMembers,
                };
                var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _members[key] = (connection, stop, Task.Run(() => connection.RunAsync(stop.Token), CancellationToken.None));
                Log.MemberAdded(_logger, Name, key);
            }
        }

        AggregateMembers();
    }

    // The group's view: the sum over members that are available now (connected, fresh, circuit closed).
    private void AggregateMembers()
    {
        PeerConnection[] members;
        lock (_membersLock)
        {
            members = _members.Values.Select(m => m.Connection).ToArray();
        }

        var previous = Load;
        var available = members.Where(m => m.IsAvailable).ToArray();
        var live = available.Select(m => m.Load).ToArray();
        if (live.Length == 0)
        {
            Volatile.Write(ref _load, previous with { Connected = false, Queued = 0, Running = 0, ResidualWorkSeconds = 0, ResidualWorkHistogram = [] });
            return;
        }

        var bins = live.Max(l => l.ResidualWorkHistogram.Count);
        var histogram = new double[bins];
        foreach (var load in live)
        {
            for (var i = 0; i < load.ResidualWorkHistogram.Count; i++)
            {
                histogram[i] += load.ResidualWorkHistogram[i];
            }
        }

        // A call may land on any member: the group serves what every member that reports models serves.
        HashSet<string>? models = null;
        foreach (var load in live.Where(l => !l.ServesAnyModel))
        {
            if (models is null)
            {
                models = new HashSet<string>(load.Models, StringComparer.Ordinal);
            }
            else
            {
                models.IntersectWith(load.Models);
            }
        }

        var meanExec = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var model in live.SelectMany(l => l.MeanExecSeconds.Keys).Distinct(StringComparer.Ordinal))
        {
            meanExec[model] = live.Where(l => l.MeanExecSeconds.ContainsKey(model)).Average(l => l.MeanExecSeconds[model]);
        }

        Volatile.Write(ref _load, new PeerLoad
        {
            Connected = true,
            // The newest member report's age, carried onto this group's own clock (each connection has its Lag).
            ReceivedTimestamp = Lag.Now - (long)(available.Min(m => m.LoadAge).TotalSeconds * _time.TimestampFrequency),
            Queued = live.Sum(l => l.Queued),
            Running = live.Sum(l => l.Running),
            MaxConcurrency = live.Sum(l => l.MaxConcurrency),
            ResidualWorkSeconds = live.Sum(l => l.ResidualWorkSeconds),
            ResidualWorkHistogram = histogram,
            HistogramBinSeconds = live.Max(l => l.HistogramBinSeconds),
            ServiceRatePerSecond = live.Sum(l => l.ServiceRatePerSecond),
            ServesAnyModel = live.All(l => l.ServesAnyModel),
            Models = models ?? new HashSet<string>(StringComparer.Ordinal),
            MeanExecSeconds = meanExec,
            ComputeSpeed = live.Average(l => l.ComputeSpeed),
            Reports = previous.Reports + 1,
            Connects = members.Sum(m => m.Load.Connects),
        });
    }

    internal TimeSpan BackoffDelay(int failures)
    {
        var initial = _options.ReconnectInitialDelay.TotalSeconds;
        var capped = Math.Min(_options.ReconnectMaxDelay.TotalSeconds, initial * Math.Pow(2, Math.Min(failures, 30)));
        double jitter;
        lock (_random)
        {
            jitter = 0.5 + (0.5 * _random.NextDouble());
        }

        return TimeSpan.FromSeconds(capped * jitter);
    }

    private static TimeSpan? PeerBusyTime(ModelInferResponse response)
    {
        if (response.Parameters.TryGetValue(ResponseParameters.QueueMs, out var queue)
            && response.Parameters.TryGetValue(ResponseParameters.ExecMs, out var exec)
            && queue.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.DoubleParam
            && exec.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.DoubleParam)
        {
            return TimeSpan.FromMilliseconds(queue.DoubleParam + exec.DoubleParam);
        }

        return null;
    }

    private async Task<bool> WatchOnceAsync(CancellationToken cancellationToken)
    {
        Capabilities capabilities;
        try
        {
            capabilities = await _peerClient.GetCapabilitiesAsync(
                new GetCapabilitiesRequest(),
                deadline: _time.GetUtcNow().UtcDateTime + _options.StaleAfter,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            // Triton, KServe and other plain Open Inference Protocol servers have no PeerService.
            HangDetector.ForgetAnswers();
            return await FollowReadinessAsync(cancellationToken).ConfigureAwait(false);
        }

        // Connected (again): the process on this address may be a new one (a restart), so it is
        // not judged hung by its predecessor's answer times (issue 13; PeerHangDetector.ForgetAnswers).
        HangDetector.ForgetAnswers();

        // The first call paid for the connection set-up and the first calls for warm-up on both
        // sides: the first RTT sample is the fastest of three small calls after it.
        var fastest = TimeSpan.MaxValue;
        for (var probe = 0; probe < 3; probe++)
        {
            var start = _time.GetTimestamp();
            await _inferenceClient.ServerLiveAsync(new ServerLiveRequest(), deadline: _time.GetUtcNow().UtcDateTime + _options.StaleAfter, cancellationToken: cancellationToken).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(start);
            fastest = elapsed < fastest ? elapsed : fastest;
        }

        Link.AddRoundTrip(fastest);
        var models = new HashSet<string>(capabilities.Models.Select(m => m.Name), StringComparer.Ordinal);
        var speed = capabilities.ComputeSpeedFactor > 0 ? capabilities.ComputeSpeedFactor : 1.0;

        // The stream is cancelled when the caller stops or when no report arrives within StaleAfter
        // of observed time (the watchdog's EndQuietStream; Lag leaves out time this agent was not running).
        using var quiet = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, quiet.Token);
        Volatile.Write(ref _streamHeardAt, Lag.Now);
        Volatile.Write(ref _streamQuiet, quiet);
        using var call = _peerClient.WatchLoad(
            new WatchLoadRequest { IntervalMs = (uint)Math.Clamp(_options.LoadReportInterval.TotalMilliseconds, 1, uint.MaxValue) },
            cancellationToken: linked.Token);
        var received = false;
        var connects = Load.Connects + 1;
        try
        {
            while (await call.ResponseStream.MoveNext(linked.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref _streamHeardAt, Lag.Now);
                Apply(call.ResponseStream.Current, models, speed, connects);
                if (!received)
                {
                    received = true;
                    Log.Connected(_logger, Name, Endpoint.Url.ToString(), models.Count);
                }
            }
        }
        catch (RpcException) when (quiet.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.StreamQuiet(_logger, Name, Lag.Since(Volatile.Read(ref _streamHeardAt)).TotalMilliseconds);
        }
        finally
        {
            Volatile.Write(ref _streamQuiet, null);
        }

        if (!cancellationToken.IsCancellationRequested && !quiet.IsCancellationRequested)
        {
            Log.StreamEnded(_logger, Name);
        }

        return received;
    }

    /// <summary>
    /// Follows a peer that speaks only the Open Inference Protocol: ServerReady every
    /// min(4 x LoadReportInterval, StaleAfter / 2) keeps it available (and samples the RTT); it
    /// reports no load and no model list, so it is a candidate for every model and a request for a
    /// model it lacks falls back locally. Returns after a not-ready answer; throws on a failed call.
    /// </summary>
    private async Task<bool> FollowReadinessAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromTicks(Math.Min((_options.LoadReportInterval * 4).Ticks, (_options.StaleAfter / 2).Ticks));
        var connects = Load.Connects + 1;
        var received = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var start = _time.GetTimestamp();
            var ready = await _inferenceClient.ServerReadyAsync(new ServerReadyRequest(), deadline: _time.GetUtcNow().UtcDateTime + _options.StaleAfter, cancellationToken: cancellationToken).ConfigureAwait(false);
            Link.AddRoundTrip(_time.GetElapsedTime(start));
            if (!ready.Ready)
            {
                return received;
            }

            var previous = Load;
            Volatile.Write(ref _load, new PeerLoad
            {
                Connected = true,
                ServesAnyModel = true,
                ReceivedTimestamp = Lag.Now,
                MeanExecSeconds = previous.MeanExecSeconds,
                Reports = previous.Reports + 1,
                Connects = connects,
            });
            LoadChanged?.Invoke();
            if (!received)
            {
                received = true;
                Log.ConnectedWithoutLoad(_logger, Name, Endpoint.Url.ToString());
            }

            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
        }

        return received;
    }

    private void Apply(LoadReport report, HashSet<string> capabilityModels, double speed, int connects)
    {
        var models = new HashSet<string>(capabilityModels, StringComparer.Ordinal);
        var meanExec = new Dictionary<string, double>(StringComparer.Ordinal);
        var lines = new Dictionary<string, ExecTimeLine>(StringComparer.Ordinal);
        foreach (var model in report.Models)
        {
            models.Add(model.Name);
            if (model.MeanExecMs > 0)
            {
                meanExec[model.Name] = model.MeanExecMs / 1000.0;
                var line = new ExecTimeLine(model.ExecInterceptMs, model.ExecMsPerByte, (long)Math.Min(model.ExecMinBytes, long.MaxValue), (long)Math.Min(model.ExecMaxBytes, long.MaxValue));
                if (line.IsUsable)
                {
                    lines[model.Name] = line;
                }
            }
        }

        var previous = Load;
        Volatile.Write(ref _load, new PeerLoad
        {
            Connected = true,
            ReceivedTimestamp = Lag.Now,
            Queued = (int)report.Queued,
            Running = (int)report.Running,
            MaxConcurrency = (int)Math.Max(1, report.MaxConcurrency),
            ResidualWorkSeconds = report.TotalResidualWorkMs / 1000.0,
            ResidualWorkHistogram = report.ResidualWorkHistogram.Select(c => (double)c).ToArray(),
            HistogramBinSeconds = report.HistogramBinWidthMs / 1000.0,
            ServiceRatePerSecond = report.ServiceRatePerSecond,
            Models = models,
            MeanExecSeconds = meanExec,
            ExecLines = lines,
            ComputeSpeed = speed,
            Reports = previous.Reports + 1,
            Connects = connects,
        });
        LoadChanged?.Invoke();
    }

    private void MarkDisconnected()
    {
        var current = Load;
        if (current.Connected)
        {
            Volatile.Write(ref _load, current with { Connected = false });
            LoadChanged?.Invoke();
        }
    }

    private async Task PingLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.PingInterval, _time, cancellationToken).ConfigureAwait(false);
                if (!Load.Connected)
                {
                    continue;
                }

                var start = _time.GetTimestamp();
                try
                {
                    await _inferenceClient.ServerLiveAsync(new ServerLiveRequest(), deadline: _time.GetUtcNow().UtcDateTime + _options.StaleAfter, cancellationToken: cancellationToken).ConfigureAwait(false);
                    Link.AddRoundTrip(_time.GetElapsedTime(start));
                }
                catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    Log.PingFailed(_logger, Name, ex.StatusCode);
                }
#pragma warning disable CA1031 // A failed probe only means no RTT sample this round.
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    Log.PingFailed(_logger, Name, StatusCode.Unknown);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // Hands the channel's resolver results to the group as well as to the balancer.
    private sealed class ObservedResolverFactory(ResolverFactory inner, Action<ResolverResult> observer) : ResolverFactory
    {
        public override string Name => inner.Name;

        public override Resolver Create(ResolverOptions options) => new ObservedResolver(inner.Create(options), observer);
    }

    private sealed class ObservedResolver(Resolver inner, Action<ResolverResult> observer) : Resolver
    {
        public override void Start(Action<ResolverResult> listener) => inner.Start(result =>
        {
            observer(result);
            listener(result);
        });

        public override void Refresh() => inner.Refresh();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Peer {Peer} at {Url} connected; it serves {ModelCount} models.")]
        public static partial void Connected(ILogger logger, string peer, string url, int modelCount);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Load stream of peer {Peer} failed with {Status}: {Detail}")]
        public static partial void StreamFailed(ILogger logger, string peer, StatusCode status, string detail);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Reconnecting to peer {Peer} in {DelayMs:0} ms.")]
        public static partial void Reconnecting(ILogger logger, string peer, double delayMs);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Peer {Peer} sent no load report for {QuietMs:0} ms; reconnecting.")]
        public static partial void StreamQuiet(ILogger logger, string peer, double quietMs);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Peer {Peer} closed its load stream.")]
        public static partial void StreamEnded(ILogger logger, string peer);

        [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Peer {Peer} at {Url} serves no PeerService (a plain Open Inference Protocol server); following its readiness without load reports.")]
        public static partial void ConnectedWithoutLoad(ILogger logger, string peer, string url);

        [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Peer {Peer} gets no work for a while: {Failures} consecutive call(s) failed or timed out.")]
        public static partial void CircuitOpened(ILogger logger, string peer, int failures);

        [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Peer {Peer} looks hung: a call waited {WaitMs:0} ms and the peer answered nothing for {SilentMs:0} ms (hung after {ThresholdMs:0} ms); it gets no work for a while ({Failures} consecutive failure(s)) and the {Released} call(s) waiting on it run locally.")]
        public static partial void PeerHung(ILogger logger, string peer, double waitMs, double silentMs, double thresholdMs, int released, int failures);

        [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Peer group {Peer} (Agent:Peers:{Peer}, --peer) at {Url} has no members: {Reason}.")]
        public static partial void GroupUnresolved(ILogger logger, string peer, string url, string reason);

        [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Peer group {Peer} has a member at {Address}.")]
        public static partial void MemberAdded(ILogger logger, string peer, string address);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Peer {Peer} does not implement link probes (PeerService.Probe); its link is measured from offloads only.")]
        public static partial void ProbeUnsupported(ILogger logger, string peer);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "RTT probe to peer {Peer} failed with {Status}.")]
        public static partial void PingFailed(ILogger logger, string peer, StatusCode status);
    }
}

/// <summary>What one forwarded call puts on a peer: its upload bytes (the observation's input bytes) and its expected execution seconds there (the chosen row's).</summary>
/// <param name="UploadBytes">Bytes the call uploads, as the observation counted them.</param>
/// <param name="ExpectedExecSeconds">The peer's expected execution time of the call, seconds.</param>
public readonly record struct ForwardShape(long UploadBytes, double ExpectedExecSeconds);

/// <summary>This agent's own traffic to one peer (<see cref="PeerConnection.Traffic"/>).</summary>
/// <param name="UploadBacklogSeconds">Seconds until the link is through this agent's earlier uploads (0 when idle).</param>
/// <param name="ArrivingTasks">Calls sent whose estimated arrival at the peer is still ahead.</param>
/// <param name="ArrivingWorkSeconds">Their expected execution seconds on the peer.</param>
public readonly record struct OwnTraffic(double UploadBacklogSeconds, int ArrivingTasks, double ArrivingWorkSeconds);

/// <summary>One call of this agent on its way to a peer: its estimated arrival (TimeProvider timestamp) and expected execution there.</summary>
internal sealed class OwnForward(long arrivalAt, double execSeconds)
{
    public long ArrivalAt { get; } = arrivalAt;

    public double ExecSeconds { get; } = execSeconds;
}

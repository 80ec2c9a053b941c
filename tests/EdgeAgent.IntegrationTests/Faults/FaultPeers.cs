using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>Faulty peers for the fault suite: real Kestrel servers whose inference misbehaves.</summary>
internal static class FaultPeers
{
    /// <summary>
    /// A real peer (load reports, health, capabilities all healthy) whose ModelInfer handler never
    /// completes until the caller gives up: the hardest hung peer to notice from its load stream.
    /// </summary>
    public static async Task<(WebApplication App, HangingBackend Backend)> StartHungPeerAsync(string modelsPath, string listen = "127.0.0.1:0")
    {
        var backend = new HangingBackend();
        var app = await PeerHost.StartAsync(
            new PeerHostSettings
            {
                ModelsPath = modelsPath,
                Listen = listen,
                NodeName = "hung",
                Extra = new Dictionary<string, string?> { ["Serving:MaxConcurrentRequests"] = "256" },
            },
            b =>
            {
                PeerFixture.Quiet(b);
                b.Services.AddSingleton<IInferenceBackend>(backend);
            }).WaitAsync(TimeSpan.FromSeconds(30));
        return (app, backend);
    }

    /// <summary>
    /// A real peer that serves normally until <see cref="HangOnDemandBackend.Hang"/>, then never
    /// answers again (load reports, health and capabilities stay healthy): a peer that worked and
    /// then hung, as the soak's SIGSTOP makes it, but without stopping the test's own process.
    /// </summary>
    public static async Task<(WebApplication App, HangOnDemandBackend Backend)> StartPeerThatHangsAsync(string modelsPath, string listen = "127.0.0.1:0")
    {
        HangOnDemandBackend? backend = null;
        var app = await PeerHost.StartAsync(
            new PeerHostSettings
            {
                ModelsPath = modelsPath,
                Listen = listen,
                NodeName = "hangs",
                Extra = new Dictionary<string, string?> { ["Serving:MaxConcurrentRequests"] = "256" },
            },
            b =>
            {
                PeerFixture.Quiet(b);
                b.Services.AddSingleton<IInferenceBackend>(sp => backend = new HangOnDemandBackend(sp.GetRequiredService<LocalInferenceBackend>()));
            }).WaitAsync(TimeSpan.FromSeconds(30));
        _ = app.Services.GetRequiredService<IInferenceBackend>();
        return (app, backend!);
    }

    /// <summary>The chain model's request ([rows, 64] FP32, typed).</summary>
    public static ModelInferRequest ChainRequest(int rows)
    {
        var request = new ModelInferRequest { ModelName = "chain" };
        var contents = new InferTensorContents();
        contents.Fp32Contents.Add(new float[rows * 64]);
        request.Inputs.Add(MalformedRequests.Input("x", "FP32", [rows, 64], contents));
        return request;
    }

    /// <summary>An inference backend that records each call and never answers.</summary>
    internal sealed class HangingBackend : IInferenceBackend
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        /// <summary>When each call arrived, on <see cref="Clock"/>.</summary>
        public ConcurrentQueue<TimeSpan> Arrivals { get; } = new();

        /// <summary>The request ids of the calls that arrived.</summary>
        public ConcurrentBag<string> Ids { get; } = [];

        public TimeSpan Clock => _clock.Elapsed;

        public async Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken)
        {
            Arrivals.Enqueue(_clock.Elapsed);
            Ids.Add(call.Request.Id);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>The peer's own backend until <see cref="Hang"/>; after it, each call is recorded and never answered.</summary>
    internal sealed class HangOnDemandBackend(IInferenceBackend inner) : IInferenceBackend
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private volatile bool _hung;
        private int _answered;

        /// <summary>Calls answered before the hang.</summary>
        public int Answered => Volatile.Read(ref _answered);

        /// <summary>When each call arrived after the hang, on <see cref="Clock"/>.</summary>
        public ConcurrentQueue<TimeSpan> HungArrivals { get; } = new();

        /// <summary>The request ids of the calls that arrived after the hang.</summary>
        public ConcurrentBag<string> HungIds { get; } = [];

        /// <summary>When <see cref="Hang"/> was called, on <see cref="Clock"/>.</summary>
        public TimeSpan HungAt { get; private set; }

        public TimeSpan Clock => _clock.Elapsed;

        /// <summary>From now on no call is answered.</summary>
        public void Hang()
        {
            HungAt = _clock.Elapsed;
            _hung = true;
        }

        public async Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken)
        {
            if (!_hung)
            {
                var outcome = await inner.InferAsync(call, cancellationToken);
                Interlocked.Increment(ref _answered);
                return outcome;
            }

            HungArrivals.Enqueue(_clock.Elapsed);
            HungIds.Add(call.Request.Id);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}

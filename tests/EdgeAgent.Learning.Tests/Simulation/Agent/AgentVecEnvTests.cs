using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Simulation.Agent;

public sealed class AgentVecEnvTests
{
    // One model (fp32 0.1 s on the device, 1 Mbit up, 0.1 Mbit down), one peer 4x the device
    // (RTT 20 ms, 10 Mbit/s up, 1 Mbit/s down), power 5/10/2/0.5 W, no jitter, periodic arrivals.
    private static AgentContext Simple(double jobsPerSecond = 20, int localConcurrency = 1, int peerConcurrency = 1, double background = 0)
    {
        var c = new AgentContext
        {
            Power = new DevicePowerTable(5, 10, 2, 0.5), LocalConcurrency = localConcurrency, ModelCount = 1, PeerCount = 1, WorkloadCount = 1,
            Arrivals = ArrivalKind.Periodic, JobsPerSecond = jobsPerSecond, ExecJitterSigma = 0,
        };
        c.Models[0] = AgentContext.Model("m", 125_000, 12_500, 0.1);
        c.Peers[0] = new AgentPeerProfile
        {
            Name = "edge", Kind = ServerKind.Edge, RoundTripSeconds = 0.02, UplinkBitsPerSecond = 10e6, DownlinkBitsPerSecond = 1e6, Speed = 4,
            Concurrency = peerConcurrency, ServedModels = 1, BackgroundUtilisation = background, BackgroundMeanExecSeconds = 0.05,
        };
        c.Workloads[0] = new AgentWorkload { StageCount = 1, Weight = 1, LinesMin = 1, LinesMax = 1 };
        return c;
    }

    private static AgentVecEnv Env(AgentContext c, int steps = 100, ulong seed = 1, int count = 1, bool autoReset = false) =>
        new(AgentContextRange.Fixed(c), count, seed, autoReset, steps);

    [Fact]
    public void Step_LocalFifoOneSlot_DelaysAreQueuePlusExecution()
    {
        var env = Env(Simple());
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(0.05 * k, env.Now(0), 12);
            var (expectedDelay, energy) = env.ExactCostUnscaled(0, 0);
            // Arrivals every 50 ms, 100 ms each on one slot: task k starts at 0.1 k.
            Assert.Equal(0.1 + (0.05 * k), expectedDelay, 12);
            Assert.Equal(5 * 0.1, energy, 12);
            env.Step(0, 0, out var delayCost, out var energyCost);
            Assert.Equal((0.1 + (0.05 * k)) / 0.1, delayCost, 9);
            Assert.Equal(1.0, energyCost, 12);
        }
    }

    [Fact]
    public void Step_LocalTwoSlots_NoQueueing()
    {
        var env = Env(Simple(localConcurrency: 2));
        for (var k = 0; k < 10; k++)
        {
            env.Step(0, 0, out var delayCost, out _);
            Assert.Equal(1.0, delayCost, 9);
        }
    }

    [Fact]
    public void Step_Offload_UploadSharesTheLinkAndPeerQueueIsFifo()
    {
        var env = Env(Simple());
        // Task 0 at 0: upload 0.1 s, half RTT 0.01, exec 0.1/4 = 0.025, half RTT 0.01, download 0.1 s.
        var (d0, e0) = env.ExactCostUnscaled(0, 3);
        Assert.Equal(0.1 + 0.01 + 0.025 + 0.01 + 0.1, d0, 12);
        Assert.Equal((2 * 0.2) + (0.5 * (d0 - 0.2)), e0, 12);
        env.Step(0, 3, out var cost0, out var energyCost0);
        Assert.Equal(d0 / 0.1, cost0, 9);
        Assert.Equal(e0 / 0.5, energyCost0, 9);

        // Task 1 at 0.05: its upload waits for the link (free at 0.1), arrives at 0.21, the peer is free (task 0 ran 0.11-0.135).
        var (d1, _) = env.ExactCostUnscaled(0, 3);
        Assert.Equal(0.21 + 0.025 + 0.01 + 0.1 - 0.05, d1, 12);
        env.Step(0, 3, out _, out _);

        // Task 2 at 0.1: link free at 0.2 -> arrives 0.31; peer free (task 1 finished 0.235).
        var (d2, _) = env.ExactCostUnscaled(0, 3);
        Assert.Equal(0.31 + 0.025 + 0.01 + 0.1 - 0.1, d2, 12);
    }

    [Fact]
    public void Step_SlowPeerOneSlot_LaterTasksWaitInItsFifoQueue()
    {
        var c = Simple();
        c.Peers[0] = c.Peers[0] with { Speed = 0.25, UplinkBitsPerSecond = 1e9, DownlinkBitsPerSecond = 1e9, RoundTripSeconds = 0 };
        var env = Env(c);
        // Exec on the peer 0.4 s; transfers 1 ms and 0.1 ms. Task k (at 0.05 k) starts when task k-1 finishes.
        var finish = 0.0;
        for (var k = 0; k < 5; k++)
        {
            var arrival = (0.05 * k) + 0.001;
            var start = Math.Max(arrival, finish);
            finish = start + 0.4;
            var (delay, _) = env.ExactCostUnscaled(0, 3);
            Assert.Equal(finish + 0.0001 - (0.05 * k), delay, 9);
            env.Step(0, 3, out _, out _);
        }
    }

    [Fact]
    public void Observe_QueuedWork_CountsAndResidualsAsTheExecutorReportsThem()
    {
        var env = Env(Simple());
        env.Step(0, 0, out _, out _); // 0.0-0.1
        env.Step(0, 0, out _, out _); // queued, 0.1-0.2
        // Now 0.1: task 0 just finished; task 1 running (residual 0.1), nothing queued.
        env.Step(0, 0, out _, out _); // at 0.1 -> 0.2-0.3
        // Now 0.15: task 1 running (residual 0.05), task 2 queued (residual 0.1).
        var obs = env.CurrentObservation(0);
        var local = obs.Servers[0];
        Assert.Equal(1, local.Executing);
        Assert.Equal(1, local.Queued);
        Assert.Equal(0.15, local.ResidualWorkSeconds, 12);
        Assert.Equal(1, local.ResidualWorkHistogram[4] + local.ResidualWorkHistogram[5]); // 50 ms left, at a bin edge
        Assert.Equal(1, local.ResidualWorkHistogram[10]);
        Assert.Equal(2, local.ResidualWorkHistogram.Sum());
        Assert.Equal(0.15 / 1 + 0.1, Core.Offloading.Policies.CompletionEstimate.Seconds(obs.Task, local), 12);
    }

    [Fact]
    public void Observe_OwnTraffic_BacklogInFlightAndArrivingJobsAsTheAgentKnowsThem()
    {
        var env = new AgentVecEnv(AgentContextRange.Fixed(Simple()), 1, 1, autoReset: false, stepsPerEpisode: 100, layout: FeatureLayout.Agent(ownTraffic: true));
        // Tasks at 0, 0.05 and 0.1 offloaded: uploads 0-0.1, 0.1-0.2, 0.2-0.3, arrivals 0.11, 0.21, 0.31,
        // 25 ms each on the peer, answers back at 0.245, 0.345, 0.445.
        for (var k = 0; k < 3; k++)
        {
            env.Step(0, 3, out _, out _);
        }

        // Now 0.15: task 0 ran and finished at the peer (its answer is still on the way back).
        Assert.Equal(0.15, env.Now(0), 12);
        var peer = env.CurrentObservation(0).Servers[3];
        Assert.Equal(0, peer.Executing + peer.Queued);
        Assert.Equal(3, peer.OwnInFlight);
        Assert.Equal(0.15, peer.UploadBacklogSeconds, 12);
        Assert.Equal(2, peer.ArrivingTasks);
        Assert.Equal(0.05, peer.ArrivingWorkSeconds, 12);

        // The own-traffic estimate is the exact completion here (no jitter, no background):
        // link 0.3-0.4, arrival 0.41, exec 0.025, half RTT, download 0.1; the classic one misses the backlog.
        var task = new TaskState(125_000, 12_500, double.PositiveInfinity);
        var candidate = ObservationEncoder.ToCandidate(peer, default);
        var (exact, exactEnergy) = env.ExactCostUnscaled(0, 3);
        Assert.Equal(0.545 - 0.15, exact, 12);
        Assert.Equal(exact, ObservationEncoder.OwnTrafficDelaySeconds(task, candidate), 12);
        Assert.Equal(0.1 + 0.02 + 0.025 + 0.1, ObservationEncoder.EstimateDelaySeconds(task, candidate), 12);

        // So is the own-traffic energy estimate: the 0.15 s wait for the link is radio time (2 W), as the
        // simulator prices the offload: radio 0.15 + 0.1 + 0.1, waiting (0.5 W) for the round trip and the
        // execution. The classic estimate leaves the link wait out and under-prices the offload.
        Assert.Equal((2 * 0.35) + (0.5 * 0.045), exactEnergy, 12);
        Assert.Equal(exactEnergy, peer.OwnTrafficEnergyJoules!.Value, 12);
        Assert.Equal((2 * 0.2) + (0.5 * 0.045), peer.EstimatedEnergyJoules, 12);
        var row = new float[env.MaxServers * env.FeatureCount];
        env.Observe(0, row, new float[env.MaxServers], new float[2]);
        var layout = env.Layout;
        Assert.Equal((float)ObservationEncoder.LogEnergy(exactEnergy), row[(3 * env.FeatureCount) + layout.IndexOf(FeatureKind.OwnEnergyLog)], 6);
        Assert.Equal((float)ObservationEncoder.LogEnergy(peer.EstimatedEnergyJoules), row[(3 * env.FeatureCount) + layout.IndexOf(FeatureKind.EnergyLog)], 6);
        var local = env.CurrentObservation(0).Servers[0];
        Assert.Equal((0, 0.0, 0, 0.0), (local.OwnInFlight, local.UploadBacklogSeconds, local.ArrivingTasks, local.ArrivingWorkSeconds));

        // At 0.3 (three local steps later) the link is free, tasks 1 and 2 arrived, and the first two answers are back.
        for (var k = 0; k < 3; k++)
        {
            env.Step(0, 0, out _, out _);
        }

        Assert.Equal(0.3, env.Now(0), 12);
        peer = env.CurrentObservation(0).Servers[3];
        Assert.Equal((2, 1, 0.025), (peer.OwnInFlight, peer.ArrivingTasks, peer.ArrivingWorkSeconds));
        Assert.Equal(0.0, peer.UploadBacklogSeconds, 12);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(true, true, true)]
    [InlineData(true, true, true, true)]
    public void Observe_SimulatorRows_EqualLiveEncoderOfTheSameSituation(bool ownTraffic, bool ownRate, bool ownPipeline = false, bool ownBatch = false)
    {
        var env = new AgentVecEnv(AgentContextRange.Train, 8, seed: 42, autoReset: true, stepsPerEpisode: 60, layout: FeatureLayout.Agent(ownTraffic: ownTraffic, ownRate: ownRate, ownPipeline: ownPipeline, ownBatch: ownBatch));
        var live = new ObservationEncoder(env.Layout);
        var s = env.MaxServers;
        var f = env.FeatureCount;
        var servers = new float[s * f];
        var mask = new float[s];
        var pref = new float[2];
        var liveServers = new float[s * f];
        var liveMask = new float[s];
        var livePref = new float[2];
        var rng = new SimRandom(5);
        var compared = 0;
        for (var t = 0; t < 400; t++)
        {
            for (var i = 0; i < env.Count; i++)
            {
                env.SetPreference(i, (i + 0.5) / env.Count);
                env.Observe(i, servers, mask, pref);
                live.Encode(env.CurrentObservation(i), new Preference(env.DelayWeight(i)), liveServers, liveMask, livePref);
                Assert.Equal(mask, liveMask);
                Assert.Equal(pref, livePref);
                for (var k = 0; k < servers.Length; k++)
                {
                    if (servers[k] != liveServers[k])
                    {
                        Assert.Fail($"step {t} env {i} row {k / f} column {env.Layout.ColumnNames()[k % f]}: simulator {servers[k]}, live encoder {liveServers[k]}");
                    }
                }

                compared++;
                env.Step(i, RandomPresent(env, i, ref rng), out _, out _);
            }
        }

        Assert.Equal(3200, compared);
    }

    [Fact]
    public void Observe_OwnRequestRate_IsCoresEstimatorFedAtEveryDecision()
    {
        // Every decision is a request reaching the agent (a job's first stage or a pipeline's later
        // one): the column is Core's OwnRequestRate fed at those times, as the live Dispatcher feeds it.
        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        var env = new AgentVecEnv(AgentContextRange.Fixed(AgentContext.Demo()), 1, 3, autoReset: false, stepsPerEpisode: 200, layout: layout);
        env.Reset(0, 11);
        var column = layout.IndexOf(FeatureKind.OwnRequestRateLog);
        var rows = new float[env.MaxServers * env.FeatureCount];
        var mask = new float[env.MaxServers];
        var expected = default(OwnRequestRate);
        var rng = new SimRandom(3);
        var last = 0.0;
        for (var k = 0; k < 200; k++)
        {
            var rate = expected.Arrive(env.Now(0));
            Assert.Equal(rate, env.CurrentObservation(0).Task.OwnRequestsPerSecond, 12);
            env.Observe(0, rows, mask, new float[2]);
            for (var r = 0; r < env.MaxServers; r++)
            {
                Assert.Equal(mask[r] > 0 ? (float)ObservationEncoder.LogRequestRate(rate) : -1f, rows[(r * env.FeatureCount) + column]);
            }

            last = rate;
            env.Step(0, RandomPresent(env, 0, ref rng), out _, out _);
            if (env.IsDone(0))
            {
                break;
            }
        }

        // The demo sends 2 pages a second of 1-2 lines, det + (cls + rec) per line: 8 requests a second on average.
        Assert.InRange(last, 2.0, 20.0);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("demo-world")]
    public void Observe_OwnFollowedInFlight_CountsPlacedRequestsWithFollowUpsNotYetAnswered(string contexts)
    {
        // Bookkeeping independent of the encoder: a step that adds pending follow-ups placed a request a
        // later stage follows, answered at those follow-ups' time; at each later decision it is in flight
        // while that time is after now (the live agent: marked followed, decided, not yet answered).
        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true);
        var env = new AgentVecEnv(Learning.Evaluation.AgentContexts.Get(contexts).Range, 1, 3, autoReset: false, stepsPerEpisode: 300, layout: layout);
        env.Reset(0, 17);
        var column = layout.IndexOf(FeatureKind.OwnFollowedInFlightLog);
        var rows = new float[env.MaxServers * env.FeatureCount];
        var mask = new float[env.MaxServers];
        var placed = new List<(int Rec, double Answer)>();
        var rng = new SimRandom(9);
        var (nonZero, max) = (0, 0);
        for (var k = 0; k < 300 && !env.IsDone(0); k++)
        {
            var now = env.Now(0);
            var expected = placed.Count(p => p.Answer > now);
            Assert.Equal(expected, env.FollowedInFlight(0));
            Assert.Equal(expected, env.CurrentObservation(0).Task.OwnFollowedInFlight);
            AssertCountColumn(env, column, expected, rows, mask);

            (nonZero, max) = (nonZero + (expected > 0 ? 1 : 0), Math.Max(max, expected));
            var before = env.Pending(0);
            env.Step(0, RandomPresent(env, 0, ref rng), out _, out _);
            var added = env.Pending(0).Where(p => !before.Contains(p)).Select(p => (p.Rec, p.Time)).Distinct().ToList();
            Assert.True(added.Count <= 1, "one placement is one request, answered once");
            placed.AddRange(added);
        }

        Assert.InRange(nonZero, 20, 300);
        Assert.True(max >= 2, $"at most {max} followed requests in flight at once");
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("demo-near-edge")]
    public void Observe_OwnBatchAfter_CountsDownAPagesLinesDecidedAtOneInstant(string contexts)
    {
        // Bookkeeping independent of the encoder: a step that adds n pending follow-ups of one page at one
        // time (its detection, lines in parallel) starts a fan-out; the n decisions at that time show
        // n - 1, n - 2, ..., 0 (the live agent: a client's edgeagent.batch_after on each line it sends at once),
        // and every other decision shows 0.
        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true);
        var env = new AgentVecEnv(Learning.Evaluation.AgentContexts.Get(contexts).Range, 1, 3, autoReset: false, stepsPerEpisode: 400, layout: layout);
        env.Reset(0, 23);
        var column = layout.IndexOf(FeatureKind.OwnBatchAfterLog);
        var rows = new float[env.MaxServers * env.FeatureCount];
        var mask = new float[env.MaxServers];
        var fanOuts = new List<(int Rec, double Time, int Left)>();
        var rng = new SimRandom(4);
        var (counted, max) = (0, 0);
        for (var k = 0; k < 400 && !env.IsDone(0); k++)
        {
            var now = env.Now(0);
            var open = fanOuts.FindIndex(f => f.Time == now && f.Left > 0);
            var expected = 0;
            if (open >= 0)
            {
                var f = fanOuts[open];
                expected = f.Left - 1;
                fanOuts[open] = f with { Left = f.Left - 1 };
            }

            Assert.Equal(expected, env.CurrentObservation(0).Task.OwnBatchAfter);
            AssertCountColumn(env, column, expected, rows, mask);

            (counted, max) = (counted + (expected > 0 ? 1 : 0), Math.Max(max, expected));
            var before = env.Pending(0);
            env.Step(0, RandomPresent(env, 0, ref rng), out _, out _);
            foreach (var group in env.Pending(0).Where(p => !before.Contains(p)).GroupBy(p => (p.Rec, p.Time)))
            {
                // The step went on to the next decision: when that is one of the new lines, it has left the pending list.
                var lines = group.Count() + (env.Now(0) == group.Key.Time ? 1 : 0);
                if (lines > 1)
                {
                    fanOuts.Add((group.Key.Rec, group.Key.Time, lines));
                }
            }
        }

        Assert.InRange(counted, 10, 400);
        Assert.True(max >= 1, $"at most {max} lines behind one");
    }

    // Env 0's observation now: the count column is log2(1 + expected) in every present row, -1 in absent ones.
    private static void AssertCountColumn(AgentVecEnv env, int column, int expected, float[] rows, float[] mask)
    {
        env.Observe(0, rows, mask, new float[2]);
        for (var r = 0; r < env.MaxServers; r++)
        {
            Assert.Equal(mask[r] > 0 ? (float)Math.Log2(1 + expected) : -1f, rows[(r * env.FeatureCount) + column]);
        }
    }

    [Fact]
    public void Observe_OwnBatchAfter_IsZeroWithSequentialLines()
    {
        var context = AgentContext.Demo();
        for (var w = 0; w < context.WorkloadCount; w++)
        {
            context.Workloads[w].SequentialLines = true;
        }

        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true);
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false, stepsPerEpisode: 300, layout: layout);
        env.Reset(0, 29);
        var rng = new SimRandom(6);
        var decisions = 0;
        for (var k = 0; k < 300 && !env.IsDone(0); k++, decisions++)
        {
            Assert.Equal(0, env.CurrentObservation(0).Task.OwnBatchAfter);
            Assert.Equal(0, env.PendingReadyCount(0));
            env.Step(0, RandomPresent(env, 0, ref rng), out _, out _);
        }

        Assert.True(decisions > 100);
    }

    [Fact]
    public void CopyState_OwnRequestRate_TravelsWithTheSnapshot()
    {
        var layout = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        var env = new AgentVecEnv(AgentContextRange.Fixed(AgentContext.Demo()), 2, 3, autoReset: false, stepsPerEpisode: 100, layout: layout);
        env.Reset(0, 5);
        env.Reset(1, 6);
        for (var k = 0; k < 30; k++)
        {
            env.Step(0, 0, out _, out _);
        }

        env.CopyState(1, env, 0);
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(env.CurrentObservation(0).Task.OwnRequestsPerSecond, env.CurrentObservation(1).Task.OwnRequestsPerSecond);
            env.Step(0, 0, out _, out _);
            env.Step(1, 0, out _, out _);
        }
    }

    [Fact]
    public void Observe_AbsentRows_MaskedAndNonContiguous()
    {
        var c = Simple();
        c.ModelCount = 2;
        c.Models[0] = c.Models[0] with { ExecMixed = 0.06, DropMixed = 0.4 };
        c.Models[1] = AgentContext.Model("other", 10, 10, 0.01);
        c.PeerCount = 3;
        c.Peers[1] = c.Peers[0] with { Name = "cloud", ServedModels = 0b10 };
        c.Peers[2] = c.Peers[0] with { Name = "edge2", ServedModels = 0b11 };
        c.Workloads[0] = new AgentWorkload { StageCount = 1, Stage0 = 0, Weight = 1, LinesMin = 1, LinesMax = 1 };
        var env = Env(c);
        var f = env.FeatureCount;
        var servers = new float[env.MaxServers * f];
        var mask = new float[env.MaxServers];
        env.Observe(0, servers, mask, new float[2]);
        Assert.Equal([1f, 0f, 1f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 0f], mask);
        Assert.True(env.IsPresent(0, 2));
        Assert.False(env.IsPresent(0, 4));
        Assert.All(servers[(4 * f)..(5 * f)], v => Assert.Equal(-1f, v));
        Assert.Equal(1f, servers[(2 * f) + env.Layout.IndexOf(FeatureKind.IsQuantizedVariant)]);
        Assert.Equal(0.4f, servers[(2 * f) + env.Layout.IndexOf(FeatureKind.AccuracyDropPoints)], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => env.Step(0, 4, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => env.MarginalCost(0, 1, out _, out _));
    }

    [Fact]
    public void Step_Energy_MeasuredJoulesForVariantsPowerTableOtherwise()
    {
        var c = Simple();
        c.Models[0] = c.Models[0] with { ExecInt8 = 0.04, JoulesInt8 = 0.123 };
        var env = Env(c);
        Assert.Equal(0.123, env.ExactCostUnscaled(0, 1).EnergyJoules, 12);
        Assert.Equal(0.5, env.ExactCostUnscaled(0, 0).EnergyJoules, 12);
        env.Step(0, 1, out _, out var energyCost);
        Assert.Equal(0.123 / 0.5, energyCost, 12);
    }

    [Fact]
    public void Episode_Totals_AreTheSumsOfTheDecisionsActualCosts()
    {
        var env = new AgentVecEnv(AgentContextRange.Train, 1, seed: 9, autoReset: false, stepsPerEpisode: 200);
        var rng = new SimRandom(1);
        double delay = 0, energy = 0, delayCost = 0, energyCost = 0;
        var done = false;
        while (!done)
        {
            var a = RandomPresent(env, 0, ref rng);
            var (d, e) = env.ExactCostUnscaled(0, a);
            env.MarginalCost(0, a, out var dc, out var ec);
            done = env.Step(0, a, out var rd, out var re);
            Assert.Equal(dc, rd, 12);
            Assert.Equal(ec, re, 12);
            delay += d;
            energy += e;
            delayCost += rd;
            energyCost += re;
        }

        var last = env.LastEpisode(0);
        Assert.Equal(200, last.Tasks);
        Assert.Equal(delay, last.TotalDelaySeconds, 9);
        Assert.Equal(energy, last.TotalEnergyJoules, 9);
        Assert.Equal(delayCost, last.DelayCost, 9);
        Assert.Equal(energyCost, last.EnergyCost, 9);
        Assert.Equal((delayCost, energyCost), env.ProjectedTotals(0));
    }

    [Fact]
    public void Reset_SameSeed_SameEpisodeAndArrivalsIndependentOfActions()
    {
        var c = Simple(jobsPerSecond: 8);
        c.Arrivals = ArrivalKind.Bursty;
        c.ExecJitterSigma = 0.2;
        c.Peers[0] = c.Peers[0] with { BackgroundUtilisation = 0.5 };
        var a = Env(c, seed: 3);
        var b = Env(c, seed: 3);
        var other = Env(c, seed: 3);
        for (var k = 0; k < 100; k++)
        {
            Assert.Equal(a.Now(0), other.Now(0));
            a.Step(0, k % 2 == 0 ? 0 : 3, out var d1, out var e1);
            b.Step(0, k % 2 == 0 ? 0 : 3, out var d2, out var e2);
            other.Step(0, 0, out _, out _);
            Assert.Equal(d1, d2);
            Assert.Equal(e1, e2);
        }

        Assert.Equal(a.LastEpisode(0), b.LastEpisode(0));
    }

    [Fact]
    public void Background_Utilisation_KeepsThePeerBusyThatShareOfTheTime()
    {
        // Poisson decisions see time averages: the one-slot peer should be busy ~40 % of them.
        var c = Simple(jobsPerSecond: 5, background: 0.4);
        c.Arrivals = ArrivalKind.Poisson;
        var env = Env(c, steps: 20_000);
        var busy = 0;
        for (var k = 0; k < 20_000; k++)
        {
            var obs = env.CurrentObservation(0);
            busy += obs.Servers[3].Executing > 0 ? 1 : 0;
            env.Step(0, 0, out _, out _);
        }

        Assert.InRange(busy / 20_000.0, 0.35, 0.45);
    }

    [Fact]
    public void Pipeline_StagesFollowTheirInputs()
    {
        var c = AgentContext.Demo();
        c.PeerCount = 0;
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 0.1;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 2, LinesMax = 2 };
        var env = Env(c, steps: 10);
        double det = 0.030, cls = 0.005, rec = 0.059;
        (int Model, double Time)[] expected =
        [
            (0, 0), (1, det), (1, det), (2, det + cls), (2, det + (2 * cls)), (0, 10),
        ];
        foreach (var (model, time) in expected)
        {
            Assert.Equal(model, env.CurrentModel(0));
            Assert.Equal(time, env.Now(0), 12);
            env.Step(0, 0, out _, out _);
        }

        _ = rec;
    }

    [Fact]
    public void Pipeline_RecWaitsBehindTheSecondLinesClassifier()
    {
        var c = AgentContext.Demo();
        c.PeerCount = 0;
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 0.1;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 2, LinesMax = 2 };
        var env = Env(c, steps: 10);
        double det = 0.030, cls = 0.005, rec = 0.059;
        double[] delays = [det, cls, 2 * cls, cls + rec, rec + rec];
        foreach (var d in delays)
        {
            Assert.Equal(d, env.ExactCostUnscaled(0, 0).DelaySeconds, 12);
            env.Step(0, 0, out _, out _);
        }
    }

    [Fact]
    public void Pipeline_SequentialLines_NextLineStartsWhenThePreviousLineIsBack()
    {
        // The demo's OcrPipeline reads a page's lines one after another: cls, rec of line 1, then line 2.
        var c = AgentContext.Demo();
        c.PeerCount = 0;
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 0.1;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 2, LinesMax = 2, SequentialLines = true };
        var env = Env(c, steps: 10);
        double det = 0.030, cls = 0.005, rec = 0.059;
        (int Model, double Time, double Delay)[] expected =
        [
            (0, 0, det), (1, det, cls), (2, det + cls, rec), (1, det + cls + rec, cls), (2, det + cls + rec + cls, rec), (0, 10, det),
        ];
        foreach (var (model, time, delay) in expected)
        {
            Assert.Equal(model, env.CurrentModel(0));
            Assert.Equal(time, env.Now(0), 12);
            Assert.Equal(delay, env.ExactCostUnscaled(0, 0).DelaySeconds, 12);
            env.Step(0, 0, out _, out _);
        }
    }

    [Fact]
    public void Pipeline_LinesMean_JobsHaveThatManyLinesOnAverage()
    {
        var c = AgentContext.Demo();
        c.PeerCount = 0;
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 1;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 1, LinesMax = 2, LinesMean = 1.25, SequentialLines = true };
        var env = Env(c, steps: 20_000);
        var perModel = new int[3];
        for (var k = 0; k < 20_000; k++)
        {
            perModel[env.CurrentModel(0)]++;
            env.Step(0, 0, out _, out _);
        }

        Assert.InRange(perModel[1] / (double)perModel[0], 1.22, 1.28);
    }

    [Fact]
    public void Step_AgentOverhead_InTheDelayAfterTheTaskAndTheNextStageWaitsForIt()
    {
        var c = AgentContext.Demo();
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 0.1;
        c.Models[0].OverheadLocalSeconds = 0.002;
        c.Models[0].OverheadPeerSeconds = 0.004;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 1, LinesMax = 1 };
        var env = Env(c, steps: 10);

        var peerDelay = env.ExactCostUnscaled(0, 3).DelaySeconds;
        env.Step(0, 0, out _, out _);

        var task = env.LastTask(0);
        Assert.Equal(0.030 + 0.002, task.DelaySeconds, 12);
        Assert.Equal(0.002, task.OverheadSeconds, 12);
        Assert.Equal(0, task.TransferSeconds, 12);
        Assert.Equal(0.032, env.Now(0), 12);
        var edge = c.Peers[0];
        var transfer = (c.Models[0].RequestBytes * 8.0 / edge.UplinkBitsPerSecond) + edge.RoundTripSeconds + (c.Models[0].ResponseBytes * 8.0 / edge.DownlinkBitsPerSecond);
        Assert.Equal(transfer + (0.030 / edge.Speed) + 0.004, peerDelay, 12);
    }

    [Fact]
    public void Step_OffloadEnergy_PricedAsTheDispatcherDoes_LinkWaitIsRadioTimeRoundTripIsWaiting()
    {
        var c = Simple();
        c.Peers[0].ObservedRoundTripSeconds = 0.025; // the agent's estimate, 5 ms above the truth
        var env = Env(c);
        env.Step(0, 3, out _, out _);

        // Task 1 at 0.05 waits 0.05 s for the link (free at 0.1): the agent's measured wire time holds that
        // wait, the upload, the round trip and the download; it takes its RTT estimate off as waiting.
        env.Step(0, 3, out _, out _);

        var task = env.LastTask(0);
        var wire = 0.05 + 0.1 + 0.02 + 0.1;
        Assert.Equal(wire, task.TransferSeconds, 12);
        var radio = wire - 0.025;
        Assert.Equal((2 * radio) + (0.5 * (task.DelaySeconds - radio)), task.EnergyJoules, 12);
        Assert.Equal(0.025, env.CurrentObservation(0).Servers[3].RoundTripSeconds, 12);
    }

    [Fact]
    public void StepAndObserve_Batch_AllocateNothing()
    {
        var env = new AgentVecEnv(AgentContextRange.Train, 16, seed: 4, autoReset: true, stepsPerEpisode: 50);
        var n = env.Count;
        var servers = new float[n * env.MaxServers * env.FeatureCount];
        var mask = new float[n * env.MaxServers];
        var pref = new float[n * 2];
        var actions = new int[n];
        var rT = new float[n];
        var rE = new float[n];
        var done = new bool[n];
        var rng = new SimRandom(2);
        void Run(int steps)
        {
            for (var t = 0; t < steps; t++)
            {
                env.Observe(servers, mask, pref);
                for (var i = 0; i < n; i++)
                {
                    actions[i] = RandomPresent(env, i, ref rng);
                }

                env.Step(actions, rT, rE, done);
            }
        }

        Run(200);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(500);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void CopyState_ThenSameActions_SameFuture()
    {
        var env = new AgentVecEnv(AgentContextRange.Train, 2, seed: 11, autoReset: false, stepsPerEpisode: 80);
        var rng = new SimRandom(3);
        for (var k = 0; k < 30; k++)
        {
            env.Step(0, RandomPresent(env, 0, ref rng), out _, out _);
        }

        var copy = (AgentVecEnv)env.CreateLike(1, 99, autoReset: false);
        ((ISnapshotEnv)copy).CopyState(0, env, 0);
        for (var k = 0; k < 40; k++)
        {
            var a = RandomPresent(env, 0, ref rng);
            env.Step(0, a, out var d1, out var e1);
            copy.Step(0, a, out var d2, out var e2);
            Assert.Equal(d1, d2);
            Assert.Equal(e1, e2);
        }
    }

    [Fact]
    public void Arrivals_ClientCapOnJobsInFlight_HoldsArrivalsBackUntilAJobFinishesThenTheyComeAtOnce()
    {
        // Jobs due every 50 ms, 100 ms each on one slot, at most 2 in flight (the demo driver's cap, here 2):
        // job 2 comes as job 0 finishes (0.1), job 3 waits for job 1 (0.2), job 4 for job 2 (0.3); the delay
        // counts from when a job comes, so it stays at 2 x 100 ms instead of growing with the backlog.
        var c = Simple();
        c.MaxJobsInFlight = 2;
        var env = Env(c);
        (double Now, double Delay)[] expected = [(0, 0.1), (0.05, 0.15), (0.1, 0.2), (0.2, 0.2), (0.3, 0.2), (0.4, 0.2), (0.5, 0.2)];
        foreach (var (now, delay) in expected)
        {
            Assert.Equal(now, env.Now(0), 12);
            env.Step(0, 0, out _, out _);
            Assert.Equal(delay, env.LastTask(0).DelaySeconds, 12);
        }

        // Without the cap the arrivals keep their schedule and the queue grows.
        var open = Env(Simple());
        for (var k = 0; k < 7; k++)
        {
            Assert.Equal(0.05 * k, open.Now(0), 12);
            open.Step(0, 0, out _, out _);
            Assert.Equal(0.1 + (0.05 * k), open.LastTask(0).DelaySeconds, 12);
        }
    }

    [Fact]
    public void Arrivals_ClientCap_APipelineJobIsInFlightUntilItsLastStageIsBack()
    {
        // Cap 1 (as a client reading one page at a time): the next page comes when the last line's
        // recognition of the previous one is back (det 30 + cls 5 + rec 59 ms), not on its 10 ms schedule;
        // the page after it is already due then, so it comes at once too.
        var c = AgentContext.Demo();
        c.PeerCount = 0;
        c.ExecJitterSigma = 0;
        c.Arrivals = ArrivalKind.Periodic;
        c.JobsPerSecond = 100;
        c.MaxJobsInFlight = 1;
        c.Workloads[0] = c.Workloads[0] with { LinesMin = 1, LinesMax = 1, SequentialLines = true };
        var env = Env(c, steps: 9);
        const double job = 0.030 + 0.005 + 0.059;
        (int Model, double Time)[] expected = [(0, 0), (1, 0.030), (2, 0.035), (0, job), (1, job + 0.030), (2, job + 0.035), (0, 2 * job)];
        foreach (var (model, time) in expected)
        {
            Assert.Equal(model, env.CurrentModel(0));
            Assert.Equal(time, env.Now(0), 12);
            env.Step(0, 0, out _, out _);
            Assert.Equal(0, env.LastTask(0).QueueSeconds, 12);
        }
    }

    [Fact]
    public void SizeClasses_EachJobTakesOneClassBytesTimesAndEstimates_AndTheMixIsTheLoad()
    {
        // Two classes: 125 kB at 0.1 s and 250 kB at 0.2 s (responses 12.5 / 25 kB; the agent expects
        // 0.8x the device's time in the wide class); jobs 1 s apart, so no queueing.
        var c = Simple(jobsPerSecond: 1);
        var narrow = Simple(jobsPerSecond: 1);
        var wide = Simple(jobsPerSecond: 1);
        wide.Models[0] = AgentContext.Model("m", 250_000, 25_000, 0.2) with { ObservedExecRatio = 0.8 };
        c.SetSizeClasses([narrow, wide]);
        c.Validate();
        var env = Env(c, steps: 400);
        var seen = new int[2];
        var peer = c.Peers[0];
        for (var k = 0; k < 400; k++)
        {
            var local = env.ExactCostUnscaled(0, 0).DelaySeconds;
            var cls = Math.Abs(local - 0.1) < 1e-12 ? 0 : 1;
            Assert.Equal(cls == 0 ? 0.1 : 0.2, local, 12);
            seen[cls]++;
            var (bytes, response, exec) = cls == 0 ? (125_000L, 12_500L, 0.1) : (250_000L, 25_000L, 0.2);
            var observation = env.CurrentObservation(0);
            Assert.Equal(bytes, observation.Task.InputBytes);
            Assert.Equal(exec * (cls == 0 ? 1.0 : 0.8), observation.Servers[0].ExpectedExecSeconds, 12);
            var offload = env.ExactCostUnscaled(0, 3).DelaySeconds;
            Assert.Equal((bytes * 8.0 / peer.UplinkBitsPerSecond) + peer.RoundTripSeconds + (exec / peer.Speed) + (response * 8.0 / peer.DownlinkBitsPerSecond), offload, 12);
            env.Step(0, 0, out _, out _);
        }

        Assert.InRange(seen[0], 160, 240);

        // Without classes every task is the model's own profile (and the arrival stream is unchanged).
        var plain = Env(Simple(jobsPerSecond: 1), steps: 10);
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(0.1, plain.ExactCostUnscaled(0, 0).DelaySeconds, 12);
            plain.Step(0, 0, out _, out _);
        }
    }

    [Fact]
    public void ExecEstimates_Dynamics_EachRunReachesItsExecutorsEstimateWhenItFinishes_AsTheLiveExecutorsEstimate()
    {
        // Jobs 1 s apart, 100 ms each on the board (jitter sigma 0.3), always run there: at every decision
        // the board's estimate is an ExecTimeEstimate holding the runs before it (32 drawn for the episode's
        // start, their jitters' recency-weighted mean 1, then each finished run's own time), and the
        // observation's expected time is that estimate; the peer, never used, keeps its start.
        var c = Simple(jobsPerSecond: 1);
        c.ExecJitterSigma = 0.3;
        c.DynamicExecEstimates = true;
        c.Validate();
        var env = Env(c, steps: 40);
        var peer = env.ExecEstimateFactor(0, 1);
        var previous = env.ExecEstimateFactor(0, 0);
        Assert.InRange(previous, 0.9, 1.05); // the robust mean of log-normal jitters sits a little below their mean
        Assert.InRange(peer, 0.9, 1.05);
        var mirror = new ExecTimeEstimate();
        var moved = 0;
        for (var k = 0; k < 40; k++)
        {
            var factor = env.ExecEstimateFactor(0, 0);
            Assert.Equal(0.1 * factor, env.CurrentObservation(0).Servers[0].ExpectedExecSeconds, 12);
            Assert.Equal(peer, env.ExecEstimateFactor(0, 1), 12);
            if (k > ExecTimeEstimate.Capacity)
            {
                // Every run the estimate holds is now one this test saw: it is the live estimate of them.
                Assert.Equal(mirror.ExpectedMs(125_000) / 100.0, factor, 9);
            }

            moved += Math.Abs(factor - previous) > 1e-9 ? 1 : 0;
            previous = factor;
            env.Step(0, 0, out _, out _);
            mirror.Record(125_000, env.LastTask(0).ExecSeconds * 1000.0);
        }

        Assert.InRange(moved, 35, 40);

        // A run still executing at the decision has not reached the estimate: jobs 50 ms apart, 100 ms each.
        var busy = Simple(jobsPerSecond: 20);
        busy.ExecJitterSigma = 0.3;
        busy.DynamicExecEstimates = true;
        var queued = Env(busy, steps: 10);
        var start = queued.ExecEstimateFactor(0, 0);
        queued.Step(0, 0, out _, out _);
        Assert.Equal(0.05, queued.Now(0), 12);
        Assert.Equal(start, queued.ExecEstimateFactor(0, 0), 12);

        // Without jitter the estimate is the expected time; off (the default, every training context): 1.
        var exact = Simple(jobsPerSecond: 1);
        exact.DynamicExecEstimates = true;
        var steady = Env(exact, steps: 5);
        var off = Simple(jobsPerSecond: 1);
        off.ExecJitterSigma = 0.3;
        var still = Env(off, steps: 5);
        for (var k = 0; k < 5; k++)
        {
            Assert.Equal(1.0, steady.ExecEstimateFactor(0, 0), 12);
            Assert.Equal(1.0, still.ExecEstimateFactor(0, 0));
            Assert.Equal(0.1, still.CurrentObservation(0).Servers[0].ExpectedExecSeconds, 12);
            steady.Step(0, 0, out _, out _);
            still.Step(0, 0, out _, out _);
        }
    }

    [Fact]
    public void ExecEstimates_Dynamics_TheEpisodesArrivalsJittersAndOutcomesAreUnchanged()
    {
        // The estimates draw their start from a stream of their own and only change what the policy
        // sees: the same placements give the same tasks, times, delays and energies with or without them.
        AgentVecEnv Make(bool dynamic)
        {
            var c = Simple(jobsPerSecond: 12);
            c.ExecJitterSigma = 0.4;
            c.DynamicExecEstimates = dynamic;
            return Env(c, steps: 60, seed: 7);
        }

        var plain = Make(false);
        var moving = Make(true);
        for (var k = 0; k < 60; k++)
        {
            var action = k % 3 == 0 ? 3 : 0;
            Assert.Equal(plain.Now(0), moving.Now(0), 12);
            plain.Step(0, action, out var d0, out var e0);
            moving.Step(0, action, out var d1, out var e1);
            Assert.Equal(d0, d1, 12);
            Assert.Equal(e0, e1, 12);
            Assert.Equal(plain.LastTask(0).ExecSeconds, moving.LastTask(0).ExecSeconds, 12);
        }
    }

    // One peer on a fast link (125 kB in 1 ms each way), RTT 20 ms: an offload sent at t reaches the peer
    // at t + 0.011 and runs there until t + 0.036 (0.1 s / 4).
    private static AgentContext FastLink(double jobsPerSecond, double reportInterval)
    {
        var c = Simple(jobsPerSecond);
        c.Peers[0] = c.Peers[0] with { UplinkBitsPerSecond = 1e9, DownlinkBitsPerSecond = 1e9 };
        c.PeerReportIntervalSeconds = reportInterval;
        c.Validate();
        return c;
    }

    [Fact]
    public void PeerReports_Lagged_ThePeersQueueIsAsItsLastLoadReportShowedIt()
    {
        // Every job offloaded, 290 ms apart (not a multiple of the reports' 250 ms, so the snapshots fall at every point of a run): at each decision the previous one has finished (the exact
        // queue is empty), but the peer's last report, taken every 250 ms at the episode's phase and
        // seen half a round trip later, shows a job running when its snapshot fell inside one's run,
        // with the expected time less what it had run (the peer executor's residual).
        var env = Env(FastLink(1 / 0.29, 0.25), steps: 80, seed: 3);
        var exact = Env(FastLink(1 / 0.29, 0), steps: 80, seed: 3);
        var sends = new List<double>();
        var first = env.PeerReportTime(0, 0);
        var shown = 0;
        for (var k = 0; k < 80; k++)
        {
            var now = env.Now(0);
            var at = env.PeerReportTime(0, 0);
            Assert.InRange(at, now - 0.01 - 0.25 + 1e-9, now - 0.01);
            var periods = (at - first) / 0.25;
            Assert.Equal(Math.Round(periods), periods, 6); // one phase for the episode
            var running = sends.Where(t => t + 0.011 <= at && at < t + 0.036).ToArray();
            var peer = env.CurrentObservation(0).Servers[3];
            Assert.Equal(running.Length, peer.Executing);
            Assert.Equal(0, peer.Queued);
            Assert.Equal(running.Sum(t => 0.025 - (at - (t + 0.011))), peer.ResidualWorkSeconds, 9);
            shown += running.Length;

            var plain = exact.CurrentObservation(0).Servers[3];
            Assert.Equal(0, plain.Executing);
            Assert.Equal(now, exact.PeerReportTime(0, 0), 12);
            sends.Add(now);
            env.Step(0, 3, out var d0, out var e0);
            exact.Step(0, 3, out var d1, out var e1);
            Assert.Equal(d1, d0, 12); // only the observation differs
            Assert.Equal(e1, e0, 12);
        }

        Assert.InRange(shown, 2, 15); // 25 of every 290 ms show a run: about 7 of the 80 decisions
    }

    [Fact]
    public void PeerReports_Lagged_ARequestOnItsWayShowsAsArrivingNotInTheReport()
    {
        // The agent's own bookkeeping stays current: a request sent this instant is arriving (the
        // peer's report cannot hold it yet), at the decision right after it as well as with the exact queue.
        var env = Env(FastLink(2000, 0.25), steps: 4, seed: 5);
        env.Step(0, 3, out _, out _);
        var peer = env.CurrentObservation(0).Servers[3];
        Assert.Equal(1, peer.ArrivingTasks);
        Assert.Equal(1, peer.OwnInFlight);
        Assert.Equal(0, peer.Executing);
    }

    [Fact]
    public void Constructor_WrongLayout_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AgentVecEnv(AgentContextRange.Train, 1, 1, layout: FeatureLayout.Gmorl()));
        Assert.Contains("profile=gmorl", ex.Message, StringComparison.Ordinal);
    }

    internal static int RandomPresent(AgentVecEnv env, int i, ref SimRandom rng)
    {
        Span<int> rows = stackalloc int[env.MaxServers];
        var n = 0;
        for (var r = 0; r < env.MaxServers; r++)
        {
            if (env.IsPresent(i, r))
            {
                rows[n++] = r;
            }
        }

        return rows[rng.NextInt(n)];
    }
}

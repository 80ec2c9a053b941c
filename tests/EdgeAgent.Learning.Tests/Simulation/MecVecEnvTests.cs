using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Simulation;

public sealed class MecVecEnvTests
{
    private static MecVecEnv Benchmark(int count = 1, ulong seed = 7, MecParameters? p = null, bool autoReset = false) =>
        new(p ?? MecParameters.Gmorl, ContextRange.Benchmark, count, seed, autoReset);

    [Fact]
    public void MarginalCost_Energy_IsKappaEtaFSquaredLPlusUploadEnergy()
    {
        var env = Benchmark(seed: 3);
        while (env.TaskBits(0) <= 0)
        {
            env.Step(0, 0, out _, out _);
        }

        var p = env.Parameters;
        var l = env.TaskBits(0);
        for (var s = 0; s < env.PresentServers(0); s++)
        {
            env.MarginalCost(0, s, out _, out var energy);
            var f = env.ComputeHz(0, s);
            var expected = (p.Kappa * p.CyclesPerBit * f * f * l) + (p.OffloadPowerWatts * l / env.UplinkBitsPerSecond(0, s));
            Assert.Equal(expected, energy, expected * 1e-12);
        }
    }

    [Fact]
    public void Reset_BenchmarkContext_SupplyEqualsDemandMean16Mbit()
    {
        var env = Benchmark();
        Assert.Equal(16e6, env.MeanTaskBits(0), 1e-3);
        Assert.Equal(7, env.PresentServers(0));
        Assert.Equal(4e9, env.ComputeHz(0, 0));
        Assert.Equal(2e9, env.ComputeHz(0, 3));
    }

    [Fact]
    public void Rates_GmorlProfile_AllowUploadWithinOneStep()
    {
        // Rayleigh fading has deep fades, so individual rates can be low; the bulk sits near 390-1010 Mbit/s.
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Test, 64, 11);
        var rates = new List<double>();
        for (var i = 0; i < env.Count; i++)
        {
            for (var s = 0; s < env.PresentServers(i); s++)
            {
                rates.Add(env.UplinkBitsPerSecond(i, s));
            }
        }

        rates.Sort();
        Assert.InRange(rates[rates.Count / 2], 390e6, 1010e6);
        Assert.True(rates[rates.Count / 50] > 16e6, "98 % of links upload a mean-size task within one step");
    }

    [Fact]
    public void Rates_ShannonProfile_AreFarBelowGmorl()
    {
        var env = new MecVecEnv(MecParameters.Shannon, ContextRange.Benchmark, 16, 11);
        for (var i = 0; i < env.Count; i++)
        {
            for (var s = 0; s < env.PresentServers(i); s++)
            {
                Assert.InRange(env.UplinkBitsPerSecond(i, s), 0, 120e6);
            }
        }
    }

    [Theory]
    [InlineData("gmorl", 1)]
    [InlineData("gmorl", 0)]
    [InlineData("shannon", 2)]
    public void MarginalCost_EqualsDrainedDelayWithMinusWithoutTask(string profile, int server)
    {
        var p = MecParameters.ForProfile(profile);
        var a = new MecVecEnv(p, ContextRange.Benchmark, 1, 5, autoReset: false);
        var b = new MecVecEnv(p, ContextRange.Benchmark, 1, 5, autoReset: false);
        // Build a queue on the chosen server so the new task shares it with several others.
        for (var k = 0; k < 12; k++)
        {
            a.Step(0, server, out _, out _);
        }

        while (a.TaskBits(0) <= 0)
        {
            a.Step(0, server, out _, out _);
        }

        Assert.True(a.Executing(0, server) + (profile == "shannon" ? 1 : 0) > 0);
        b.CopyState(0, a, 0);
        b.SetTaskBits(0, 0); // the same state without the task

        a.Step(0, server, out var marginal, out _);
        b.Step(0, server, out var none, out _);
        var withTask = a.DrainNow(0);
        var withoutTask = b.DrainNow(0);

        Assert.Equal(0.0, none);
        Assert.True(marginal > 0);
        Assert.Equal(withTask - withoutTask, marginal, 1e-6 * Math.Max(1, marginal));
    }

    [Theory]
    [InlineData("gmorl")]
    [InlineData("shannon")]
    [InlineData("gmorl-local")]
    public void Episode_SumOfMarginalDelays_EqualsDrainedTotalDelay(string profile)
    {
        var env = new MecVecEnv(MecParameters.ForProfile(profile), ContextRange.Train, 4, 21, autoReset: false);
        var rng = new Random(3);
        for (var i = 0; i < env.Count; i++)
        {
            var sum = 0.0;
            while (!env.Step(i, rng.Next(env.PresentServers(i)), out var d, out _))
            {
                sum += d;
            }

            var last = env.LastEpisode(i);
            Assert.True(last.Tasks > 50);
            Assert.Equal(last.TotalDelaySeconds, last.SumMarginalDelaySeconds, 1e-6 * last.TotalDelaySeconds);
        }
    }

    [Fact]
    public void Step_SameSeedSameActions_IdenticalObservationsAndRewards()
    {
        var a = Benchmark(count: 3, seed: 99, autoReset: true);
        var b = Benchmark(count: 3, seed: 99, autoReset: true);
        var size = a.Count * a.MaxServers * a.FeatureCount;
        float[] oa = new float[size], ob = new float[size], ma = new float[a.Count * a.MaxServers], mb = new float[a.Count * a.MaxServers];
        float[] pa = new float[a.Count * 2], pb = new float[a.Count * 2];
        int[] actions = new int[3];
        float[] da = new float[3], ea = new float[3], db = new float[3], eb = new float[3];
        bool[] doneA = new bool[3], doneB = new bool[3];
        for (var t = 0; t < 250; t++)
        {
            a.Observe(oa, ma, pa);
            b.Observe(ob, mb, pb);
            Assert.Equal(oa, ob);
            Assert.Equal(ma, mb);
            for (var i = 0; i < 3; i++)
            {
                actions[i] = (t * 7 + i) % 7;
            }

            a.Step(actions, da, ea, doneA);
            b.Step(actions, db, eb, doneB);
            Assert.Equal(da, db);
            Assert.Equal(ea, eb);
            Assert.Equal(doneA, doneB);
        }
    }

    [Fact]
    public void Arrivals_DoNotDependOnActions_CommonRandomNumbers()
    {
        var a = Benchmark(seed: 42);
        var b = Benchmark(seed: 42);
        for (var t = 0; t < 100; t++)
        {
            Assert.Equal(a.TaskBits(0), b.TaskBits(0));
            a.Step(0, 0, out _, out _);
            b.Step(0, t % 7, out _, out _);
        }
    }

    [Fact]
    public void Observe_FewerEdgesThanMax_AbsentRowsMinusOneAndMasked()
    {
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Fixed(3, 4e9, 2e9), 1, 1);
        var f = env.FeatureCount;
        var servers = new float[env.MaxServers * f];
        var mask = new float[env.MaxServers];
        var pref = new float[2];
        env.SetPreference(0, 0.9);
        env.Observe(0, servers, mask, pref);

        Assert.Equal(11, env.MaxServers);
        Assert.Equal(68, f);
        Assert.Equal([1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], mask);
        Assert.All(servers.AsSpan(4 * f).ToArray(), v => Assert.Equal(-1f, v));
        Assert.Equal(1f, servers[0]); // bias
        Assert.Equal(4f, servers[1], 5); // cloud GHz
        Assert.Equal(3f, servers[2]); // E
        Assert.Equal(2f, servers[f + 1], 5); // edge GHz
        Assert.Equal(0.9f, pref[0], 6);
        Assert.Equal(0.1f, pref[1], 6);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => env.Step(0, 5, out _, out _));
        Assert.Contains("absent server", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_HistogramCountsExecutingTasksByResidual()
    {
        var env = Benchmark(seed: 8);
        for (var k = 0; k < 20; k++)
        {
            env.Step(0, 1, out _, out _);
        }

        var f = env.FeatureCount;
        var servers = new float[env.MaxServers * f];
        env.Observe(0, servers, new float[env.MaxServers], new float[2]);
        var row = servers.AsSpan(f, f);
        var executing = env.Executing(0, 1);
        Assert.True(executing > 1);
        Assert.Equal(executing, row[6]);
        Assert.Equal((float)(env.TaskBits(0) / env.UplinkBitsPerSecond(0, 1)), row[7], 5); // upload time, s
        var histSum = 0f;
        foreach (var v in row[8..])
        {
            histSum += v;
        }

        Assert.Equal(executing, histSum);
    }

    [Fact]
    public void Constructor_ContextOutsideMaxEdges_ThrowsNamingRange()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MecVecEnv(MecParameters.Gmorl, ContextRange.Fixed(12, 4e9, 2e9), 1, 1));
        Assert.Contains("E_max", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_FinishedEnvironmentWithoutAutoReset_IsLeftAloneWithZeroRewards()
    {
        IVecEnv env = Benchmark(count: 2, seed: 9);
        var steps = MecParameters.Gmorl.StepsPerEpisode;
        var actions = new int[2];
        var rT = new float[2];
        var rE = new float[2];
        var done = new bool[2];
        for (var t = 0; t < steps; t++)
        {
            env.Step(actions, rT, rE, done);
        }

        Assert.True(done[0] && done[1] && env.IsDone(0));
        var last = env.LastEpisode(0);
        actions[0] = 99; // ignored: the environment is done
        env.Step(actions, rT, rE, done);
        Assert.True(done[0]);
        Assert.Equal(0f, rT[0]);
        Assert.Equal(0f, rE[0]);
        Assert.Equal(last, env.LastEpisode(0));
    }

    [Fact]
    public void IsPresent_BenchmarkContext_RowsBelowPresentCountOnly()
    {
        IVecEnv env = Benchmark();
        Assert.True(env.IsPresent(0, 0));
        Assert.True(env.IsPresent(0, 6));
        Assert.False(env.IsPresent(0, 7));
        Assert.False(env.IsPresent(0, -1));
        var like = env.CreateLike(3, 5, autoReset: true);
        Assert.Equal(3, like.Count);
        Assert.Equal("gmorl", like.Profile);
        Assert.True(like.AutoReset);
        Assert.Equal(env.Layout, like.Layout);
    }
}

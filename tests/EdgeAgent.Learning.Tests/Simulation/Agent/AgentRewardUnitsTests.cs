using EdgeAgent.Core.Offloading;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Simulation.Agent;

public sealed class AgentRewardUnitsTests
{
    [Fact]
    public void MeanTaskSeconds_DemoPipeline_IsTheMixsFp32TimePerTask()
    {
        // det 30 ms once, then 1.5 lines on average of cls 5 ms + rec 59 ms: 0.126 s over 4 tasks.
        Assert.Equal((0.030 + (1.5 * (0.005 + 0.059))) / 4, AgentVecEnv.MeanTaskSeconds(AgentContext.Demo()), 12);
    }

    [Fact]
    public void MeanTaskSeconds_WeightedWorkloadsAndCalibratedLines()
    {
        var c = AgentContext.Demo();
        c.WorkloadCount = 2;
        c.Workloads[0] = c.Workloads[0] with { Weight = 3, LinesMean = 2.5, LinesMax = 4 };
        c.Workloads[1] = new AgentWorkload { StageCount = 1, Stage0 = 1, Weight = 1, LinesMin = 1, LinesMax = 1 };
        var seconds = (3 * (0.030 + (2.5 * 0.064))) + (1 * 0.005);
        var tasks = (3 * (1 + (2.5 * 2))) + 1;
        Assert.Equal(seconds / tasks, AgentVecEnv.MeanTaskSeconds(c), 12);
    }

    [Fact]
    public void Item_EpisodeCosts_AreTheEpisodesSecondsAndJoulesOverOneScale()
    {
        // The demo's power table prices every model's local run at the same power, so item units are
        // plain seconds / T and joules / (T p): every model's second and joule weighs alike.
        var context = AgentContext.Demo();
        var t = AgentVecEnv.MeanTaskSeconds(context);
        var p = context.Power.BusyWatts - context.Power.IdleWatts;
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, seed: 3, autoReset: false, stepsPerEpisode: 120, rewardUnits: AgentRewardUnits.Item);
        var rng = new SimRandom(5);
        var models = new HashSet<int>();
        var done = false;
        while (!done)
        {
            models.Add(env.CurrentModel(0));
            done = env.Step(0, AgentVecEnvTests.RandomPresent(env, 0, ref rng), out _, out _);
        }

        var last = env.LastEpisode(0);
        Assert.Equal(3, models.Count);
        Assert.Equal(last.TotalDelaySeconds / t, last.DelayCost, 9);
        Assert.Equal(last.TotalEnergyJoules / (t * p), last.EnergyCost, 9);
        for (var m = 0; m < 3; m++)
        {
            Assert.Equal((t, t * p), env.Reference(0, m));
        }
    }

    [Fact]
    public void Item_PerTask_IsThePerModelCostTimesTrefOverT_SoEveryTaskRanksItsRowsAlike()
    {
        // Measured joules make the models' fp32 powers differ: energy is then priced at each model's own
        // power, which keeps every task's cost proportional to its per-model cost (the in-graph cost
        // features and one-step rankings do not change), only the weight between tasks does.
        var context = AgentContext.Demo();
        context.Models[0] = context.Models[0] with { JoulesFp32 = 0.4 };
        context.Models[2] = context.Models[2] with { ExecInt8 = 0.03, JoulesInt8 = 0.1 };
        var t = AgentVecEnv.MeanTaskSeconds(context);
        var model = new AgentVecEnv(AgentContextRange.Fixed(context), 1, seed: 8, autoReset: false, stepsPerEpisode: 60);
        var item = new AgentVecEnv(AgentContextRange.Fixed(context), 1, seed: 8, autoReset: false, stepsPerEpisode: 60, rewardUnits: AgentRewardUnits.Item);
        Assert.Equal(AgentRewardUnits.Item, ((AgentVecEnv)item.CreateLike(2, 1, autoReset: false)).RewardUnits);
        var rng = new SimRandom(2);
        var compared = 0;
        var done = false;
        while (!done)
        {
            var m = model.CurrentModel(0);
            Assert.Equal(m, item.CurrentModel(0));
            var scale = model.Reference(0, m).Seconds / t;
            for (var row = 0; row < model.MaxServers; row++)
            {
                if (!model.IsPresent(0, row))
                {
                    continue;
                }

                model.MarginalCost(0, row, out var dm, out var em);
                item.MarginalCost(0, row, out var di, out var ei);
                Assert.Equal(dm * scale, di, 9);
                Assert.Equal(em * scale, ei, 9);
                model.ExpectedMarginalCost(0, row, out dm, out em);
                item.ExpectedMarginalCost(0, row, out di, out ei);
                Assert.Equal(dm * scale, di, 9);
                Assert.Equal(em * scale, ei, 9);
                compared++;
            }

            var a = AgentVecEnvTests.RandomPresent(model, 0, ref rng);
            model.Step(0, a, out var delayModel, out var energyModel);
            done = item.Step(0, a, out var delayItem, out var energyItem);
            Assert.Equal(delayModel * scale, delayItem, 9);
            Assert.Equal(energyModel * scale, energyItem, 9);
        }

        Assert.True(compared > 120);
        Assert.NotEqual(model.Reference(0, 0).Seconds, item.Reference(0, 0).Seconds);
        // Detection's measured 0.4 J is worth 0.4 / 0.030 W; recognition's fp32 joules come from the power table.
        Assert.Equal(t * 0.4 / 0.030, item.Reference(0, 0).Joules, 9);
        Assert.Equal(t * (context.Power.BusyWatts - context.Power.IdleWatts), item.Reference(0, 2).Joules, 9);
    }

    [Fact]
    public void Constructor_UnknownUnits_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentVecEnv(AgentContextRange.Train, 1, 1, rewardUnits: (AgentRewardUnits)7));
}

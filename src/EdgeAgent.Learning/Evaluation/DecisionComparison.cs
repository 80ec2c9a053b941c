using System.Globalization;
using System.Text;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// A diagnostic: several deciders asked on the SAME states. One of them (the driver) plays the
/// episodes; at every decision every decider chooses, and the choices are tallied per model and row
/// with their agreement with the driver's. Shows where two policies differ on identical situations,
/// which episode-level fronts cannot (each method there reaches its own states). The agreement is also split by
/// what of the agent's own pages is pending at the decision: nothing, only later stages that follow requests still
/// in flight (the observation counts those requests), or stages ready now that are decided at the same instant
/// right after this one (a page's lines once its detection answered; the observation has no column for them).
/// </summary>
public static class DecisionComparison
{
    /// <summary>
    /// Plays <paramref name="episodes"/> episodes of <paramref name="prototype"/>'s contexts at each delay weight in
    /// <paramref name="weights"/> with <paramref name="deciders"/>[<paramref name="driver"/>] acting (episode k
    /// uses seed Mix(seed, k), as the front evaluation), asks every decider at every decision, and returns a
    /// Markdown report: per weight, the driver's mean episode delay and energy (the rewards' units) and, per
    /// decider, its share of each model's decisions on each row and how often it chose the driver's row.
    /// </summary>
    public static string Run(AgentVecEnv prototype, IReadOnlyList<ISimPolicy> deciders, int driver, IReadOnlyList<double> weights, int episodes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        ArgumentNullException.ThrowIfNull(deciders);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(driver);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(driver, deciders.Count);
        var d = deciders.Count;
        var rows = prototype.MaxServers;
        const int Models = AgentContext.MaxModels;
        var report = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        report.AppendLine(inv, $"# Decisions on the same states (driver: {deciders[driver].Name}; {episodes} episodes per weight, seed {seed})");
        report.AppendLine();
        report.AppendLine("Cells: the decider's share of the model's decisions per row (L0-L2: the device's variants, P0-P7: peers; rows never chosen left out), then in brackets the share that matches the driver's choice.");
        report.AppendLine();
        foreach (var w in weights)
        {
            var env = (AgentVecEnv)prototype.CreateLike(episodes, seed, autoReset: false);
            for (var i = 0; i < episodes; i++)
            {
                env.Reset(i, SimRandom.Mix(seed, (ulong)i));
                env.SetPreference(i, w);
            }

            foreach (var p in deciders)
            {
                p.Begin(env, w, SimRandom.Mix(seed, (ulong)BitConverter.DoubleToInt64Bits(w)));
            }

            var n = env.Count;
            var servers = new float[n * rows * env.FeatureCount];
            var mask = new float[n * rows];
            var pref = new float[n * 2];
            var actions = new int[d][];
            for (var k = 0; k < d; k++)
            {
                actions[k] = new int[n];
            }

            var rT = new float[n];
            var rE = new float[n];
            var done = new bool[n];
            var counts = new long[d, Models, rows];
            var agree = new long[d, Models];
            var total = new long[Models];
            // Split by what is pending for the agent's own pages: 0 nothing; 1 only stages that follow requests
            // still in flight (the observation counts those requests); 2 stages ready now, decided at this same
            // instant after this one (a page's lines after its detection; no column shows them).
            const int Splits = 3;
            var agreeSplit = new long[d, Models, Splits];
            var peerSplit = new long[d, Models, Splits];
            var totalSplit = new long[Models, Splits];
            var active = n;
            while (active > 0)
            {
                env.Observe(servers, mask, pref);
                for (var k = 0; k < d; k++)
                {
                    deciders[k].Act(env, servers, mask, pref, actions[k]);
                }

                for (var i = 0; i < n; i++)
                {
                    if (!env.HasTask(i))
                    {
                        continue;
                    }

                    var m = env.CurrentModel(i);
                    total[m]++;
                    var split = env.PendingReadyCount(i) > 0 ? 2 : env.PendingCount(i) > 0 ? 1 : 0;
                    totalSplit[m, split]++;
                    for (var k = 0; k < d; k++)
                    {
                        counts[k, m, actions[k][i]]++;
                        var same = actions[k][i] == actions[driver][i] ? 1 : 0;
                        agree[k, m] += same;
                        agreeSplit[k, m, split] += same;
                        peerSplit[k, m, split] += actions[k][i] >= LocalVariants.Count ? 1 : 0;
                    }
                }

                env.Step(actions[driver], rT, rE, done);
                active = 0;
                for (var i = 0; i < n; i++)
                {
                    active += env.IsDone(i) ? 0 : 1;
                }
            }

            double delay = 0, energy = 0;
            for (var i = 0; i < n; i++)
            {
                delay += env.LastEpisode(i).DelayCost;
                energy += env.LastEpisode(i).EnergyCost;
            }

            report.AppendLine(inv, $"## w_delay {w:0.###}: driver's episode delay {delay / n:0.00}, energy {energy / n:0.00}");
            report.AppendLine();
            var header = new StringBuilder("| decider |");
            var rule = new StringBuilder("|---|");
            for (var m = 0; m < Models; m++)
            {
                if (total[m] > 0)
                {
                    header.Append(inv, $" model {m} ({total[m]} decisions) |");
                    rule.Append("---|");
                }
            }

            report.AppendLine(header.ToString());
            report.AppendLine(rule.ToString());
            for (var k = 0; k < d; k++)
            {
                var line = new StringBuilder().Append(inv, $"| {deciders[k].Name} |");
                for (var m = 0; m < Models; m++)
                {
                    if (total[m] == 0)
                    {
                        continue;
                    }

                    line.Append(' ');
                    for (var s = 0; s < rows; s++)
                    {
                        if (counts[k, m, s] > 0)
                        {
                            var name = s < LocalVariants.Count ? $"L{s}" : $"P{s - LocalVariants.Count}";
                            line.Append(inv, $"{name} {(double)counts[k, m, s] / total[m]:0.00} ");
                        }
                    }

                    line.Append(inv, $"({(double)agree[k, m] / total[m]:0.00}) |");
                }

                report.AppendLine(line.ToString());
            }

            report.AppendLine();
            report.Append("By what is pending for the agent's own pages: nothing | only stages after requests in flight | stages ready now, decided right after this one. Each cell: agreement with the driver / share sent to a peer (decisions:");
            for (var m = 0; m < Models; m++)
            {
                if (total[m] > 0)
                {
                    report.Append(inv, $" model {m} {totalSplit[m, 0]} | {totalSplit[m, 1]} | {totalSplit[m, 2]};");
                }
            }

            report.AppendLine(")");
            report.AppendLine();
            for (var k = 0; k < d; k++)
            {
                var line = new StringBuilder().Append(inv, $"- {deciders[k].Name}:");
                for (var m = 0; m < Models; m++)
                {
                    if (total[m] == 0)
                    {
                        continue;
                    }

                    line.Append(inv, $" model {m}");
                    for (var c = 0; c < Splits; c++)
                    {
                        line.Append(inv, $" {(c > 0 ? "| " : "")}{Share(agreeSplit[k, m, c], totalSplit[m, c])}/{Share(peerSplit[k, m, c], totalSplit[m, c])}");
                    }

                    line.Append(';');
                }

                report.AppendLine(line.ToString());
            }

            report.AppendLine();
        }

        return report.ToString();
    }

    private static string Share(long part, long whole) => whole > 0 ? ((double)part / whole).ToString("0.00", CultureInfo.InvariantCulture) : "-";
}

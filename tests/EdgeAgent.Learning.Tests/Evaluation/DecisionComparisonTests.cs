using System.Globalization;
using System.Text.RegularExpressions;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed partial class DecisionComparisonTests
{
    [Fact]
    public void Run_SplitsAgreementByPendingOwnStages_CountsAddUpAndTheDriverAgreesWithItself()
    {
        var prototype = new AgentVecEnv(AgentContexts.Get("demo-fast-cloud").Range, 1, 5, autoReset: false);
        var deciders = new ISimPolicy[] { CorePolicyBaseline.Heuristic(), CorePolicyBaseline.AllLocal(), CorePolicyBaseline.Heuristic() };
        var report = DecisionComparison.Run(prototype, deciders, driver: 0, [0.67], episodes: 3, seed: 21);

        // Per model: the decisions split into 'none pending | pending' add up to the model's decisions in the table.
        var totals = Header().Matches(report).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        var split = Split().Matches(report).ToDictionary(m => m.Groups[1].Value, m => (None: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Pending: long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
        Assert.Equal(3, totals.Count); // det, cls, rec
        Assert.Equal(totals.Keys.Order(), split.Keys.Order());
        foreach (var (model, total) in totals)
        {
            Assert.Equal(total, split[model].None + split[model].Pending);
        }

        // Pipelines leave later stages pending at many decisions, and at others none.
        Assert.True(split.Values.Sum(x => x.Pending) > 0);
        Assert.True(split.Values.Sum(x => x.None) > 0);

        // The driver and a second instance of the same deterministic rule agree everywhere, in both parts.
        var heuristicLines = report.Split('\n').Where(l => l.StartsWith("- heuristic:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, heuristicLines.Length);
        foreach (var line in heuristicLines)
        {
            Assert.DoesNotMatch(@"\b0\.\d\d\b", line.Replace("1.00", "", StringComparison.Ordinal));
        }

        // All-local disagrees with the heuristic somewhere (the heuristic sends recognition to the cloud at 0.67).
        var local = report.Split('\n').Single(l => l.StartsWith("- all-local:", StringComparison.Ordinal));
        Assert.Matches(@"\b0\.\d\d\b", local);
    }

    [GeneratedRegex(@"\| model (\d) \((\d+) decisions\) ")]
    private static partial Regex Header();

    [GeneratedRegex(@" model (\d) (\d+) \| (\d+);")]
    private static partial Regex Split();
}

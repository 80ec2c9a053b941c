using System.Globalization;
using System.Text.RegularExpressions;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed partial class DecisionComparisonTests
{
    [Fact]
    public void Run_SplitsAgreementByWhatIsPending_CountsAddUpAndTheDriverAgreesWithItself()
    {
        var prototype = new AgentVecEnv(AgentContexts.Get("demo-fast-cloud").Range, 1, 5, autoReset: false);
        var deciders = new ISimPolicy[] { CorePolicyBaseline.Heuristic(), CorePolicyBaseline.AllLocal(), CorePolicyBaseline.Heuristic() };
        var report = DecisionComparison.Run(prototype, deciders, driver: 0, [0.67], episodes: 3, seed: 21);

        // Per model: the decisions split into 'nothing | only after requests in flight | ready now' add up to the model's decisions in the table.
        var totals = Header().Matches(report).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        var split = Split().Matches(report).ToDictionary(
            m => m.Groups[1].Value,
            m => (None: Count(m, 2), InFlight: Count(m, 3), ReadyNow: Count(m, 4)));
        Assert.Equal(3, totals.Count); // det, cls, rec
        Assert.Equal(totals.Keys.Order(), split.Keys.Order());
        foreach (var (model, total) in totals)
        {
            Assert.Equal(total, split[model].None + split[model].InFlight + split[model].ReadyNow);
        }

        // Pipelines leave later stages pending at many decisions, and at others none; with lines in parallel a
        // page's lines wait at the same instant after its detection (only the per-line stages can).
        Assert.True(split.Values.Sum(x => x.InFlight) > 0);
        Assert.True(split.Values.Sum(x => x.None) > 0);
        Assert.True(split.Values.Sum(x => x.ReadyNow) > 0);
        Assert.Equal(0, split["0"].ReadyNow);

        // The driver and a second instance of the same deterministic rule agree everywhere, in every part.
        var heuristicLines = report.Split('\n').Where(l => l.StartsWith("- heuristic:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, heuristicLines.Length);
        foreach (var line in heuristicLines)
        {
            Assert.All(Cell().Matches(line), c => Assert.True(c.Groups[1].Value is "1.00" or "-", line));
        }

        // All-local disagrees with the heuristic somewhere (the heuristic sends recognition to the cloud at 0.67) and sends nothing to a peer.
        var local = report.Split('\n').Single(l => l.StartsWith("- all-local:", StringComparison.Ordinal));
        Assert.Contains(Cell().Matches(local), c => c.Groups[1].Value is not "1.00" and not "-");
        Assert.All(Cell().Matches(local), c => Assert.True(c.Groups[2].Value is "0.00" or "-", local));
    }

    private static long Count(Match m, int group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\| model (\d) \((\d+) decisions\) ")]
    private static partial Regex Header();

    [GeneratedRegex(@" model (\d) (\d+) \| (\d+) \| (\d+);")]
    private static partial Regex Split();

    // One cell of a decider's split line: agreement with the driver / share sent to a peer ("-" when no decisions).
    [GeneratedRegex(@"(\d\.\d\d|-)/(\d\.\d\d|-)")]
    private static partial Regex Cell();
}

using System.Globalization;
using EdgeAgent.Core.Observation;

namespace EdgeAgent.Learning.Nn;

/// <summary>
/// The agent layout's cost features: per row, the scalarised cost the row's own estimates give in
/// the rewards' units, c = w_delay * d / t_ref + w_energy * e / e_ref, where d and e are the row's
/// delay and device-energy estimates (its <see cref="FeatureKind.OwnDelayEstimateLog"/> column in the
/// own-traffic layout, else <see cref="FeatureKind.DelayEstimateLog"/>, and its
/// <see cref="FeatureKind.OwnEnergyLog"/> column when the layout has one, else <see cref="FeatureKind.EnergyLog"/>) and t_ref, e_ref are the device's fp32 variant's
/// expected execution time and energy (the row with IsLocal 1 and IsQuantizedVariant 0: its
/// <see cref="FeatureKind.ExecLog"/> and <see cref="FeatureKind.EnergyLog"/>), the normalisation of
/// the agent simulator's rewards. Computed from the logarithms as
/// exp(ln 10 (log d - log t_ref)), so the 1e-4 s and 1e-6 J offsets of the layout's logarithms stay
/// in (negligible except for sub-millisecond times; the comparison between rows keeps its order).
/// Without a present fp32 row the references are 1 s and 1 J. From c it writes the same three
/// columns as <see cref="CostFeatures"/>: the gap to the cheapest present row ln(c / c_min - 1 + 1e-5),
/// the log delay share ln(w_delay d / t_ref / c + 1e-6) and 1 for the cheapest row.
/// </summary>
/// <remarks>
/// At w_delay = 0 the cheapest row is the one with the lowest estimated energy; the greedy end
/// (<see cref="ServerSetShape.GreedyBelow"/>) uses the gap to choose it there. The exported graph
/// does the same arithmetic (see PolicyExporter), so a policy file's inputs stay the observation layout.
/// </remarks>
/// <param name="DelayLogColumn">Column of log10(delay estimate s + 1e-4).</param>
/// <param name="EnergyLogColumn">Column of log10(energy estimate J + 1e-6).</param>
/// <param name="ExecLogColumn">Column of log10(expected execution s + 1e-4).</param>
/// <param name="IsLocalColumn">Column of the device-itself flag.</param>
/// <param name="IsQuantizedColumn">Column of the quantized-variant flag.</param>
public sealed record AgentCostFeatures(int DelayLogColumn, int EnergyLogColumn, int ExecLogColumn, int IsLocalColumn, int IsQuantizedColumn)
{
    /// <summary>ln 10 as the graph's float constant.</summary>
    public const float Ln10 = 2.30258509f;

    /// <summary>The cost features of observations in the agent <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">The layout lacks a column the estimate reads (named in the message).</exception>
    public static AgentCostFeatures For(FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        int Column(FeatureKind kind) => layout.IndexOf(kind) is var c and >= 0
            ? c
            : throw new ArgumentException($"The agent cost features need the {kind} column; the '{layout.Profile}' layout has none.");
        // The own-traffic layout's delay estimate when it has one (it counts the agent's own uploads and arriving jobs).
        var delay = layout.IndexOf(FeatureKind.OwnDelayEstimateLog) is var own and >= 0 ? own : Column(FeatureKind.DelayEstimateLog);
        // Likewise its energy estimate (the wait for the link behind the agent's uploads priced as radio, as the simulator and the Dispatcher do).
        var energy = layout.IndexOf(FeatureKind.OwnEnergyLog) is var ownEnergy and >= 0 ? ownEnergy : Column(FeatureKind.EnergyLog);
        var features = new AgentCostFeatures(delay, energy, Column(FeatureKind.ExecLog),
            Column(FeatureKind.IsLocal), Column(FeatureKind.IsQuantizedVariant));
        features.Validate(layout.FeatureCount);
        return features;
    }

    /// <summary>Checks the columns against a row of <paramref name="features"/> features.</summary>
    /// <exception cref="ArgumentException">A column lies outside the row (named in the message).</exception>
    public void Validate(int features)
    {
        foreach (var (name, column) in new[] { ("delay", DelayLogColumn), ("energy", EnergyLogColumn), ("exec", ExecLogColumn), ("local", IsLocalColumn), ("quantized", IsQuantizedColumn) })
        {
            if (column < 0 || column >= features)
            {
                throw new ArgumentException($"The agent cost features' {name} column {column} is outside a row of {features} features.");
            }
        }
    }

    /// <summary>
    /// Overwrites columns <paramref name="column"/> to <paramref name="column"/> + 2 of rows
    /// <paramref name="firstRow"/>..<paramref name="endRow"/> - 1 of <paramref name="input"/> (rows of
    /// <paramref name="width"/> values, the observation's features first; the present rows of one
    /// sample, whose preference is (<paramref name="delayWeight"/>, <paramref name="energyWeight"/>)).
    /// The arithmetic is the exported graph's, step for step: the references (sum over rows of
    /// (IsLocal - IsQuantized) * ln 10 * (exec log, energy log)), the normalised estimates
    /// exp(ln 10 * log - reference), c = clip(w_d d' + w_e e', 1e-12, 1e20), then as <see cref="CostFeatures.Write"/>.
    /// </summary>
    public void Write(Span<float> input, int width, int column, int firstRow, int endRow, float delayWeight, float energyWeight)
    {
        var refDelay = 0f;
        var refEnergy = 0f;
        for (var r = firstRow; r < endRow; r++)
        {
            var row = input.Slice(r * width, width);
            var select = row[IsLocalColumn] - row[IsQuantizedColumn];
            refDelay += select * (row[ExecLogColumn] * Ln10);
            refEnergy += select * (row[EnergyLogColumn] * Ln10);
        }

        var min = float.PositiveInfinity;
        for (var r = firstRow; r < endRow; r++)
        {
            var row = input.Slice(r * width, width);
            var delay = MathF.Exp((row[DelayLogColumn] * Ln10) - refDelay);
            var energy = MathF.Exp((row[EnergyLogColumn] * Ln10) - refEnergy);
            var delayCost = delay * delayWeight;
            var cost = Math.Clamp(delayCost + (energy * energyWeight), CostFeatures.Tiny, CostFeatures.Huge);
            row[column] = cost;
            row[column + 1] = delayCost;
            min = MathF.Min(min, cost);
        }

        for (var r = firstRow; r < endRow; r++)
        {
            var row = input.Slice(r * width, width);
            var cost = row[column];
            row[column] = MathF.Log((cost / min) + CostFeatures.GapShift);
            row[column + 1] = MathF.Log((row[column + 1] / cost) + CostFeatures.ShareOffset);
            row[column + 2] = cost == min ? 1f : 0f;
        }
    }

    /// <summary>One token without spaces for <see cref="ServerSetShape.Describe"/>.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"delay:{DelayLogColumn};energy:{EnergyLogColumn};exec:{ExecLogColumn};local:{IsLocalColumn};quantized:{IsQuantizedColumn}");

    /// <summary>Parses <see cref="Describe"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not such a description; the message names the part.</exception>
    public static AgentCostFeatures Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            var fields = part.Split(':');
            if (fields.Length != 2 || !parts.TryAdd(fields[0], fields[1]))
            {
                throw new FormatException($"The agent cost-feature description '{text}' has a malformed or repeated part '{part}'.");
            }
        }

        int Get(string key) => parts.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c)
            ? c
            : throw new FormatException($"The agent cost-feature description '{text}' lacks '{key}' or has it malformed.");
        return new AgentCostFeatures(Get("delay"), Get("energy"), Get("exec"), Get("local"), Get("quantized"));
    }
}

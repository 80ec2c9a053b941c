using System.Globalization;
using EdgeAgent.Core.Observation;

namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Per-row inputs a <see cref="ServerSetNetwork"/> derives from its own inputs (no weights): the
/// closed-form scalarised cost c = w_delay * alpha_T * d + w_energy * alpha_E * e of placing the task
/// on each server, where d = upload + (L + 2 * sum over histogram bins of count * min(bin middle, L)) *
/// cycles per bit / f (the processor-sharing delay the task suffers and adds, from the residual-work
/// histogram) and e = kappa * cycles per bit * f^2 * L + p_off * upload. From c it writes three columns:
/// the gap to the cheapest present server, ln(c / c_min - 1 + 1e-5), the log delay share of
/// the cost, ln(w_delay * alpha_T * d / c + 1e-6), and 1 for the cheapest server (c = c_min), else 0.
/// A ReLU network compares servers by products and ratios of several features only approximately;
/// near w_delay = 0 the servers differ by about 1 % of the energy (the upload), so that approximation
/// decides, and the gap column is exact there. The log share sets w_delay = 0 (share 0, column -13.8)
/// far apart from 0.01 (about -6): at exactly 0 the best choice is the cheapest server, at 0.01 the
/// rollout teacher already trades a third of those choices for less queueing, and a network
/// continuous in the raw weight blurs the two. The same arithmetic runs inside the exported ONNX
/// graph, so a policy file's inputs stay the observation layout.
/// </summary>
/// <param name="GhzColumn">Column of the server's compute speed in GHz.</param>
/// <param name="MbitColumn">Column of the task size in Mbit.</param>
/// <param name="UploadColumn">Column of the upload time in seconds.</param>
/// <param name="HistogramStart">Column of the first residual-work histogram bin.</param>
/// <param name="HistogramBins">Histogram bins (the last one open-ended; its middle is taken half a bin above its lower edge).</param>
/// <param name="HistogramBinMbit">Width of one bin in Mbit.</param>
/// <param name="CyclesPerBit">CPU cycles per bit of task (eta).</param>
/// <param name="Kappa">Effective switched capacitance kappa (energy = kappa * eta * f^2 per bit).</param>
/// <param name="OffloadPowerWatts">Transmit power p_off during the upload.</param>
/// <param name="DelayScale">alpha_T, the reward scale of delay (per second).</param>
/// <param name="EnergyScale">alpha_E, the reward scale of energy (per joule).</param>
public sealed record CostFeatures(int GhzColumn, int MbitColumn, int UploadColumn, int HistogramStart, int HistogramBins, double HistogramBinMbit,
    double CyclesPerBit, double Kappa, double OffloadPowerWatts, double DelayScale, double EnergyScale)
{
    /// <summary>Columns written per row: the cost gap, the log delay share and the cheapest-server flag.</summary>
    public const int Count = 3;

    /// <summary>Offset inside the gap's logarithm: relative gaps below it look alike.</summary>
    public const float GapOffset = 1e-5f;

    /// <summary>
    /// What the gap adds to q = c / c_min before the logarithm: 1e-5 - 1 in float, so the offset
    /// actually applied is 1 + GapShift = 1.0014e-5 (one add instead of subtracting 1 and adding 1e-5).
    /// </summary>
    public const float GapShift = GapOffset - 1f;

    /// <summary>Offset inside the delay share's logarithm.</summary>
    public const float ShareOffset = 1e-6f;

    /// <summary>Smallest cost c used (guards the gap's and the delay share's divisions; valid rows cost more).</summary>
    public const float Tiny = 1e-12f;

    /// <summary>Largest cost c used: the exported graph clips absent rows' costs (infinity) to it, so their features stay finite.</summary>
    public const float Huge = 1e20f;

    /// <summary>Smallest compute speed used, GHz (guards the division).</summary>
    public const float MinGhz = 1e-6f;

    /// <summary>Seconds of execution per (Mbit / GHz): cycles per bit * 1e6 / 1e9.</summary>
    public float SecondsPerMbitPerGhz => (float)(CyclesPerBit * 1e-3);

    /// <summary>Execution energy in J per (GHz^2 * Mbit): kappa * cycles per bit * 1e18 * 1e6.</summary>
    public float JoulesPerGhz2Mbit => (float)(Kappa * CyclesPerBit * 1e24);

    /// <summary>Twice the middle of every histogram bin in Mbit (the graph compares them with 2 L, which gives 2 min(middle, L)).</summary>
    public float[] DoubledBinMiddles() => [.. Enumerable.Range(0, HistogramBins).Select(DoubledBinMiddle)];

    private float DoubledBinMiddle(int bin) => (float)(((2 * bin) + 1) * HistogramBinMbit);

    /// <summary>
    /// The cost features of observations in <paramref name="layout"/> for a system with the given
    /// constants (the simulator profile's).
    /// </summary>
    /// <exception cref="ArgumentException">The layout lacks a column the estimate reads, or has a
    /// device-itself (IsLocal) column, whose energy the estimate's formula does not model.</exception>
    public static CostFeatures For(FeatureLayout layout, double cyclesPerBit, double kappa, double offloadPowerWatts, double delayScale, double energyScale)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.IndexOf(FeatureKind.IsLocal) >= 0)
        {
            throw new ArgumentException($"Cost features model servers reached over a link; the '{layout.Profile}' layout has the device itself (IsLocal), whose energy they do not model.");
        }

        int Column(FeatureKind kind) => layout.IndexOf(kind) is var c and >= 0
            ? c
            : throw new ArgumentException($"Cost features need the {kind} column; the '{layout.Profile}' layout has none.");
        if (layout.HistogramBins == 0)
        {
            throw new ArgumentException($"Cost features need the residual-work histogram; the '{layout.Profile}' layout has none.");
        }

        var features = new CostFeatures(Column(FeatureKind.ComputeGhz), Column(FeatureKind.TaskMbit), Column(FeatureKind.UploadSeconds),
            layout.Scalars.Count, layout.HistogramBins, layout.HistogramBinBits * 1e-6, cyclesPerBit, kappa, offloadPowerWatts, delayScale, energyScale);
        features.Validate(layout.FeatureCount);
        return features;
    }

    /// <summary>Checks the columns against a row of <paramref name="features"/> features.</summary>
    /// <exception cref="ArgumentException">A column lies outside the row or a constant is not positive and finite (named in the message).</exception>
    public void Validate(int features)
    {
        foreach (var (name, column) in new[] { ("ghz", GhzColumn), ("mbit", MbitColumn), ("upload", UploadColumn) })
        {
            if (column < 0 || column >= features)
            {
                throw new ArgumentException($"The cost features' {name} column {column} is outside a row of {features} features.");
            }
        }

        if (HistogramBins < 1 || HistogramStart < 0 || HistogramStart + HistogramBins > features)
        {
            throw new ArgumentException($"The cost features' histogram (columns {HistogramStart}..{HistogramStart + HistogramBins - 1}) is outside a row of {features} features.");
        }

        if (!(Kappa >= 0 && double.IsFinite(Kappa)))
        {
            throw new ArgumentException($"The cost features' kappa must be zero or positive and finite; got {Kappa}.");
        }

        foreach (var (name, value) in new[] { ("bin width", HistogramBinMbit), ("cycles per bit", CyclesPerBit), ("offload power", OffloadPowerWatts), ("alpha_T", DelayScale), ("alpha_E", EnergyScale) })
        {
            if (!(value > 0 && double.IsFinite(value)))
            {
                throw new ArgumentException($"The cost features' {name} must be positive and finite; got {value}.");
            }
        }
    }

    /// <summary>Terms per row the cost is a weighted sum of: upload (s), (L + 2 work) / f, f^2 L.</summary>
    public const int Terms = 3;

    /// <summary>
    /// The [<see cref="Terms"/>, 2] matrix (row-major) that turns a row's terms (upload, (L + 2 work) / f,
    /// f^2 L) into its scaled delay alpha_T d and scaled energy alpha_E e. The cost is then
    /// w_delay * alpha_T d + w_energy * alpha_E e; the graph multiplies the terms by this matrix (one
    /// MatMul) and the result by the preference (one Mul), where the arithmetic is a dozen element-wise nodes.
    /// </summary>
    public float[] TermCoefficients()
    {
        var coefficients = new float[2 * Terms];
        WriteTermCoefficients(coefficients);
        return coefficients;
    }

    private void WriteTermCoefficients(Span<float> destination)
    {
        var t = (float)DelayScale;
        var e = (float)EnergyScale;
        ReadOnlySpan<float> values =
        [
            t, e * (float)OffloadPowerWatts,
            t * SecondsPerMbitPerGhz, 0,
            0, e * JoulesPerGhz2Mbit,
        ];
        values.CopyTo(destination);
    }

    /// <summary>The powers of the (clamped) compute speed f that multiply the row's (upload, L + 2 work, L): 1, 1 / f, f^2.</summary>
    public static ReadOnlySpan<float> SpeedPowers => [0f, -1f, 2f];

    /// <summary>
    /// Overwrites columns <paramref name="column"/> to <paramref name="column"/> + 2 of rows
    /// <paramref name="firstRow"/>..<paramref name="endRow"/> - 1 of <paramref name="input"/> (rows of
    /// <paramref name="width"/> values, the observation's features first): the rows are the present
    /// servers of one sample, whose preference is (<paramref name="delayWeight"/>, <paramref name="energyWeight"/>).
    /// The arithmetic is the exported graph's, step for step (the graph's matrix products may sum in
    /// another order): terms (upload, (L + 2 work) * f^-1, L * f^2), scaled delay and energy by
    /// <see cref="TermCoefficients"/>, weighted by the preference, c = clip(sum, 1e-12, 1e20), the gap's
    /// ratio q = c / c_min with ln(q + (1e-5 - 1)), the share ln(w_delay alpha_T d / c + 1e-6).
    /// </summary>
    public void Write(Span<float> input, int width, int column, int firstRow, int endRow, float delayWeight, float energyWeight)
    {
        Span<float> k = stackalloc float[2 * Terms];
        WriteTermCoefficients(k);
        var min = float.PositiveInfinity;
        for (var r = firstRow; r < endRow; r++)
        {
            var row = input.Slice(r * width, width);
            var upload = row[UploadColumn];
            var mbit = row[MbitColumn];
            var f = MathF.Max(row[GhzColumn], MinGhz);
            var doubledMbit = mbit * 2f;
            var doubledWork = 0f;
            for (var b = 0; b < HistogramBins; b++)
            {
                doubledWork += row[HistogramStart + b] * MathF.Min(DoubledBinMiddle(b), doubledMbit);
            }

            var service = (mbit + doubledWork) * MathF.Pow(f, SpeedPowers[1]);
            var execution = mbit * MathF.Pow(f, SpeedPowers[2]);
            var delay = (upload * k[0]) + (service * k[2]) + (execution * k[4]);
            var energy = (upload * k[1]) + (service * k[3]) + (execution * k[5]);
            var delayCost = delayWeight * delay;
            var cost = Math.Clamp(delayCost + (energyWeight * energy), Tiny, Huge);
            row[column] = cost;
            row[column + 1] = delayCost;
            min = MathF.Min(min, cost);
        }

        for (var r = firstRow; r < endRow; r++)
        {
            var row = input.Slice(r * width, width);
            var cost = row[column];
            row[column] = MathF.Log((cost / min) + GapShift);
            row[column + 1] = MathF.Log((row[column + 1] / cost) + ShareOffset);
            row[column + 2] = cost == min ? 1f : 0f;
        }
    }

    /// <summary>One token without spaces for <see cref="ServerSetShape.Describe"/>.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"ghz:{GhzColumn};mbit:{MbitColumn};upload:{UploadColumn};hist:{HistogramStart}:{HistogramBins}:{HistogramBinMbit:R};cycles:{CyclesPerBit:R};kappa:{Kappa:R};p_off:{OffloadPowerWatts:R};alpha_t:{DelayScale:R};alpha_e:{EnergyScale:R}");

    /// <summary>Parses <see cref="Describe"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not such a description; the message names the part.</exception>
    public static CostFeatures Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            var fields = part.Split(':');
            if (!parts.TryAdd(fields[0], fields[1..]))
            {
                throw new FormatException($"The cost-feature description '{text}' names '{fields[0]}' twice.");
            }
        }

        string[] Get(string key, int count) => parts.TryGetValue(key, out var v) && v.Length == count
            ? v
            : throw new FormatException($"The cost-feature description '{text}' lacks '{key}' or has it malformed.");
        int Int(string value) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"'{value}' in '{text}' is not an integer.");
        double Real(string value) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"'{value}' in '{text}' is not a number.");
        var hist = Get("hist", 3);
        return new CostFeatures(Int(Get("ghz", 1)[0]), Int(Get("mbit", 1)[0]), Int(Get("upload", 1)[0]), Int(hist[0]), Int(hist[1]), Real(hist[2]),
            Real(Get("cycles", 1)[0]), Real(Get("kappa", 1)[0]), Real(Get("p_off", 1)[0]), Real(Get("alpha_t", 1)[0]), Real(Get("alpha_e", 1)[0]));
    }
}

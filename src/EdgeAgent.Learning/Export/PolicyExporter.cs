using System.Globalization;
using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Learning.Export;

/// <summary>
/// Writes an actor <see cref="ServerSetNetwork"/> as an ONNX policy file (opset 17, standard
/// operators only: MatMul, Sum, Add, LeakyRelu, ReduceSum, ReduceMax, Max, Div, Unsqueeze, Squeeze,
/// Transpose, and Greater, Cast, Log and Clip for the masks; Concat and Log for the log preference
/// encoding; Split, Min, Mul, Pow, Sub, Clip, ReduceMin, Equal, Cast, Concat and Log for
/// <see cref="CostFeatures"/>; Split, Mul, Transpose, MatMul, Sub and Exp before the same tail for
/// <see cref="AgentCostFeatures"/>; MatMul, Clip, Sub and Mul for <see cref="ServerSetShape.GreedyBelow"/>). Inputs `servers` float[batch, S, F], `mask`
/// float[batch, S] (1 present, 0 absent), `preference` float[batch, 2] (w_delay, w_energy);
/// output `logits` float[batch, S], -infinity for absent servers. Batch and S are symbolic, so the
/// file runs for any number of servers up to the layout's S. metadata_props carry the
/// observation layout (<see cref="FeatureLayout.ToMetadata"/>) and the keys below.
/// </summary>
public static class PolicyExporter
{
    /// <summary>Metadata key: policy file format version.</summary>
    public const string FormatKey = "edgeagent.policy.format";

    /// <summary>Metadata key: the network description (<see cref="ServerSetShape.Describe"/>).</summary>
    public const string ArchitectureKey = "edgeagent.policy.architecture";

    /// <summary>Metadata key: what absent servers' logits are.</summary>
    public const string AbsentLogitKey = "edgeagent.policy.absent_logit";

    /// <summary>Metadata key: how to turn logits into a decision.</summary>
    public const string DecisionKey = "edgeagent.policy.decision";

    /// <summary>Name of the observation input [batch, S, F].</summary>
    public const string ServersInput = "servers";

    /// <summary>Name of the mask input [batch, S].</summary>
    public const string MaskInput = "mask";

    /// <summary>Name of the preference input [batch, 2].</summary>
    public const string PreferenceInput = "preference";

    /// <summary>Name of the output [batch, S].</summary>
    public const string LogitsOutput = "logits";

    /// <summary>Builds the ONNX model of <paramref name="actor"/> for observations in <paramref name="layout"/>.</summary>
    /// <param name="actor">The trained actor.</param>
    /// <param name="layout">The layout the actor was trained on (its F must match the actor's).</param>
    /// <param name="extraMetadata">More metadata_props (training command, seed, ...).</param>
    /// <exception cref="ArgumentException">The layout's F differs from the actor's.</exception>
    public static ModelProto Build(ServerSetNetwork actor, FeatureLayout layout, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(layout);
        var shape = actor.Shape;
        if (shape.Features != layout.FeatureCount)
        {
            throw new ArgumentException($"The actor reads {shape.Features} features per server but the layout has {layout.FeatureCount}.", nameof(layout));
        }

        var f = shape.Features;
        var h = shape.Hidden;
        var g = new GraphBuilder("edgeagent_policy")
            .Opset(17)
            .DocString("EdgeAgent offloading policy: one logit per server; choose the present server with the largest logit.")
            .Input(ServersInput, DataType.Float, "batch", "S", f)
            .Input(MaskInput, DataType.Float, "batch", "S")
            .Input(PreferenceInput, DataType.Float, "batch", 2)
            .Output(LogitsOutput, DataType.Float, "batch", "S");

        g.Initializer("axes_1", [1L], 1).Initializer("axes_2", [2L], 1)
            .Initializer("half", [0.5f]).Initializer("zero", [0f]);

        // A decision through ONNX Runtime costs 0.3 to 1.2 us per node here, mostly fixed overhead, so
        // the graph is built for few and cheap nodes. Every hidden row carries one more column fixed at
        // 1 (A = H + 1 wide): each layer's bias is a row of its weight matrix, so a layer is one MatMul
        // without an Add. LeakyRelu keeps the 1 and a residual delta's last column is 0.
        var wide = h + 1;
        var win = actor.Input.Weight.Value;
        var p = shape.PreferenceColumns;
        var preferenceRows = "preference3";

        // Presence as float rows [batch, S, 1], its logarithm (0 present, -infinity absent) and that
        // clipped to (0, -1e9). Adding them masks: ONNX Runtime's Where costs about 1.2 us a node here,
        // an Add about 0.3.
        g.Initializer("empty_max", [MaskedPooling.EmptyMax]).Initializer("one", [1f])
            .Node("Unsqueeze", [MaskInput, "axes_2"], ["mask3"])
            .Node("Greater", ["mask3", "half"], ["present3"])
            .Node("Cast", ["present3"], ["present3_f"], a => a.Int("to", (long)DataType.Float))
            .Node("Log", ["present3_f"], ["absent_penalty"])
            .Node("Clip", ["absent_penalty", "empty_max", "zero"], ["absent_penalty_finite"])
            .Node("Unsqueeze", [PreferenceInput, "axes_1"], ["preference3"]);
        if (shape.Preference == PreferenceEncoding.Log)
        {
            // [w, ln(w + 0.01)] for both weights, as ServerSetShape.EncodePreference computes it.
            g.Initializer("preference_offset", [ServerSetShape.LogPreferenceOffset])
                .Node("Add", ["preference3", "preference_offset"], ["preference_shifted"])
                .Node("Log", ["preference_shifted"], ["preference_log"])
                .Node("Concat", ["preference3", "preference_log"], ["preference_encoded"], a => a.Int("axis", 2));
            preferenceRows = "preference_encoded";
        }

        // Input layer: [x, w, c] W + b = x W_x + c W_c + w W_w + b, summed by one Sum node, so the
        // preference ([batch, 1, P]) is never tiled. One MatMul projects the rows for the layer and
        // picks the columns the cost features read (upload, L, L, f, 2 L).
        var rowWeights = Augment(win.AsSpan(0, f * h), f, h, null);
        var cost = shape.Cost;
        var agentCost = shape.AgentCost;
        var projectionWidth = wide + ProjectionExtraColumns(shape);
        var projection = new float[f * projectionWidth];
        for (var r = 0; r < f; r++)
        {
            rowWeights.AsSpan(r * wide, wide).CopyTo(projection.AsSpan(r * projectionWidth));
        }

        if (cost is not null)
        {
            projection[(cost.UploadColumn * projectionWidth) + wide] = 1;
            projection[(cost.MbitColumn * projectionWidth) + wide + 1] = 1;
            projection[(cost.MbitColumn * projectionWidth) + wide + 2] = 1;
            projection[(cost.GhzColumn * projectionWidth) + wide + 3] = 1;
            projection[(cost.MbitColumn * projectionWidth) + wide + 4] = 2;
        }

        if (agentCost is not null)
        {
            // ln 10 times (delay log, energy log), ln 10 times (exec log, energy log) for the fp32 row's
            // references, and IsLocal - IsQuantized (1 on the fp32 row only).
            projection[(agentCost.DelayLogColumn * projectionWidth) + wide] = AgentCostFeatures.Ln10;
            projection[(agentCost.EnergyLogColumn * projectionWidth) + wide + 1] = AgentCostFeatures.Ln10;
            projection[(agentCost.ExecLogColumn * projectionWidth) + wide + 2] = AgentCostFeatures.Ln10;
            projection[(agentCost.EnergyLogColumn * projectionWidth) + wide + 3] = AgentCostFeatures.Ln10;
            projection[(agentCost.IsLocalColumn * projectionWidth) + wide + 4] = 1;
            projection[(agentCost.IsQuantizedColumn * projectionWidth) + wide + 4] = -1;
        }

        g.Initializer("encoder.in.weight_rows", projection, f, projectionWidth)
            .Node("MatMul", [ServersInput, "encoder.in.weight_rows"], ["row_projection"])
            .Initializer("encoder.in.weight_preference", Augment(win.AsSpan(f * h, p * h), p, h, null), p, wide)
            .Initializer("encoder.in.bias", [.. actor.Input.Bias!.Value, 1f], wide)
            .Node("MatMul", [preferenceRows, "encoder.in.weight_preference"], ["enc_w3"]);
        string[] inputTerms = ["row_projection", "enc_w3", "encoder.in.bias"];
        string? logs = null;
        if (cost is not null)
        {
            g.Initializer("cost.split", [(long)wide, 3L, 1L, 1L], 4)
                .Node("Split", ["row_projection", "cost.split"], ["enc_x", "cost.upload_l_l", "cost.ghz", "cost.mbit2"], a => a.Int("axis", 2));
            logs = CostGraph(g, cost, f);
        }
        else if (agentCost is not null)
        {
            g.Initializer("cost.split", [(long)wide, 2L, 2L, 1L], 4)
                .Node("Split", ["row_projection", "cost.split"], ["enc_x", "cost.estimate_logs", "cost.reference_logs", "cost.reference_select"], a => a.Int("axis", 2));
            logs = AgentCostGraph(g);
        }

        if (logs is not null)
        {
            // The graph's logarithms are (gap, delay share, energy share, ln(1 + cheapest)); the network
            // reads the gap, the delay share and the flag (ln 2 for the cheapest server, hence the division).
            var costWeights = win.AsSpan((f + p) * h, CostFeatures.Count * h);
            var flagWeights = costWeights[(2 * h)..].ToArray();
            for (var j = 0; j < h; j++)
            {
                flagWeights[j] /= MathF.Log(2f);
            }

            g.Initializer("encoder.in.weight_cost", [.. Augment(costWeights[..(2 * h)], 2, h, null), .. new float[wide], .. Augment(flagWeights, 1, h, null)], CostFeatures.Count + 1, wide)
                .Node("MatMul", [logs, "encoder.in.weight_cost"], ["enc_c"]);
            inputTerms = ["enc_x", "enc_w3", "encoder.in.bias", "enc_c"];
        }

        g.Node("Sum", inputTerms, ["enc_pre"])
            .Node("LeakyRelu", ["enc_pre"], ["enc_0"], a => a.Float("alpha", shape.Slope));
        var current = "enc_0";
        for (var i = 0; i < actor.EncoderBlocks.Count; i++)
        {
            current = Block(g, actor.EncoderBlocks[i], current, $"encoder.block{i}");
        }

        // Mean over present rows as a MatMul of the presence row [batch, 1, S] with the rows, divided by
        // their count (at least 1); max over present rows after adding -1e9 to absent rows. Absent rows
        // hold finite values (the layout's -1 features give finite cost features, see CostGraph), so
        // the MatMul's zero weights cancel them and every row stays finite; a sample without present
        // rows gets finite logits here and -infinity in every one at the end.
        var head = actor.HeadContext.Weight.Value;
        g.Node("Transpose", ["present3_f"], ["present_row_f"], a => a.Ints("perm", 0, 2, 1))
            .Node("ReduceSum", ["present_row_f", "axes_2"], ["pool_count_raw"], a => a.Int("keepdims", 1))
            .Node("Max", ["pool_count_raw", "one"], ["pool_count"])
            .Node("MatMul", ["present_row_f", current], ["pool_sum"])
            .Node("Div", ["pool_sum", "pool_count"], ["pool_mean"])
            .Node("Add", [current, "absent_penalty_finite"], ["masked_max_in"])
            .Node("ReduceMax", ["masked_max_in"], ["pool_max"], a => a.Ints("axes", 1).Int("keepdims", 1))
            .Node("Concat", ["pool_mean", "pool_max"], ["context"], a => a.Int("axis", 2))
            .Initializer("head.context.weight",
                [.. Augment(head.AsSpan(0, h * h), h, h, actor.HeadRow.Bias!.Value), .. Augment(head.AsSpan(h * h, h * h), h, h, new float[h], lastColumnOfBiasRow: 0f)], 2 * wide, wide)
            .Node("MatMul", ["context", "head.context.weight"], ["context_h"])
            .Initializer("head.row.weight", Augment(actor.HeadRow.Weight.Value, h, h, new float[h], lastColumnOfBiasRow: 0f), wide, wide)
            .Node("MatMul", [current, "head.row.weight"], ["head_row"])
            .Node("Add", ["head_row", "context_h"], ["head_pre"])
            .Node("LeakyRelu", ["head_pre"], ["head_0"], a => a.Float("alpha", shape.Slope));
        current = "head_0";
        for (var i = 0; i < actor.HeadBlocks.Count - 1; i++)
        {
            current = Block(g, actor.HeadBlocks[i], current, $"head.block{i}");
        }

        // ServerSetShape.GreedyBelow: g * network + (g - 1) * gap with g = clip(w_delay / GreedyBelow, 0, 1).
        // The rest of the head is positively homogeneous in its input rows (LeakyRelu, and biases in
        // the rows' constant-1 column), so scaling its input by g scales the network's output by g.
        var outputTerms = new List<string> { "out_mm" };
        if (shape.GreedyBelow > 0)
        {
            g.Initializer("greedy.gate_weight", [1f / shape.GreedyBelow, 0f], 2, 1)
                .Initializer("greedy.gap_select", [1f, 0f, 0f, 0f], 4, 1)
                .Node("MatMul", ["preference3", "greedy.gate_weight"], ["greedy.gate_raw"])
                .Node("Clip", ["greedy.gate_raw", "zero", "one"], ["greedy.gate"])
                .Node("Sub", ["greedy.gate", "one"], ["greedy.gate_minus_one"])
                .Node("MatMul", [logs!, "greedy.gap_select"], ["greedy.gap"])
                .Node("Mul", ["greedy.gap", "greedy.gate_minus_one"], ["greedy.gap_term"])
                .Node("Mul", [current, "greedy.gate"], ["head_gated"]);
            current = "head_gated";
            outputTerms.Add("greedy.gap_term");
        }

        // The output weights as [A, 1] and a Squeeze: ONNX Runtime takes about 2 us longer for a vector
        // as MatMul's second operand. The last head block feeds only the output, so (x + h W2') w_out is
        // computed as x w_out + h (W2' w_out): an [A, 1] product instead of the block's [A, A] one.
        float[] output = [.. actor.Output.Weight.Value, actor.Output.Bias!.Value[0]];
        g.Initializer("head.out.weight", output, wide, 1)
            .Node("MatMul", [current, "head.out.weight"], ["out_mm"]);
        if (actor.HeadBlocks.Count > 0)
        {
            var last = actor.HeadBlocks[^1];
            var name = $"head.block{actor.HeadBlocks.Count - 1}";
            var second = Augment(last.Second.Weight.Value, h, h, last.Second.Bias!.Value, lastColumnOfBiasRow: 0f);
            var folded = new float[wide];
            for (var r = 0; r < wide; r++)
            {
                var sum = 0.0;
                for (var c = 0; c < wide; c++)
                {
                    sum += (double)second[(r * wide) + c] * output[c];
                }

                folded[r] = (float)sum;
            }

            g.Initializer(last.First.Weight.Name, Augment(last.First.Weight.Value, h, h, last.First.Bias!.Value), wide, wide)
                .Initializer(name + ".out_weight", folded, wide, 1)
                .Node("MatMul", [current, last.First.Weight.Name], [name + "_mm0"])
                .Node("LeakyRelu", [name + "_mm0"], [name + "_hidden"], a => a.Float("alpha", last.Slope))
                .Node("MatMul", [name + "_hidden", name + ".out_weight"], [name + "_out_delta"]);
            outputTerms.Add(name + "_out_delta");
        }

        outputTerms.Add("absent_penalty");
        g.Node("Sum", [.. outputTerms], ["logits3"])
            .Node("Squeeze", ["logits3", "axes_2"], [LogitsOutput]);

        foreach (var (key, value) in layout.ToMetadata())
        {
            g.Metadata(key, value);
        }

        g.Metadata(FormatKey, "1")
            .Metadata(ArchitectureKey, shape.Describe())
            .Metadata(AbsentLogitKey, "-inf")
            .Metadata(DecisionKey, "argmax of logits over present servers (mask 1); softmax of logits gives the training policy");
        if (extraMetadata is not null)
        {
            foreach (var (key, value) in extraMetadata)
            {
                g.Metadata(key, value);
            }
        }

        return g.Build();
    }

    /// <summary>Builds and writes the policy file.</summary>
    public static void Save(ServerSetNetwork actor, FeatureLayout layout, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var model = Build(actor, layout, extraMetadata);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        OnnxModelFile.Save(model, full);
    }

    /// <summary>Columns the input projection has beyond the input layer's (the cost features' inputs): 5 with either kind, else 0.</summary>
    public static int ProjectionExtraColumns(ServerSetShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Cost is null && shape.AgentCost is null ? 0 : 5;
    }

    /// <summary>Number of weights in the exported actor and the bytes they take as float32.</summary>
    public static string SizeSummary(ServerSetNetwork actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var count = actor.ParameterCount;
        return string.Create(CultureInfo.InvariantCulture, $"{count} weights ({count * 4 / 1024.0:0.0} KiB)");
    }

    /// <summary>
    /// A [rows, columns] weight matrix widened by one column and optionally one row for the hidden
    /// rows' constant-1 column: the new column is 0 (or, in the bias row, <paramref name="lastColumnOfBiasRow"/>),
    /// the new last row is <paramref name="bias"/> (none when null).
    /// </summary>
    private static float[] Augment(ReadOnlySpan<float> weight, int rowCount, int columns, float[]? bias, float lastColumnOfBiasRow = 1f)
    {
        var width = columns + 1;
        var result = new float[(rowCount + (bias is null ? 0 : 1)) * width];
        for (var r = 0; r < rowCount; r++)
        {
            weight.Slice(r * columns, columns).CopyTo(result.AsSpan(r * width, columns));
        }

        if (bias is not null)
        {
            bias.CopyTo(result.AsSpan(rowCount * width, columns));
            result[^1] = lastColumnOfBiasRow;
        }

        return result;
    }

    /// <summary>
    /// The nodes computing <see cref="CostFeatures.Write"/>'s arithmetic for every row from the
    /// projection's (upload, L, L), f and 2 L columns. Returns the name of [batch, S, 4]: ln of (gap
    /// ratio + shift, delay share + 1e-6, energy share + 1e-6, 1 + cheapest flag). Absent rows (the
    /// layout's -1 features) give finite values: their cost is clipped to <see cref="CostFeatures.Huge"/>.
    /// </summary>
    private static string CostGraph(GraphBuilder g, CostFeatures cost, int features)
    {
        // min(2 middle, 2 L) over the whole row (0 outside the histogram), times the row, summed by a
        // MatMul into the middle of three columns: (0, 2 work, 0), added to (upload, L, L).
        var middles = new float[features];
        cost.DoubledBinMiddles().CopyTo(middles.AsSpan(cost.HistogramStart));
        var sum = new float[features * 3];
        for (var b = 0; b < cost.HistogramBins; b++)
        {
            sum[((cost.HistogramStart + b) * 3) + 1] = 1;
        }

        g.Initializer("cost.min_ghz", [CostFeatures.MinGhz])
            .Initializer("cost.doubled_middles", middles, features)
            .Initializer("cost.sum_work", sum, features, 3)
            .Initializer("cost.speed_powers", CostFeatures.SpeedPowers.ToArray(), CostFeatures.Terms)
            .Initializer("cost.term_coefficients", cost.TermCoefficients(), CostFeatures.Terms, 2)
            .Node("Max", ["cost.ghz", "cost.min_ghz"], ["cost.f"])
            .Node("Min", ["cost.doubled_middles", "cost.mbit2"], ["cost.capped2"])
            .Node("Mul", [ServersInput, "cost.capped2"], ["cost.binned_work2"])
            .Node("MatMul", ["cost.binned_work2", "cost.sum_work"], ["cost.work2"])
            .Node("Add", ["cost.upload_l_l", "cost.work2"], ["cost.numerators"])
            .Node("Pow", ["cost.f", "cost.speed_powers"], ["cost.powers"])
            .Node("Mul", ["cost.numerators", "cost.powers"], ["cost.terms"])
            .Node("MatMul", ["cost.terms", "cost.term_coefficients"], ["cost.delay_energy"]);
        return CostTail(g);
    }

    /// <summary>
    /// The nodes computing <see cref="AgentCostFeatures.Write"/>'s arithmetic from the projection's
    /// ln 10 * (delay log, energy log), ln 10 * (exec log, energy log) and IsLocal - IsQuantized columns:
    /// the fp32 row's references by a MatMul of the present rows' selection with the reference
    /// columns, the normalised estimates by Sub and Exp, then as the closed-form features.
    /// </summary>
    private static string AgentCostGraph(GraphBuilder g)
    {
        g.Node("Mul", ["cost.reference_select", "present3_f"], ["cost.select_present"])
            .Node("Transpose", ["cost.select_present"], ["cost.select_row"], a => a.Ints("perm", 0, 2, 1))
            .Node("MatMul", ["cost.select_row", "cost.reference_logs"], ["cost.references"])
            .Node("Sub", ["cost.estimate_logs", "cost.references"], ["cost.normalised_logs"])
            .Node("Exp", ["cost.normalised_logs"], ["cost.delay_energy"]);
        return CostTail(g);
    }

    /// <summary>From [batch, S, 2] (scaled delay, scaled energy) per row to the four logarithms both kinds of cost features write.</summary>
    private static string CostTail(GraphBuilder g)
    {
        g.Initializer("cost.ones2", [1f, 1f], 2, 1)
            .Initializer("cost.tiny", [CostFeatures.Tiny])
            .Initializer("cost.huge", [CostFeatures.Huge])
            .Initializer("cost.offsets", [CostFeatures.GapShift, CostFeatures.ShareOffset, CostFeatures.ShareOffset, 1f], 4)
            .Node("Mul", ["cost.delay_energy", "preference3"], ["cost.weighted"])
            .Node("MatMul", ["cost.weighted", "cost.ones2"], ["cost.sum"])
            .Node("Sub", ["cost.sum", "absent_penalty"], ["cost.c_present"])
            .Node("Clip", ["cost.c_present", "cost.tiny", "cost.huge"], ["cost.c"])
            .Node("ReduceMin", ["cost.c"], ["cost.c_min"], a => a.Ints("axes", 1).Int("keepdims", 1))
            .Node("Div", ["cost.c", "cost.c_min"], ["cost.gap_ratio"])
            .Node("Div", ["cost.weighted", "cost.c"], ["cost.shares"])
            .Node("Equal", ["cost.c", "cost.c_min"], ["cost.is_min"])
            .Node("Cast", ["cost.is_min"], ["cost.cheapest"], a => a.Int("to", (long)DataType.Float))
            .Node("Concat", ["cost.gap_ratio", "cost.shares", "cost.cheapest"], ["cost.ratios"], a => a.Int("axis", 2))
            .Node("Add", ["cost.ratios", "cost.offsets"], ["cost.ratios_offset"])
            .Node("Log", ["cost.ratios_offset"], ["cost.logs"]);
        return "cost.logs";
    }

    /// <summary>A residual block on rows with the constant-1 column: x + LeakyRelu(x W1') W2', biases in the weights' last rows.</summary>
    private static string Block(GraphBuilder g, ResidualBlock block, string input, string name)
    {
        var w = block.Width;
        g.Initializer(block.First.Weight.Name, Augment(block.First.Weight.Value, w, w, block.First.Bias!.Value), w + 1, w + 1)
            .Initializer(block.Second.Weight.Name, Augment(block.Second.Weight.Value, w, w, block.Second.Bias!.Value, lastColumnOfBiasRow: 0f), w + 1, w + 1)
            .Node("MatMul", [input, block.First.Weight.Name], [name + "_mm0"])
            .Node("LeakyRelu", [name + "_mm0"], [name + "_hidden"], a => a.Float("alpha", block.Slope))
            .Node("MatMul", [name + "_hidden", block.Second.Weight.Name], [name + "_delta"])
            .Node("Add", [input, name + "_delta"], [name + "_out"]);
        return name + "_out";
    }
}

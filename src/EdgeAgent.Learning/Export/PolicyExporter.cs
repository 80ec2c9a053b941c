using System.Globalization;
using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Learning.Export;

/// <summary>
/// Writes an actor <see cref="ServerSetNetwork"/> as an ONNX policy file (opset 17, standard
/// operators only: MatMul, Gemm, Add, LeakyRelu, Mul, ReduceSum, ReduceMax, Max, Div, Concat,
/// Unsqueeze, Squeeze, Greater, Where, Cast; Log for the log preference encoding; Split, Slice, Min,
/// Reshape, Sub, ReduceMin and Equal for <see cref="CostFeatures"/>). Inputs `servers` float[batch, S, F], `mask`
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
            .Initializer("half", [0.5f]).Initializer("one", [1f]).Initializer("zero", [0f])
            .Initializer("empty_max", [MaskedPooling.EmptyMax]).Initializer("absent_logit", [float.NegativeInfinity]);

        // Input layer: [x, w, c] W + b = [x, c] W_xc + (w W_w + b), so the preference is never tiled.
        // A decision costs about 0.4 us per node, so biases ride in Gemm where rows are 2-D.
        var win = actor.Input.Weight.Value;
        var p = shape.PreferenceColumns;
        var wx = win.AsSpan(0, f * h).ToArray();
        var ww = win.AsSpan(f * h, p * h).ToArray();
        var encodedPreference = PreferenceInput;
        if (shape.Preference == PreferenceEncoding.Log)
        {
            // [w, ln(w + 0.01)] for both weights, as ServerSetShape.EncodePreference computes it.
            g.Initializer("preference_offset", [ServerSetShape.LogPreferenceOffset])
                .Node("Add", [PreferenceInput, "preference_offset"], ["preference_shifted"])
                .Node("Log", ["preference_shifted"], ["preference_log"])
                .Node("Concat", [PreferenceInput, "preference_log"], ["preference_encoded"], a => a.Int("axis", 1));
            encodedPreference = "preference_encoded";
        }

        g.Node("Greater", [MaskInput, "half"], ["present"])
            .Node("Unsqueeze", ["present", "axes_2"], ["present3"])
            .Initializer("encoder.in.weight_preference", ww, p, h)
            .Initializer("encoder.in.bias", actor.Input.Bias!.Value, h)
            .Node("Gemm", [encodedPreference, "encoder.in.weight_preference", "encoder.in.bias"], ["enc_w"])
            .Node("Unsqueeze", ["enc_w", "axes_1"], ["enc_w3"]);
        var rows = ServersInput;
        var rowWeights = wx;
        var rowWidth = f;
        if (shape.Cost is { } cost)
        {
            // Absent rows' cost features may be NaN; nothing below reads absent rows without a Where.
            g.Node("Concat", [ServersInput, CostGraph(g, cost, f)], ["rows"], a => a.Int("axis", 2));
            rows = "rows";
            rowWeights = [.. wx, .. win.AsSpan((f + p) * h, CostFeatures.Count * h)];
            rowWidth = f + CostFeatures.Count;
        }

        g.Initializer("encoder.in.weight_rows", rowWeights, rowWidth, h)
            .Node("MatMul", [rows, "encoder.in.weight_rows"], ["enc_x"])
            .Node("Add", ["enc_x", "enc_w3"], ["enc_pre"])
            .Node("LeakyRelu", ["enc_pre"], ["enc_0"], a => a.Float("alpha", shape.Slope));
        var current = "enc_0";
        for (var i = 0; i < actor.EncoderBlocks.Count; i++)
        {
            current = Block(g, actor.EncoderBlocks[i], current, $"encoder.block{i}");
        }

        // Mean and max over present rows.
        g.Node("Cast", ["present3"], ["presentf3"], a => a.Int("to", (long)DataType.Float))
            .Node("Where", ["present3", current, "zero"], ["masked_sum_in"])
            .Node("ReduceSum", ["masked_sum_in", "axes_1"], ["pool_sum"], a => a.Int("keepdims", 0))
            .Node("ReduceSum", ["presentf3", "axes_1"], ["pool_count_raw"], a => a.Int("keepdims", 0))
            .Node("Max", ["pool_count_raw", "one"], ["pool_count"])
            .Node("Div", ["pool_sum", "pool_count"], ["pool_mean"])
            .Node("Where", ["present3", current, "empty_max"], ["masked_max_in"])
            .Node("ReduceMax", ["masked_max_in"], ["pool_max"], a => a.Ints("axes", 1).Int("keepdims", 0))
            .Node("Concat", ["pool_mean", "pool_max"], ["context"], a => a.Int("axis", 1))
            .Initializer("head.context.weight", actor.HeadContext.Weight.Value, 2 * h, h)
            .Initializer("head.row.bias", actor.HeadRow.Bias!.Value, h)
            .Node("Gemm", ["context", "head.context.weight", "head.row.bias"], ["context_h"])
            .Node("Unsqueeze", ["context_h", "axes_1"], ["context_h3"])
            .Initializer("head.row.weight", actor.HeadRow.Weight.Value, h, h)
            .Node("MatMul", [current, "head.row.weight"], ["head_row"])
            .Node("Add", ["head_row", "context_h3"], ["head_pre"])
            .Node("LeakyRelu", ["head_pre"], ["head_0"], a => a.Float("alpha", shape.Slope));
        current = "head_0";
        for (var i = 0; i < actor.HeadBlocks.Count; i++)
        {
            current = Block(g, actor.HeadBlocks[i], current, $"head.block{i}");
        }

        g.Initializer("head.out.weight", actor.Output.Weight.Value, h, 1)
            .Initializer("head.out.bias", actor.Output.Bias!.Value, 1)
            .Node("MatMul", [current, "head.out.weight"], ["out_mm"])
            .Node("Add", ["out_mm", "head.out.bias"], ["out_b"])
            .Node("Squeeze", ["out_b", "axes_2"], ["raw_logits"])
            .Node("Where", ["present", "raw_logits", "absent_logit"], [LogitsOutput]);

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

    /// <summary>Number of weights in the exported actor and the bytes they take as float32.</summary>
    public static string SizeSummary(ServerSetNetwork actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var count = actor.ParameterCount;
        return string.Create(CultureInfo.InvariantCulture, $"{count} weights ({count * 4 / 1024.0:0.0} KiB)");
    }

    /// <summary>
    /// The nodes computing <see cref="CostFeatures.Write"/> for every row: [batch, S, 3]; absent rows'
    /// values are meaningless (their -1 features may give NaN). Returns the output's name.
    /// </summary>
    private static string CostGraph(GraphBuilder g, CostFeatures cost, int features)
    {
        // One MatMul picks (upload, L, f, 2L) out of every row.
        var pick = new float[features * 4];
        pick[(cost.UploadColumn * 4) + 0] = 1;
        pick[(cost.MbitColumn * 4) + 1] = 1;
        pick[(cost.GhzColumn * 4) + 2] = 1;
        pick[(cost.MbitColumn * 4) + 3] = 2;
        g.Initializer("cost.pick", pick, features, 4)
            .Initializer("cost.ones4", [1L, 1L, 1L, 1L], 4)
            .Initializer("cost.hist_start", [(long)cost.HistogramStart], 1)
            .Initializer("cost.hist_end", [(long)(cost.HistogramStart + cost.HistogramBins)], 1)
            .Initializer("cost.doubled_middles", cost.DoubledBinMiddles(), cost.HistogramBins)
            .Initializer("cost.min_ghz", [CostFeatures.MinGhz])
            .Initializer("cost.preference_coefficients", cost.PreferenceCoefficients(), 2, 2 * CostFeatures.Terms)
            .Initializer("cost.coefficient_shape", [-1L, CostFeatures.Terms, 2], 3)
            .Initializer("cost.ones2", [1L, 1L], 2)
            .Initializer("cost.tiny", [CostFeatures.Tiny])
            .Initializer("cost.offsets", [CostFeatures.GapOffset, CostFeatures.ShareOffset], 2)
            .Initializer("cost.infinity", [float.PositiveInfinity])
            .Node("MatMul", [ServersInput, "cost.pick"], ["cost.picked"])
            .Node("Split", ["cost.picked", "cost.ones4"], ["cost.upload", "cost.mbit", "cost.ghz", "cost.mbit2"], a => a.Int("axis", 2))
            .Node("Max", ["cost.ghz", "cost.min_ghz"], ["cost.f"])
            .Node("Slice", [ServersInput, "cost.hist_start", "cost.hist_end", "axes_2"], ["cost.hist"])
            .Node("Min", ["cost.doubled_middles", "cost.mbit2"], ["cost.capped2"])
            .Node("Mul", ["cost.hist", "cost.capped2"], ["cost.binned_work2"])
            .Node("ReduceSum", ["cost.binned_work2", "axes_2"], ["cost.work2"], a => a.Int("keepdims", 1))
            .Node("Add", ["cost.mbit", "cost.work2"], ["cost.service_mbit"])
            .Node("Div", ["cost.service_mbit", "cost.f"], ["cost.service"])
            .Node("Mul", ["cost.f", "cost.f"], ["cost.f2"])
            .Node("Mul", ["cost.f2", "cost.mbit"], ["cost.execution"])
            .Node("Concat", ["cost.upload", "cost.service", "cost.execution"], ["cost.terms"], a => a.Int("axis", 2))
            .Node("MatMul", [PreferenceInput, "cost.preference_coefficients"], ["cost.coefficients_flat"])
            .Node("Reshape", ["cost.coefficients_flat", "cost.coefficient_shape"], ["cost.coefficients"])
            .Node("MatMul", ["cost.terms", "cost.coefficients"], ["cost.costs"])
            .Node("Split", ["cost.costs", "cost.ones2"], ["cost.c", "cost.delay_cost"], a => a.Int("axis", 2))
            .Node("Where", ["present3", "cost.c", "cost.infinity"], ["cost.c_present"])
            .Node("ReduceMin", ["cost.c_present"], ["cost.c_min"], a => a.Ints("axes", 1).Int("keepdims", 1))
            .Node("Sub", ["cost.c", "cost.c_min"], ["cost.excess"])
            .Node("Max", ["cost.c_min", "cost.tiny"], ["cost.denominator"])
            .Node("Div", ["cost.excess", "cost.denominator"], ["cost.relative"])
            .Node("Max", ["cost.c", "cost.tiny"], ["cost.c_safe"])
            .Node("Div", ["cost.delay_cost", "cost.c_safe"], ["cost.delay_share"])
            .Node("Concat", ["cost.relative", "cost.delay_share"], ["cost.ratios"], a => a.Int("axis", 2))
            .Node("Add", ["cost.ratios", "cost.offsets"], ["cost.ratios_offset"])
            .Node("Log", ["cost.ratios_offset"], ["cost.logs"])
            .Node("Equal", ["cost.c", "cost.c_min"], ["cost.is_min"])
            .Node("Cast", ["cost.is_min"], ["cost.cheapest"], a => a.Int("to", (long)DataType.Float))
            .Node("Concat", ["cost.logs", "cost.cheapest"], ["cost.features"], a => a.Int("axis", 2));
        return "cost.features";
    }

    private static string Block(GraphBuilder g, ResidualBlock block, string input, string name)
    {
        g.Initializer(block.First.Weight.Name, block.First.Weight.Value, block.Width, block.Width)
            .Initializer(block.First.Bias!.Name, block.First.Bias.Value, block.Width)
            .Initializer(block.Second.Weight.Name, block.Second.Weight.Value, block.Width, block.Width)
            .Initializer(block.Second.Bias!.Name, block.Second.Bias.Value, block.Width)
            .Node("MatMul", [input, block.First.Weight.Name], [name + "_mm0"])
            .Node("Add", [name + "_mm0", block.First.Bias.Name], [name + "_pre"])
            .Node("LeakyRelu", [name + "_pre"], [name + "_hidden"], a => a.Float("alpha", block.Slope))
            .Node("MatMul", [name + "_hidden", block.Second.Weight.Name], [name + "_mm1"])
            .Node("Add", [name + "_mm1", block.Second.Bias.Name], [name + "_delta"])
            .Node("Add", [input, name + "_delta"], [name + "_out"]);
        return name + "_out";
    }
}

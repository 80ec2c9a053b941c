using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.Learning.Export;

/// <summary>
/// Reads the actor back from a policy file <see cref="PolicyExporter"/> wrote: the inverse of its
/// weight layout (biases as the last rows of the widened matrices, the last head block's second
/// matrix folded into the output weights). The folded block is unfolded into a rank-one second
/// matrix along the output weights, which computes the same logits (the block feeds only the
/// output), so the read network decides as the file does (within float rounding). Used to continue
/// training from a committed policy file (`edgeagent train --resume FILE.onnx`: the actor only).
/// </summary>
public static class PolicyImporter
{
    /// <summary>The observation layout <paramref name="path"/> records (its <c>edgeagent.layout.*</c> metadata).</summary>
    /// <exception cref="InvalidDataException">Not a readable ONNX file, or no valid layout; the message says which.</exception>
    public static FeatureLayout ReadLayout(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            var model = OnnxModelFile.Load(path);
            return FeatureLayout.FromMetadata(model.MetadataProps.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is OnnxFormatException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads the actor of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a policy file written by this build's exporter; the message names what is missing or malformed.</exception>
    public static ServerSetNetwork ReadActor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ModelProto model;
        try
        {
            model = OnnxModelFile.Load(path);
        }
        catch (OnnxFormatException e)
        {
            throw new InvalidDataException($"{path}: not a readable ONNX file: {e.Message}", e);
        }

        var description = model.MetadataProps.FirstOrDefault(p => p.Key == PolicyExporter.ArchitectureKey)?.Value
            ?? throw new InvalidDataException($"{path}: the file records no '{PolicyExporter.ArchitectureKey}': it is not a policy file written by edgeagent train.");
        ServerSetShape shape;
        try
        {
            shape = ServerSetShape.Parse(description);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in model.Graph.Initializer)
        {
            initializers[t.Name] = t;
        }

        float[] Get(string name, int length)
        {
            if (!initializers.TryGetValue(name, out var tensor))
            {
                throw new InvalidDataException($"{path}: the policy graph lacks the initializer '{name}'.");
            }

            var values = OnnxTensors.ToFloats(tensor);
            return values.Length == length
                ? values
                : throw new InvalidDataException($"{path}: the initializer '{name}' holds {values.Length} values; the architecture '{description}' needs {length}.");
        }

        var net = new ServerSetNetwork(shape, new Random(0));
        var f = shape.Features;
        var h = shape.Hidden;
        var wide = h + 1;
        var p = shape.PreferenceColumns;
        var projectionWidth = wide + PolicyExporter.ProjectionExtraColumns(shape);
        var rows = Get("encoder.in.weight_rows", f * projectionWidth);
        var input = net.Input.Weight.Value;
        for (var r = 0; r < f; r++)
        {
            rows.AsSpan(r * projectionWidth, h).CopyTo(input.AsSpan(r * h, h));
        }

        var preference = Get("encoder.in.weight_preference", p * wide);
        for (var r = 0; r < p; r++)
        {
            preference.AsSpan(r * wide, h).CopyTo(input.AsSpan((f + r) * h, h));
        }

        if (shape.CostColumns > 0)
        {
            // Rows (gap, share, 0, flag / ln 2): see PolicyExporter.
            var cost = Get("encoder.in.weight_cost", (CostFeatures.Count + 1) * wide);
            var at = (f + p) * h;
            cost.AsSpan(0, h).CopyTo(input.AsSpan(at, h));
            cost.AsSpan(wide, h).CopyTo(input.AsSpan(at + h, h));
            for (var j = 0; j < h; j++)
            {
                input[at + (2 * h) + j] = cost[(3 * wide) + j] * MathF.Log(2f);
            }
        }

        Get("encoder.in.bias", wide).AsSpan(0, h).CopyTo(net.Input.Bias!.Value);
        foreach (var block in net.EncoderBlocks)
        {
            ReadLinear(Get(block.First.Weight.Name, wide * wide), block.First, h);
            ReadLinear(Get(block.Second.Weight.Name, wide * wide), block.Second, h);
        }

        var context = Get("head.context.weight", 2 * wide * wide);
        var headContext = net.HeadContext.Weight.Value;
        for (var r = 0; r < h; r++)
        {
            context.AsSpan(r * wide, h).CopyTo(headContext.AsSpan(r * h, h));
            context.AsSpan((wide + r) * wide, h).CopyTo(headContext.AsSpan((h + r) * h, h));
        }

        context.AsSpan(h * wide, h).CopyTo(net.HeadRow.Bias!.Value);
        var headRow = Get("head.row.weight", wide * wide);
        for (var r = 0; r < h; r++)
        {
            headRow.AsSpan(r * wide, h).CopyTo(net.HeadRow.Weight.Value.AsSpan(r * h, h));
        }

        var output = Get("head.out.weight", wide);
        output.AsSpan(0, h).CopyTo(net.Output.Weight.Value);
        net.Output.Bias!.Value[0] = output[h];
        for (var i = 0; i < net.HeadBlocks.Count - 1; i++)
        {
            ReadLinear(Get(net.HeadBlocks[i].First.Weight.Name, wide * wide), net.HeadBlocks[i].First, h);
            ReadLinear(Get(net.HeadBlocks[i].Second.Weight.Name, wide * wide), net.HeadBlocks[i].Second, h);
        }

        if (net.HeadBlocks.Count > 0)
        {
            // The exporter wrote folded[r] = sum_c W2[r, c] w_out[c] (r < h) and folded[h] = sum_c b2[c] w_out[c];
            // W2[r, :] = folded[r] w_out / |w_out|^2 (and b2 likewise) gives back exactly those products.
            var last = net.HeadBlocks[^1];
            var name = $"head.block{net.HeadBlocks.Count - 1}";
            ReadLinear(Get(last.First.Weight.Name, wide * wide), last.First, h);
            var folded = Get(name + ".out_weight", wide);
            var wOut = net.Output.Weight.Value;
            var norm2 = 0.0;
            for (var c = 0; c < h; c++)
            {
                norm2 += (double)wOut[c] * wOut[c];
            }

            var second = last.Second.Weight.Value;
            var bias = last.Second.Bias!.Value;
            for (var r = 0; r <= h; r++)
            {
                var scale = norm2 > 0 ? folded[r] / norm2 : 0.0;
                for (var c = 0; c < h; c++)
                {
                    var value = (float)(scale * wOut[c]);
                    if (r < h)
                    {
                        second[(r * h) + c] = value;
                    }
                    else
                    {
                        bias[c] = value;
                    }
                }
            }
        }

        return net;
    }

    // A layer written as [h + 1, h + 1] with its bias as the last row (the last column is the constant-1 column's).
    private static void ReadLinear(float[] augmented, Linear layer, int h)
    {
        var wide = h + 1;
        for (var r = 0; r < h; r++)
        {
            augmented.AsSpan(r * wide, h).CopyTo(layer.Weight.Value.AsSpan(r * h, h));
        }

        augmented.AsSpan(h * wide, h).CopyTo(layer.Bias!.Value);
    }
}

using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.TestModels;

/// <summary>
/// Policy files for tests: an untrained network exported by the project's exporter, and a linear
/// cost policy built node by node whose choice is known in advance.
/// </summary>
public static class PolicyFiles
{
    /// <summary>An untrained actor (seeded) exported with <paramref name="layout"/>.</summary>
    public static string Untrained(string path, FeatureLayout layout, int seed = 1, int hidden = 8)
    {
        var actor = new ServerSetNetwork(new ServerSetShape(layout.FeatureCount, Hidden: hidden), new Random(seed));
        PolicyExporter.Save(actor, layout, path);
        return path;
    }

    /// <summary>
    /// A policy choosing the row of least w_delay * delay + w_energy * energy, where delay and energy
    /// are linear in the row's scalar features: delay = sum delay[kind] * x[kind], energy likewise.
    /// Kinds the layout lacks are an error (the test would not test what it says).
    /// </summary>
    public static string LinearCost(string path, FeatureLayout layout, IReadOnlyDictionary<FeatureKind, float> delay, IReadOnlyDictionary<FeatureKind, float> energy)
    {
        var f = layout.FeatureCount;
        var weights = new float[f * 2];
        foreach (var (kinds, column) in new[] { (delay, 0), (energy, 1) })
        {
            foreach (var (kind, weight) in kinds)
            {
                var index = layout.IndexOf(kind);
                if (index < 0)
                {
                    throw new ArgumentException($"The layout has no {kind} column.", nameof(layout));
                }

                weights[(index * 2) + column] = weight;
            }
        }

        var g = new GraphBuilder("linear_cost_policy")
            .Opset(17)
            .Input("servers", DataType.Float, "batch", "S", f)
            .Input("mask", DataType.Float, "batch", "S")
            .Input("preference", DataType.Float, "batch", 2)
            .Output("logits", DataType.Float, "batch", "S")
            .Initializer("w", weights, f, 2)
            .Initializer("axes_1", [1L], 1)
            .Initializer("axes_2", [2L], 1)
            .Initializer("one", [1f])
            .Initializer("big", [1e9f])
            .Node("MatMul", ["servers", "w"], ["costs"])
            .Node("Unsqueeze", ["preference", "axes_1"], ["preference3"])
            .Node("Mul", ["costs", "preference3"], ["weighted"])
            .Node("ReduceSum", ["weighted", "axes_2"], ["cost"], a => a.Int("keepdims", 0))
            .Node("Neg", ["cost"], ["score"])
            .Node("Sub", ["mask", "one"], ["absent"])
            .Node("Mul", ["absent", "big"], ["penalty"])
            .Node("Add", ["score", "penalty"], ["logits"]);
        foreach (var (key, value) in layout.ToMetadata())
        {
            g.Metadata(key, value);
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        OnnxModelFile.Save(g.Build(), full);
        return full;
    }

    /// <summary>A policy that always prefers local rows (<see cref="FeatureKind.IsLocal"/> = 1), at every preference.</summary>
    public static string PreferLocal(string path, FeatureLayout layout) =>
        LinearCost(path, layout, new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = -1 }, new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = -1 });

    /// <summary>A policy that always prefers peers (rows with <see cref="FeatureKind.IsLocal"/> = 0), at every preference.</summary>
    public static string PreferPeer(string path, FeatureLayout layout) =>
        LinearCost(path, layout, new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = 1 }, new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = 1 });
}

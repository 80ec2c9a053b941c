using EdgeAgent.Core.Observation;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Policy;

/// <summary>
/// An ONNX Runtime session over a policy file (inputs `servers` [batch, S, F], `mask` [batch, S],
/// `preference` [batch, 2]; output `logits` [batch, S]), with its observation layout read from
/// metadata_props and checked against the layout the caller produces.
/// </summary>
public sealed class OnnxPolicySession : IDisposable
{
    /// <summary>Input and output names of the policy contract.</summary>
    public static readonly string[] InputNames = ["servers", "mask", "preference"];

    /// <summary>The output name.</summary>
    public static readonly string[] OutputNames = ["logits"];

    private OnnxPolicySession(InferenceSession session, FeatureLayout layout, string path, IReadOnlyDictionary<string, string> metadata)
    {
        Session = session;
        Layout = layout;
        Path = path;
        Metadata = metadata;
    }

    /// <summary>The ORT session.</summary>
    public InferenceSession Session { get; }

    /// <summary>The layout recorded in the file (equal to the expected one).</summary>
    public FeatureLayout Layout { get; }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>All metadata_props of the file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens <paramref name="path"/> with full graph optimisation and checks its contract and layout.
    /// </summary>
    /// <param name="path">The policy file.</param>
    /// <param name="expected">The layout this process's encoder produces; null accepts the file's own layout.</param>
    /// <param name="options">Threads and spinning.</param>
    /// <exception cref="PolicyFileException">Missing, unreadable, wrong inputs or outputs, or another layout; the message says which.</exception>
    public static OnnxPolicySession Open(string path, FeatureLayout? expected, OnnxPolicyOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxPolicyOptions();
        if (!File.Exists(path))
        {
            throw new PolicyFileException($"Policy file '{path}' does not exist.");
        }

        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, so);
        }
        catch (OnnxRuntimeException e)
        {
            throw new PolicyFileException($"Policy file '{path}' could not be loaded by ONNX Runtime: {e.Message}", e);
        }

        try
        {
            foreach (var name in InputNames)
            {
                if (!session.InputMetadata.TryGetValue(name, out var meta) || meta.ElementType != typeof(float))
                {
                    throw new PolicyFileException($"Policy file '{path}' has no float input '{name}'; a policy takes servers [batch, S, F], mask [batch, S] and preference [batch, 2].");
                }
            }

            if (!session.OutputMetadata.TryGetValue(OutputNames[0], out var output) || output.ElementType != typeof(float))
            {
                throw new PolicyFileException($"Policy file '{path}' has no float output 'logits'.");
            }

            var metadata = session.ModelMetadata.CustomMetadataMap;
            FeatureLayout layout;
            try
            {
                layout = FeatureLayout.FromMetadata(metadata.AsReadOnly());
            }
            catch (FormatException e)
            {
                throw new PolicyFileException($"Policy file '{path}' does not describe its observation layout: {e.Message}", e);
            }

            if (expected is not null)
            {
                try
                {
                    expected.EnsureCompatible(layout);
                }
                catch (InvalidOperationException e)
                {
                    throw new PolicyFileException($"Policy file '{path}' was trained on another observation layout and is refused. {e.Message}", e);
                }
            }

            var features = session.InputMetadata["servers"].Dimensions;
            if (features.Length != 3 || (features[2] > 0 && features[2] != layout.FeatureCount))
            {
                throw new PolicyFileException($"Policy file '{path}': input 'servers' has shape [{string.Join(',', features)}], expected [batch, S, {layout.FeatureCount}].");
            }

            return new OnnxPolicySession(session, layout, path, metadata.AsReadOnly());
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}

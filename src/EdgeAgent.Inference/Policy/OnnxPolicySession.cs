using EdgeAgent.Core.Observation;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;
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

    private readonly byte[] _modelBytes;
    private readonly OnnxPolicyOptions _options;

    private OnnxPolicySession(InferenceSession session, FeatureLayout layout, string path, IReadOnlyDictionary<string, string> metadata, byte[] modelBytes, OnnxPolicyOptions options)
    {
        Session = session;
        Layout = layout;
        Path = path;
        Metadata = metadata;
        _modelBytes = modelBytes;
        _options = options;
    }

    /// <summary>The ORT session.</summary>
    public InferenceSession Session { get; }

    /// <summary>The layout recorded in the file (the expected one, or one whose every feature the expected one also has: <see cref="FeatureLayout.EnsureProducible"/>).</summary>
    public FeatureLayout Layout { get; }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>All metadata_props of the file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens <paramref name="path"/> with full graph optimisation and checks its contract and layout.
    /// The file is read once; the session and any <see cref="OpenPresentRowsSession"/> are built from
    /// those bytes, so a file replaced meanwhile never mixes two versions.
    /// </summary>
    /// <param name="path">The policy file.</param>
    /// <param name="expected">The layout this process's encoder produces; a file whose layout asks for a feature it lacks is refused (an older layout of a subset of its features is accepted and encoded as the file records it); null accepts the file's own layout.</param>
    /// <param name="options">Threads and spinning.</param>
    /// <exception cref="PolicyFileException">Missing, unreadable, wrong inputs or outputs, or another layout; the message says which.</exception>
    public static OnnxPolicySession Open(string path, FeatureLayout? expected, OnnxPolicyOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxPolicyOptions();
        if (Directory.Exists(path))
        {
            throw new PolicyFileException($"Policy file '{path}' is a directory; give the policy's .onnx file.");
        }

        if (!File.Exists(path))
        {
            throw new PolicyFileException($"Policy file '{path}' does not exist.");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException($"Policy file '{path}' cannot be read: {e.Message}", e);
        }

        using var so = CreateSessionOptions(options);
        InferenceSession session;
        try
        {
            session = new InferenceSession(bytes, so);
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
                    expected.EnsureProducible(layout);
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

            CheckWeightsFinite(path, bytes);
            return new OnnxPolicySession(session, layout, path, metadata.AsReadOnly(), bytes, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a file with a NaN or infinite weight (a float, float16 or bfloat16 initializer or Constant): ONNX Runtime
    /// loads it, and its logits are NaN, which compare false with everything, so the agent would
    /// silently choose the first present candidate on every request. A damaged file or a training
    /// run that diverged; the message names the tensor and the element.
    /// </summary>
    /// <exception cref="PolicyFileException">A float weight is not finite.</exception>
    internal static void CheckWeightsFinite(string path, byte[] bytes)
    {
        ModelProto model;
        try
        {
            model = OnnxModelFile.Parse(bytes, path, checkVersions: false);
        }
        catch (OnnxFormatException)
        {
            // ONNX Runtime has loaded it; what our reader cannot follow it does not judge.
            return;
        }

        var tensors = model.Graph.Initializer.Concat(model.Graph.Node
            .Where(n => n.OpType == "Constant")
            .SelectMany(n => n.Attribute)
            .Where(a => a.T is not null)
            .Select(a => a.T));
        foreach (var tensor in tensors)
        {
            // Float weights, and half-precision ones (widened exactly, NaN and infinities kept).
            if (tensor.DataType is not ((int)DataType.Float or (int)DataType.Float16 or (int)DataType.Bfloat16))
            {
                continue;
            }

            float[] values;
            try
            {
                values = OnnxTensors.ToFloats(tensor);
            }
            catch (OnnxFormatException)
            {
                continue;
            }

            for (var i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw new PolicyFileException(
                        $"Policy file '{path}': weight '{tensor.Name}' holds {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {i} of {values.Length}; the file is damaged or its training diverged, and it would decide nothing sensible.");
                }
            }
        }
    }

    /// <summary>
    /// A second session of the same file specialised to one observation of <paramref name="rows"/>
    /// rows, all present: the `mask` input becomes a constant of ones [1, rows] and batch and S become
    /// 1 and <paramref name="rows"/>, so ONNX Runtime folds the masking nodes (presence, its
    /// logarithm, the pooling count: 57 -> 47 nodes for the agent policy) when it loads the graph;
    /// the nodes that folding leaves multiplying by ones or adding zeros are then removed
    /// (<see cref="RemoveIdentityNodes"/>: 47 -> 44 nodes), kept only when the session's logits
    /// are bit for bit those of the graph with them.
    /// Inputs `servers` [1, rows, F] and `preference` [1, 2], output `logits` [1, rows]; the logits
    /// are those of <see cref="Session"/> with a mask of ones. Null when this graph cannot be
    /// specialised (no symbolic batch and S, or ONNX Runtime refuses the result): the caller then
    /// runs <see cref="Session"/> with a mask of ones.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not 1..S.</exception>
    public InferenceSession? OpenPresentRowsSession(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Layout.MaxServers);
        byte[] specialised;
        try
        {
            var model = OnnxModelFile.Parse(_modelBytes, Path, checkVersions: false);
            if (!SpecialiseToPresentRows(model.Graph, rows))
            {
                return null;
            }

            specialised = OnnxModelFile.ToBytes(model);
        }
        catch (OnnxFormatException)
        {
            return null;
        }

        InferenceSession session;
        using (var so = CreateSessionOptions(_options))
        {
            try
            {
                session = new InferenceSession(specialised, so);
            }
            catch (OnnxRuntimeException)
            {
                return null;
            }
        }

        // The constant mask leaves nodes that multiply by ones or add zeros: without them ONNX
        // Runtime has fewer kernels to run. Kept only if its logits are those of the session above,
        // bit for bit.
        var stripped = OpenWithoutIdentities(specialised);
        if (stripped is not null && SameLogits(session, stripped, rows))
        {
            session.Dispose();
            return stripped;
        }

        stripped?.Dispose();
        return session;
    }

    /// <summary>
    /// Removes the nodes of <paramref name="graph"/> that pass a value through unchanged: x * 1 and
    /// x + 0, x - 0 (against an initializer of only ones or zeros, either side of Mul and Add), and
    /// zero terms of a Sum (a Sum left with one term goes too). A node whose output is a graph
    /// output stays. x * 1 = x, x + 0 = x and x - 0 = x hold exactly in floating point (including
    /// -0 and infinities), so only a broadcast to a larger shape could make a removal change
    /// anything; callers compare the results (<see cref="OpenPresentRowsSession"/>).
    /// </summary>
    /// <returns>The number of nodes removed.</returns>
    internal static int RemoveIdentityNodes(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        bool All(string name, float value) =>
            initializers.TryGetValue(name, out var tensor) && OnnxTensors.TypeOf(tensor) == DataType.Float && OnnxTensors.ToFloats(tensor).All(v => v == value);

        var removed = 0;
        foreach (var node in graph.Node.ToArray())
        {
            if (node.Output.Count != 1 || outputs.Contains(node.Output[0]) || !string.IsNullOrEmpty(node.Domain))
            {
                continue;
            }

            string? passes = null;
            switch (node.OpType)
            {
                case "Mul" when node.Input.Count == 2:
                    passes = All(node.Input[1], 1f) ? node.Input[0] : All(node.Input[0], 1f) ? node.Input[1] : null;
                    break;
                case "Add" when node.Input.Count == 2:
                    passes = All(node.Input[1], 0f) ? node.Input[0] : All(node.Input[0], 0f) ? node.Input[1] : null;
                    break;
                case "Sub" when node.Input.Count == 2:
                    passes = All(node.Input[1], 0f) ? node.Input[0] : null;
                    break;
                case "Sum":
                    var terms = node.Input.Where(i => !All(i, 0f)).ToArray();
                    if (terms.Length == 1)
                    {
                        passes = terms[0];
                    }
                    else if (terms.Length > 1 && terms.Length < node.Input.Count)
                    {
                        node.Input.Clear();
                        node.Input.AddRange(terms);
                        removed++;
                    }

                    break;
            }

            if (passes is not null)
            {
                graph.ReplaceInput(node.Output[0], passes);
                graph.Node.Remove(node);
                removed++;
            }
        }

        graph.RemoveUnusedInitializers();
        return removed;
    }

    // The specialised graph with its constants folded (ONNX Runtime's basic level, written out)
    // and the identity nodes removed; null when there were none or anything failed.
    private InferenceSession? OpenWithoutIdentities(byte[] specialised)
    {
        var folded = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"edgeagent-policy-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var basic = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, OptimizedModelFilePath = folded })
            using (new InferenceSession(specialised, basic))
            {
            }

            var model = OnnxModelFile.Parse(File.ReadAllBytes(folded), Path, checkVersions: false);
            if (RemoveIdentityNodes(model.Graph) == 0)
            {
                return null;
            }

            using var so = CreateSessionOptions(_options);
            return new InferenceSession(OnnxModelFile.ToBytes(model), so);
        }
        catch (Exception e) when (e is OnnxRuntimeException or OnnxFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            try
            {
                File.Delete(folded);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temporary file left behind; nothing depends on it.
            }
        }
    }

    // True when both sessions (servers [1, rows, F], preference [1, 2] -> logits [1, rows]) give the
    // same logits, bit for bit, on observations drawn over the features' ranges and preferences
    // from end to end.
    private bool SameLogits(InferenceSession expected, InferenceSession actual, int rows)
    {
        var f = Layout.FeatureCount;
        var random = new Random(rows);
        var servers = new float[rows * f];
        var preference = new float[2];
        try
        {
            using var runOptions = new RunOptions();
            using var serversValue = OrtValue.CreateTensorValueFromMemory(servers, [1, rows, f]);
            using var preferenceValue = OrtValue.CreateTensorValueFromMemory(preference, [1, 2]);
            for (var trial = 0; trial < 16; trial++)
            {
                for (var i = 0; i < servers.Length; i++)
                {
                    servers[i] = (float)((random.NextDouble() * 8) - 4);
                }

                var w = trial switch { 0 => 0f, 1 => 1f, _ => (float)random.NextDouble() };
                (preference[0], preference[1]) = (w, 1 - w);
                using var a = expected.Run(runOptions, InputNames[..1].Append(InputNames[2]).ToArray(), [serversValue, preferenceValue], OutputNames);
                using var b = actual.Run(runOptions, InputNames[..1].Append(InputNames[2]).ToArray(), [serversValue, preferenceValue], OutputNames);
                var x = a[0].GetTensorDataAsSpan<float>();
                var y = b[0].GetTensorDataAsSpan<float>();
                if (x.Length != rows || y.Length != rows || !a[0].GetTensorTypeAndShape().Shape.SequenceEqual(b[0].GetTensorTypeAndShape().Shape))
                {
                    return false;
                }

                for (var i = 0; i < rows; i++)
                {
                    if (BitConverter.SingleToInt32Bits(x[i]) != BitConverter.SingleToInt32Bits(y[i]))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
        catch (OnnxRuntimeException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();

    private static SessionOptions CreateSessionOptions(OnnxPolicyOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        return so;
    }

    /// <summary>
    /// Rewrites <paramref name="graph"/> for one observation of <paramref name="rows"/> present rows:
    /// `mask` becomes an initializer of ones [1, rows] and the symbolic dimensions of `servers`' first
    /// two axes (batch and S) become 1 and <paramref name="rows"/> wherever they appear. False when
    /// the graph does not have that shape (the inputs missing, or batch or S not symbolic).
    /// </summary>
    private static bool SpecialiseToPresentRows(GraphProto graph, int rows)
    {
        var servers = graph.Input.FirstOrDefault(i => i.Name == InputNames[0]);
        var mask = graph.Input.FirstOrDefault(i => i.Name == InputNames[1]);
        if (servers?.Type?.TensorType?.Shape is not { Dim.Count: 3 } serverShape || mask?.Type?.TensorType?.Shape is not { Dim.Count: 2 } maskShape)
        {
            return false;
        }

        var batch = serverShape.Dim[0].DimParam;
        var s = serverShape.Dim[1].DimParam;
        if (string.IsNullOrEmpty(batch) || string.IsNullOrEmpty(s) || batch == s || maskShape.Dim[0].DimParam != batch || maskShape.Dim[1].DimParam != s)
        {
            return false;
        }

        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (info.Type?.TensorType?.Shape is not { } shape)
            {
                continue;
            }

            foreach (var dim in shape.Dim)
            {
                if (dim.DimParam == batch)
                {
                    dim.DimValue = 1;
                }
                else if (dim.DimParam == s)
                {
                    dim.DimValue = rows;
                }
            }
        }

        graph.Input.Remove(mask);
        var ones = new float[rows];
        Array.Fill(ones, 1f);
        graph.Initializer.Add(OnnxTensors.FromFloats(InputNames[1], ones, 1, rows));
        return true;
    }
}

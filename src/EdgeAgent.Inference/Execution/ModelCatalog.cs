using System.Collections.Frozen;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Execution;

/// <summary>A model file ONNX Runtime could not load, with a message naming the file.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelLoadException()
    {
    }
}

/// <summary>One ONNX Runtime session of one variant of a served model, created once.</summary>
public sealed class ModelSession : IDisposable
{
    internal ModelSession(string variant, string path, InferenceSession session)
    {
        Variant = variant;
        FilePath = path;
        Session = session;
        Inputs = ReadMetadata(session.InputNames, session.InputMetadata, path);
        Outputs = ReadMetadata(session.OutputNames, session.OutputMetadata, path);
    }

    /// <summary>Variant name ("fp32", "int8", ...).</summary>
    public string Variant { get; }

    /// <summary>The .onnx file.</summary>
    public string FilePath { get; }

    /// <summary>Inputs in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Inputs { get; }

    /// <summary>Outputs in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Outputs { get; }

    internal InferenceSession Session { get; }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();

    private static TensorMetadata[] ReadMetadata(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata, string path)
    {
        var result = new TensorMetadata[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var node = metadata[names[i]];
            if (!node.IsTensor)
            {
                throw new ModelLoadException($"Model file '{path}': '{names[i]}' is a {node.OnnxValueType}, not a tensor; only tensor inputs and outputs are served.");
            }

            var type = TensorDataTypes.FromOnnx(node.ElementDataType);
            var shape = node.Dimensions.Select(d => d < 0 ? -1L : d).ToArray();
            result[i] = new TensorMetadata(names[i], type, shape);
        }

        return result;
    }
}

/// <summary>
/// A model the node serves: the latest version of a repository model with one session per
/// variant. Validation uses the default variant's inputs and outputs.
/// </summary>
public sealed class ServedModel : IDisposable
{
    /// <summary>Platform string of ONNX models in the protocol.</summary>
    public const string OnnxPlatform = "onnx_onnxv1";

    private readonly FrozenDictionary<string, ModelSession> _sessions;

    internal ServedModel(ModelVersionFiles files, IReadOnlyList<ModelSession> sessions)
    {
        Files = files;
        _sessions = sessions.ToFrozenDictionary(s => s.Variant, StringComparer.Ordinal);
        DefaultSession = _sessions[files.DefaultVariant];
        Variants = sessions.Select(s => s.Variant).ToArray();
        InputIndex = Inputs.Select((t, i) => (t.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        OutputIndex = Outputs.Select((t, i) => (t.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>Model name.</summary>
    public string Name => Files.Name;

    /// <summary>Served version number.</summary>
    public long Version => Files.Version;

    /// <summary>Served version as the protocol spells it.</summary>
    public string VersionString => Files.VersionString;

    /// <summary>Files of this version.</summary>
    public ModelVersionFiles Files { get; }

    /// <summary>Variant names, ordered ("fp32", "int8", ...).</summary>
    public IReadOnlyList<string> Variants { get; }

    /// <summary>The default variant's session ("fp32" when present).</summary>
    public ModelSession DefaultSession { get; }

    /// <summary>Inputs of the default variant.</summary>
    public IReadOnlyList<TensorMetadata> Inputs => DefaultSession.Inputs;

    /// <summary>Outputs of the default variant.</summary>
    public IReadOnlyList<TensorMetadata> Outputs => DefaultSession.Outputs;

    /// <summary>Input name to position in <see cref="Inputs"/>.</summary>
    public IReadOnlyDictionary<string, int> InputIndex { get; }

    /// <summary>Output name to position in <see cref="Outputs"/>.</summary>
    public IReadOnlyDictionary<string, int> OutputIndex { get; }

    /// <summary>The session of <paramref name="variant"/>; null, "" and "default" mean the default variant.</summary>
    public bool TryGetSession(string? variant, out ModelSession session)
    {
        if (string.IsNullOrEmpty(variant) || variant == "default")
        {
            session = DefaultSession;
            return true;
        }

        return _sessions.TryGetValue(variant, out session!);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }
    }
}

/// <summary>
/// Every model the node serves, each session created once at load. Only the latest version of
/// each model is served (Triton's default policy).
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly FrozenDictionary<string, ServedModel> _models;

    private ModelCatalog(ModelRepository repository, IReadOnlyList<ServedModel> models)
    {
        Repository = repository;
        Models = models;
        _models = models.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);
    }

    /// <summary>The repository the models came from.</summary>
    public ModelRepository Repository { get; }

    /// <summary>Served models ordered by name.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>Opens every variant of the latest version of every model in <paramref name="repository"/>.</summary>
    /// <exception cref="ModelLoadException">A model file could not be read or parsed; the message names it.</exception>
    public static ModelCatalog Load(ModelRepository repository, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(options);
        var models = new List<ServedModel>();
        try
        {
            foreach (var files in repository.Latest)
            {
                var sessions = new List<ModelSession>();
                try
                {
                    foreach (var (variant, path) in files.VariantFiles)
                    {
                        sessions.Add(Open(variant, path, options));
                    }

                    models.Add(new ServedModel(files, sessions));
                }
                catch
                {
                    sessions.ForEach(s => s.Dispose());
                    throw;
                }
            }
        }
        catch
        {
            models.ForEach(m => m.Dispose());
            throw;
        }

        return new ModelCatalog(repository, models);
    }

    /// <summary>Finds a served model; <paramref name="version"/> empty means the served (latest) version.</summary>
    public bool TryGet(string name, string? version, out ServedModel model)
    {
        if (!_models.TryGetValue(name, out model!))
        {
            return false;
        }

        return string.IsNullOrEmpty(version) || version == model.VersionString;
    }

    /// <summary>The served model named <paramref name="name"/>, whatever its version.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>SessionOptions from <paramref name="options"/> (the caller disposes them).</summary>
    public static SessionOptions CreateSessionOptions(ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
        };
        var spin = options.AllowSpinning ? "1" : "0";
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spin);
        sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", spin);
        return sessionOptions;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var model in Models)
        {
            model.Dispose();
        }
    }

    private static ModelSession Open(string variant, string path, ExecutionOptions options)
    {
        InferenceSession session;
        try
        {
            using var sessionOptions = CreateSessionOptions(options);
            session = new InferenceSession(path, sessionOptions);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{path}' could not be loaded by ONNX Runtime: {ex.Message}", ex);
        }

        try
        {
            return new ModelSession(variant, path, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}

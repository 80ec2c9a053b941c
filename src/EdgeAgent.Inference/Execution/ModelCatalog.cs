using System.Collections.Concurrent;
using System.Collections.Frozen;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Execution;

/// <summary>
/// A model file ONNX Runtime could not load, with a message naming the file. As a request's
/// failure it is <see cref="InferenceError.FailedPrecondition"/>: the request is fine, this node
/// cannot run the variant it was asked to.
/// </summary>
public sealed class ModelLoadException : InferenceException
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message, Exception innerException) : base(InferenceError.FailedPrecondition, message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(InferenceError.FailedPrecondition, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelLoadException() : base(InferenceError.FailedPrecondition, "A model file could not be loaded.")
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
        OutputBound = new OutputSizeBound(session);
    }

    /// <summary>What the model's metadata tells of its outputs' sizes before a run.</summary>
    public OutputSizeBound OutputBound { get; }

    /// <summary>Variant name ("fp32", "int8", ...).</summary>
    public string Variant { get; }

    /// <summary>The .onnx file.</summary>
    public string FilePath { get; }

    /// <summary>Inputs in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Inputs { get; }

    /// <summary>Outputs in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Outputs { get; }

    internal InferenceSession Session { get; }

    // 1 after a run of this session was refused for the size of its outputs: the next run asks
    // ONNX Runtime to give the arena's free memory back when it ends (LocalExecutor.Execute).
    private int _shrinkArena;

    /// <summary>Marks the session so that its next run returns the arena's unused memory.</summary>
    internal void ShrinkArenaOnNextRun() => Interlocked.Exchange(ref _shrinkArena, 1);

    /// <summary>True (once) when the run about to start should return the arena's unused memory.</summary>
    internal bool TakeArenaShrink() => Interlocked.Exchange(ref _shrinkArena, 0) == 1;

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

/// <summary>How far a variant's session has got.</summary>
public enum VariantState
{
    /// <summary>The variant is not served by this model.</summary>
    Unknown,

    /// <summary>Known from the repository; its session is created on first use.</summary>
    NotLoaded,

    /// <summary>Its session is open.</summary>
    Loaded,

    /// <summary>Its file could not be loaded; every use fails with the same error until the repository is loaded again.</summary>
    Failed,
}

/// <summary>
/// A model the node serves: the latest version of a repository model. The default variant's
/// session is created at load (validation uses its inputs and outputs); every other variant's
/// session is created on first use, once, and cached for the life of the catalog. A variant that
/// fails to load keeps failing with the same <see cref="ModelLoadException"/> (no retry per request).
/// </summary>
public sealed class ServedModel : IDisposable
{
    /// <summary>Platform string of ONNX models in the protocol.</summary>
    public const string OnnxPlatform = "onnx_onnxv1";

    private readonly FrozenDictionary<string, Lazy<ModelSession>> _sessions;
    private readonly ConcurrentDictionary<string, bool> _failed = new(StringComparer.Ordinal);

    internal ServedModel(ModelVersionFiles files, ModelSession defaultSession, Func<string, string, ModelSession> open)
    {
        Files = files;
        DefaultSession = defaultSession;
        _sessions = files.VariantFiles.ToFrozenDictionary(
            p => p.Key,
            p => p.Key == defaultSession.Variant
                ? new Lazy<ModelSession>(defaultSession)
                : new Lazy<ModelSession>(() => OpenVariant(p.Key, p.Value, open), LazyThreadSafetyMode.ExecutionAndPublication),
            StringComparer.Ordinal);
        Variants = files.VariantFiles.Keys.ToArray();
        InputIndex = Inputs.Select((t, i) => (t.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        OutputIndex = Outputs.Select((t, i) => (t.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        if (files.Config.DynamicBatching is { } batching)
        {
            // Batching concatenates requests along the first dimension and splits the outputs
            // along it: every input and output must have one that is free (symbolic).
            var fixedFirst = Inputs.Select(t => ("input", t)).Concat(Outputs.Select(t => ("output", t)))
                .FirstOrDefault(p => p.t.Shape.Count == 0 || p.t.Shape[0] != -1);
            if (fixedFirst.t is { } tensor)
            {
                throw new ModelLoadException(
                    $"{files.Config.Path}: 'dynamic_batching' needs a batch dimension, but {fixedFirst.Item1} '{tensor.Name}' of model '{files.Name}' has " +
                    (tensor.Shape.Count == 0 ? "no dimensions" : $"a fixed first dimension {tensor.Shape[0]}") +
                    " (shape [" + string.Join(", ", tensor.Shape) + "]); remove dynamic_batching for this model or export it with a symbolic first dimension.");
            }

            Batching = batching;
        }
    }

    /// <summary>Dynamic batching of this model (from its config.json), or null when its requests run one by one.</summary>
    public DynamicBatchingConfig? Batching { get; }

    /// <summary>Largest batch the batcher forms (config.json's max_batch_size; 0 without batching).</summary>
    public int MaxBatchSize => Batching is null ? 0 : Files.Config.MaxBatchSize;

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

    /// <summary>The default variant's name.</summary>
    public string DefaultVariant => DefaultSession.Variant;

    /// <summary>Inputs of the default variant.</summary>
    public IReadOnlyList<TensorMetadata> Inputs => DefaultSession.Inputs;

    /// <summary>Outputs of the default variant.</summary>
    public IReadOnlyList<TensorMetadata> Outputs => DefaultSession.Outputs;

    /// <summary>Input name to position in <see cref="Inputs"/>.</summary>
    public IReadOnlyDictionary<string, int> InputIndex { get; }

    /// <summary>Output name to position in <see cref="Outputs"/>.</summary>
    public IReadOnlyDictionary<string, int> OutputIndex { get; }

    /// <summary>True when <paramref name="variant"/> names a served variant; null, "" and <see cref="ModelVariant.Default"/> mean the default one.</summary>
    public bool HasVariant(string? variant) => ModelVariant.IsDefault(variant) || _sessions.ContainsKey(variant!);

    /// <summary>Where <paramref name="variant"/>'s session stands (a read; loads nothing).</summary>
    public VariantState GetVariantState(string? variant)
    {
        if (ModelVariant.IsDefault(variant))
        {
            return VariantState.Loaded;
        }

        if (!_sessions.TryGetValue(variant!, out var lazy))
        {
            return VariantState.Unknown;
        }

        if (!lazy.IsValueCreated)
        {
            // Lazy<T> caches a factory exception without marking the value created; asking for
            // it here would run the factory, so failures are remembered separately.
            return _failed.ContainsKey(variant!) ? VariantState.Failed : VariantState.NotLoaded;
        }

        return VariantState.Loaded;
    }

    /// <summary>
    /// The session of <paramref name="variant"/> (null, "" and <see cref="ModelVariant.Default"/> mean the default variant),
    /// created on first use.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no such variant; the message lists the served ones.</exception>
    /// <exception cref="ModelLoadException">The variant's file is missing, unreadable, not a model ONNX Runtime accepts, or takes other inputs than the default variant; the message names the variant and the file.</exception>
    public ModelSession GetSession(string? variant)
    {
        if (ModelVariant.IsDefault(variant))
        {
            return DefaultSession;
        }

        if (!_sessions.TryGetValue(variant!, out var lazy))
        {
            throw new ArgumentException($"Model '{Name}' has no variant '{variant}'; it serves {string.Join(", ", Variants)}.", nameof(variant));
        }

        return lazy.Value;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var lazy in _sessions.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
            }
        }
    }

    private ModelSession OpenVariant(string variant, string path, Func<string, string, ModelSession> open)
    {
        try
        {
            // A variant fails a caller's request, so its message names the file relative to the model
            // repository ("det/1/model.int8.onnx"), never this machine's absolute paths.
            var what = $"Variant '{variant}' of model '{Name}' version {VersionString}";
            var shown = Path.Combine(Name, VersionString, Path.GetFileName(path));
            if (!File.Exists(path))
            {
                throw new ModelLoadException($"{what}: its file '{shown}' is missing from the model repository.");
            }

            ModelSession session;
            try
            {
                session = open(variant, path);
            }
            catch (ModelLoadException ex)
            {
                var cause = ex.Message.Replace(path, shown, StringComparison.Ordinal).Replace(Files.Directory, Path.Combine(Name, VersionString), StringComparison.Ordinal);
                throw new ModelLoadException($"{what} could not be loaded: {cause}", ex);
            }

            if (!SameSignature(session.Inputs, Inputs) || !SameSignature(session.Outputs, Outputs))
            {
                session.Dispose();
                throw new ModelLoadException(
                    $"{what} ('{shown}') takes {Describe(session.Inputs)} and returns {Describe(session.Outputs)}, but the default variant '{DefaultVariant}' takes {Describe(Inputs)} and returns {Describe(Outputs)}; a variant must keep the names and datatypes of the model's inputs and outputs.");
            }

            return session;
        }
        catch (ModelLoadException)
        {
            _failed[variant] = true;
            throw;
        }
    }

    private static bool SameSignature(IReadOnlyList<TensorMetadata> a, IReadOnlyList<TensorMetadata> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.DataType == p.Second.DataType);

    private static string Describe(IReadOnlyList<TensorMetadata> tensors) =>
        "[" + string.Join(", ", tensors.Select(t => $"{t.Name}:{t.DataTypeName}")) + "]";
}

/// <summary>
/// Every model the node serves: each default variant's session created at load, other variants'
/// sessions on first use, each once. Only the latest version of each model is served (Triton's
/// default policy).
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

    /// <summary>
    /// Opens the default variant of the latest version of every model in <paramref name="repository"/>;
    /// the other variants open on first use (<see cref="ServedModel.GetSession"/>).
    /// </summary>
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
                var defaultVariant = files.DefaultVariant;
                var session = Open(defaultVariant, files.VariantFiles[defaultVariant], options);
                try
                {
                    models.Add(new ServedModel(files, session, (variant, path) => Open(variant, path, options)));
                }
                catch
                {
                    session.Dispose();
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

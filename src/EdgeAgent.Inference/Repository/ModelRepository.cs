using System.Globalization;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Inference.Repository;

/// <summary>
/// The files of one model version: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c> (variant "fp32")
/// and its siblings <c>model.&lt;variant&gt;.onnx</c>.
/// </summary>
/// <param name="Name">Model name (the folder name).</param>
/// <param name="Version">Positive version number (the folder name).</param>
/// <param name="Directory">Absolute path of the version folder.</param>
/// <param name="VariantFiles">Variant name to absolute file path, ordered by variant name.</param>
public sealed record ModelVersionFiles(string Name, long Version, string Directory, IReadOnlyDictionary<string, string> VariantFiles)
{
    /// <summary>The variant of <c>model.onnx</c>.</summary>

    /// <summary>The version as the protocol spells it ("3").</summary>
    public string VersionString => Version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The model's <c>config.json</c> (beside the version folders); <see cref="ModelConfig.None"/> without one.</summary>
    public ModelConfig Config { get; init; } = ModelConfig.None;

    /// <summary>"fp32" when <c>model.onnx</c> exists, otherwise the first variant by name.</summary>
    public string DefaultVariant => VariantFiles.ContainsKey(ModelVariant.Fp32) ? ModelVariant.Fp32 : VariantFiles.Keys.First();
}

/// <summary>A model repository that cannot be used, with a message naming the path and the problem.</summary>
public sealed class ModelRepositoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelRepositoryException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelRepositoryException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelRepositoryException()
    {
    }
}

/// <summary>
/// A model repository laid out like Triton's: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>.
/// Versions are positive integers without leading zeros; other folders are ignored; the latest
/// version of each model is the one served. Variants are <c>model.&lt;variant&gt;.onnx</c> siblings.
/// </summary>
public sealed class ModelRepository
{
    private readonly Dictionary<string, IReadOnlyList<ModelVersionFiles>> _versions;

    private ModelRepository(string root, Dictionary<string, IReadOnlyList<ModelVersionFiles>> versions)
    {
        Root = root;
        _versions = versions;
        Latest = versions.Values.Select(v => v[^1]).OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Absolute path of the repository.</summary>
    public string Root { get; }

    /// <summary>The latest version of every model, ordered by name.</summary>
    public IReadOnlyList<ModelVersionFiles> Latest { get; }

    /// <summary>Every version of <paramref name="model"/> found, oldest first (empty when unknown).</summary>
    public IReadOnlyList<ModelVersionFiles> Versions(string model) =>
        _versions.TryGetValue(model, out var versions) ? versions : [];

    /// <summary>Scans <paramref name="path"/>.</summary>
    /// <exception cref="ModelRepositoryException">The folder is missing or unreadable, or holds no model version with an .onnx file.</exception>
    public static ModelRepository Open(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ModelRepositoryException("No model repository path was given.");
        }

        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root))
        {
            throw new ModelRepositoryException($"The model repository '{root}' does not exist or is not a directory.");
        }

        var versions = new Dictionary<string, IReadOnlyList<ModelVersionFiles>>(StringComparer.Ordinal);
        try
        {
            foreach (var modelDir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(modelDir);
                var configPath = Path.Combine(modelDir, ModelConfig.FileName);
                var config = File.Exists(configPath) ? ModelConfig.Read(configPath, name) : ModelConfig.None;
                var found = new List<ModelVersionFiles>();
                foreach (var versionDir in Directory.EnumerateDirectories(modelDir))
                {
                    if (!TryParseVersion(Path.GetFileName(versionDir), out var version))
                    {
                        continue;
                    }

                    var variants = FindVariants(versionDir);
                    if (variants.Count > 0)
                    {
                        found.Add(new ModelVersionFiles(name, version, versionDir, variants) { Config = config });
                    }
                }

                if (found.Count > 0)
                {
                    found.Sort((a, b) => a.Version.CompareTo(b.Version));
                    versions[name] = found;
                }
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new ModelRepositoryException($"The model repository '{root}' could not be read: {ex.Message}", ex);
        }

        if (versions.Count == 0)
        {
            throw new ModelRepositoryException(
                $"The model repository '{root}' holds no model: expected <model>/<version>/model.onnx with a positive integer version.");
        }

        return new ModelRepository(root, versions);
    }

    /// <summary>Parses a version folder name: a positive integer without leading zeros or signs.</summary>
    public static bool TryParseVersion(string text, out long version)
    {
        version = 0;
        if (text.Length == 0 || text[0] is < '1' or > '9')
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    private static SortedDictionary<string, string> FindVariants(string versionDir)
    {
        var variants = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(versionDir, "model*.onnx"))
        {
            var fileName = Path.GetFileName(file);
            if (fileName == "model.onnx")
            {
                variants[ModelVariant.Fp32] = file;
            }
            else if (fileName.StartsWith("model.", StringComparison.Ordinal) && fileName.Length > "model..onnx".Length)
            {
                var variant = fileName["model.".Length..^".onnx".Length];
                if (variant.Length > 0 && !variant.Contains('.', StringComparison.Ordinal))
                {
                    variants[variant] = file;
                }
            }
        }

        return variants;
    }
}

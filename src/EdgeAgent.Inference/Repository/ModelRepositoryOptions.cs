namespace EdgeAgent.Inference.Repository;

/// <summary>Where the model repository is; bound from the "Models" configuration section.</summary>
public sealed class ModelRepositoryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Models";

    /// <summary>Repository folder: <c>&lt;Path&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>.</summary>
    public string Path { get; set; } = "";
}

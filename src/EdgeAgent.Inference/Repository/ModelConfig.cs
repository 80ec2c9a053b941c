using System.Globalization;
using System.Text.Json;

namespace EdgeAgent.Inference.Repository;

/// <summary>
/// Per-model settings from <c>&lt;repo&gt;/&lt;model&gt;/config.json</c>, beside the version folders,
/// in the spirit of Triton's model configuration (its field names, JSON instead of protobuf text):
/// <code>
/// { "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_microseconds": 2000 } }
/// </code>
/// Without the file, or without <c>dynamic_batching</c>, every request runs on its own. Unknown
/// fields are errors, so a misspelt setting is never silently ignored.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>File name inside the model's folder.</summary>
    public const string FileName = "config.json";

    /// <summary>Largest batch size the model accepts and the batcher forms.</summary>
    public const int MaxAllowedBatchSize = 1024;

    /// <summary>Longest allowed max_queue_delay_microseconds (one second).</summary>
    public const long MaxAllowedQueueDelayMicroseconds = 1_000_000;

    /// <summary>No file: no batching.</summary>
    public static ModelConfig None { get; } = new();

    /// <summary>The file it was read from; null for <see cref="None"/>.</summary>
    public string? Path { get; init; }

    /// <summary>max_batch_size: the largest batch along the first dimension (0: the model is not batched by the server).</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>dynamic_batching; null when absent (off).</summary>
    public DynamicBatchingConfig? DynamicBatching { get; init; }

    /// <summary>Reads and checks <paramref name="path"/> for model <paramref name="model"/>.</summary>
    /// <exception cref="ModelRepositoryException">The file is unreadable, not JSON, or a field is unknown, of the wrong type or out of range; the message names the file and the field.</exception>
    public static ModelConfig Read(string path, string model)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelRepositoryException($"{path}: cannot be read: {ex.Message}", ex);
        }

        return Parse(text, path, model);
    }

    /// <summary>Parses <paramref name="json"/>; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="ModelRepositoryException">See <see cref="Read"/>.</exception>
    public static ModelConfig Parse(string json, string path, string model)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw Error(path, $"is not JSON ({ex.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, $"must hold a JSON object, not {root.ValueKind}");
            }

            var maxBatch = 0;
            var hasMaxBatch = false;
            DynamicBatchingConfig? batching = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name":
                        if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() != model)
                        {
                            throw Error(path, $"'name' is {property.Value.GetRawText()} but the model's folder is '{model}'; leave it out or make them equal");
                        }

                        break;
                    case "max_batch_size":
                        maxBatch = Integer(property.Value, path, "max_batch_size", 0, MaxAllowedBatchSize);
                        hasMaxBatch = true;
                        break;
                    case "dynamic_batching":
                        batching = ParseBatching(property.Value, path);
                        break;
                    default:
                        throw Error(path, $"unknown field '{property.Name}' (known: name, max_batch_size, dynamic_batching)");
                }
            }

            if (batching is not null && (!hasMaxBatch || maxBatch < 2))
            {
                throw Error(path, $"'dynamic_batching' needs 'max_batch_size' of at least 2 (the largest batch it may form); it is {(hasMaxBatch ? maxBatch.ToString(CultureInfo.InvariantCulture) : "missing")}");
            }

            return new ModelConfig { Path = path, MaxBatchSize = maxBatch, DynamicBatching = batching };
        }
    }

    private static DynamicBatchingConfig ParseBatching(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"'dynamic_batching' must be an object such as {{\"max_queue_delay_microseconds\": 2000}}, not {element.ValueKind}");
        }

        long delay = 0;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "max_queue_delay_microseconds":
                    delay = Integer(property.Value, path, "dynamic_batching.max_queue_delay_microseconds", 0, MaxAllowedQueueDelayMicroseconds);
                    break;
                default:
                    throw Error(path, $"unknown field 'dynamic_batching.{property.Name}' (known: max_queue_delay_microseconds)");
            }
        }

        return new DynamicBatchingConfig(TimeSpan.FromMicroseconds(delay));
    }

    private static int Integer(JsonElement value, string path, string field, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw Error(path, $"'{field}' must be an integer, not {value.GetRawText()}");
        }

        if (number < min || number > max)
        {
            throw Error(path, $"'{field}' is {number}; it must be between {min} and {max}");
        }

        return (int)number;
    }

    private static ModelRepositoryException Error(string path, string problem) => new($"{path}: {problem}.");
}

/// <summary>Triton-style dynamic batching of one model.</summary>
/// <param name="MaxQueueDelay">Longest a request waits for others to join its batch once an execution slot could take it (0: batch only what is already waiting).</param>
public sealed record DynamicBatchingConfig(TimeSpan MaxQueueDelay);

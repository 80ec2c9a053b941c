using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAgent.Node.Agent;
using Parquet.Serialization;

namespace EdgeAgent.Cli.Commands;

/// <summary>Export formats of `edgeagent log export`.</summary>
internal enum DecisionExportFormat
{
    Csv,
    Jsonl,
    Parquet,
}

/// <summary>
/// Writes decision-log rows for analysis. Every format has the same columns (<see cref="Header"/>):
/// CSV (RFC 4180; <c>features</c>, <c>mask</c> and <c>candidates</c> as ';'-separated lists, numbers
/// in round-trip form), JSON Lines (lists as arrays) and Parquet (lists as repeated columns; the
/// layouts' descriptions in the file's key/value metadata as <c>edgeagent.layout:NAME</c>).
/// </summary>
internal static class DecisionExport
{
    public static readonly string[] Header =
    [
        "id", "ts_us", "timestamp", "model", "input_bytes", "layout", "max_servers", "feature_count", "candidates", "features", "mask",
        "w_delay", "w_energy", "decided", "ran_at", "fallback_from", "delay_s", "queue_s", "transfer_s", "exec_s",
        "compute_j", "compute_provenance", "radio_j", "radio_provenance", "outcome", "status_code",
    ];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static bool TryParseFormat(string text, out DecisionExportFormat format) =>
        Enum.TryParse(text, ignoreCase: true, out format) && Enum.IsDefined(format) && !int.TryParse(text, out _);

    /// <summary>Writes <paramref name="rows"/>; returns how many.</summary>
    public static async Task<long> WriteAsync(IEnumerable<DecisionRow> rows, DecisionExportFormat format, Stream output, IReadOnlyDictionary<string, string> layouts, CancellationToken cancellationToken)
    {
        switch (format)
        {
            case DecisionExportFormat.Csv:
                return await WriteCsvAsync(rows, output, cancellationToken).ConfigureAwait(false);
            case DecisionExportFormat.Jsonl:
                return await WriteJsonlAsync(rows, output, cancellationToken).ConfigureAwait(false);
            default:
                var list = rows.Select(ParquetRow.From).ToList();
                var metadata = layouts.ToDictionary(l => "edgeagent.layout:" + l.Key, l => l.Value, StringComparer.Ordinal);
                await ParquetSerializer.SerializeAsync(list, output, null, metadata, cancellationToken).ConfigureAwait(false);
                return list.Count;
        }
    }

    private static async Task<long> WriteCsvAsync(IEnumerable<DecisionRow> rows, Stream output, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteLineAsync(string.Join(',', Header)).ConfigureAwait(false);
            long n = 0;
            var line = new StringBuilder(4096);
            foreach (var row in rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                line.Clear();
                string?[] fields =
                [
                    row.Id.ToString(Inv), DecisionDatabase.ToMicroseconds(row.Timestamp).ToString(Inv), Iso(row.Timestamp), row.Model,
                    row.InputBytes.ToString(Inv), row.Layout, row.MaxServers.ToString(Inv), row.FeatureCount.ToString(Inv),
                    string.Join(';', row.Candidates), string.Join(';', row.Features.Select(f => f.ToString("R", Inv))), string.Join(';', row.Mask.Select(m => m.ToString("R", Inv))),
                    Num(row.DelayWeight), Num(row.EnergyWeight), row.Decided, row.RanAt, row.FallbackFrom ?? "",
                    Num(row.DelaySeconds), Num(row.QueueSeconds), Num(row.TransferSeconds), Num(row.ExecSeconds),
                    Num(row.ComputeJoules), row.ComputeProvenance, Num(row.RadioJoules), row.RadioProvenance, row.Outcome, row.StatusCode.ToString(Inv),
                ];
                for (var i = 0; i < fields.Length; i++)
                {
                    if (i > 0)
                    {
                        line.Append(',');
                    }

                    AppendCsvField(line, fields[i] ?? "");
                }

                await writer.WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
                n++;
            }

            return n;
        }
    }

    private static void AppendCsvField(StringBuilder line, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(value);
            return;
        }

        line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static async Task<long> WriteJsonlAsync(IEnumerable<DecisionRow> rows, Stream output, CancellationToken cancellationToken)
    {
        long n = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(8192);
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = false });
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            buffer.ResetWrittenCount();
            json.Reset(buffer);
            json.WriteStartObject();
            json.WriteNumber("id", row.Id);
            json.WriteNumber("ts_us", DecisionDatabase.ToMicroseconds(row.Timestamp));
            json.WriteString("timestamp", Iso(row.Timestamp));
            json.WriteString("model", row.Model);
            json.WriteNumber("input_bytes", row.InputBytes);
            json.WriteString("layout", row.Layout);
            json.WriteNumber("max_servers", row.MaxServers);
            json.WriteNumber("feature_count", row.FeatureCount);
            json.WriteStartArray("candidates");
            foreach (var c in row.Candidates)
            {
                json.WriteStringValue(c);
            }

            json.WriteEndArray();
            WriteFloats(json, "features", row.Features);
            WriteFloats(json, "mask", row.Mask);
            WriteDouble(json, "w_delay", row.DelayWeight);
            WriteDouble(json, "w_energy", row.EnergyWeight);
            json.WriteString("decided", row.Decided);
            json.WriteString("ran_at", row.RanAt);
            json.WriteString("fallback_from", row.FallbackFrom);
            WriteDouble(json, "delay_s", row.DelaySeconds);
            WriteDouble(json, "queue_s", row.QueueSeconds);
            WriteDouble(json, "transfer_s", row.TransferSeconds);
            WriteDouble(json, "exec_s", row.ExecSeconds);
            WriteDouble(json, "compute_j", row.ComputeJoules);
            json.WriteString("compute_provenance", row.ComputeProvenance);
            WriteDouble(json, "radio_j", row.RadioJoules);
            json.WriteString("radio_provenance", row.RadioProvenance);
            json.WriteString("outcome", row.Outcome);
            json.WriteNumber("status_code", row.StatusCode);
            json.WriteEndObject();
            json.Flush();
            await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            output.WriteByte((byte)'\n');
            n++;
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return n;
    }

    // JSON has no NaN or infinity: such values are written as null.
    private static void WriteDouble(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteFloats(Utf8JsonWriter json, string name, float[] values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                json.WriteNumberValue(v);
            }
            else
            {
                json.WriteNullValue();
            }
        }

        json.WriteEndArray();
    }

    private static string Num(double value) => value.ToString("R", Inv);

    private static string Iso(DateTimeOffset timestamp) => timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", Inv);

    /// <summary>One Parquet row (column names as in <see cref="Header"/>).</summary>
    internal sealed class ParquetRow
    {
        [JsonPropertyName("id")] public long Id { get; set; }
        [JsonPropertyName("ts_us")] public long TsUs { get; set; }
        [JsonPropertyName("timestamp")] public string Timestamp { get; set; } = "";
        [JsonPropertyName("model")] public string Model { get; set; } = "";
        [JsonPropertyName("input_bytes")] public long InputBytes { get; set; }
        [JsonPropertyName("layout")] public string Layout { get; set; } = "";
        [JsonPropertyName("max_servers")] public int MaxServers { get; set; }
        [JsonPropertyName("feature_count")] public int FeatureCount { get; set; }
        [JsonPropertyName("candidates")] public List<string> Candidates { get; set; } = [];
        [JsonPropertyName("features")] public List<float> Features { get; set; } = [];
        [JsonPropertyName("mask")] public List<float> Mask { get; set; } = [];
        [JsonPropertyName("w_delay")] public double DelayWeight { get; set; }
        [JsonPropertyName("w_energy")] public double EnergyWeight { get; set; }
        [JsonPropertyName("decided")] public string Decided { get; set; } = "";
        [JsonPropertyName("ran_at")] public string RanAt { get; set; } = "";
        [JsonPropertyName("fallback_from")] public string? FallbackFrom { get; set; }
        [JsonPropertyName("delay_s")] public double DelaySeconds { get; set; }
        [JsonPropertyName("queue_s")] public double QueueSeconds { get; set; }
        [JsonPropertyName("transfer_s")] public double TransferSeconds { get; set; }
        [JsonPropertyName("exec_s")] public double ExecSeconds { get; set; }
        [JsonPropertyName("compute_j")] public double ComputeJoules { get; set; }
        [JsonPropertyName("compute_provenance")] public string ComputeProvenance { get; set; } = "";
        [JsonPropertyName("radio_j")] public double RadioJoules { get; set; }
        [JsonPropertyName("radio_provenance")] public string RadioProvenance { get; set; } = "";
        [JsonPropertyName("outcome")] public string Outcome { get; set; } = "";
        [JsonPropertyName("status_code")] public int StatusCode { get; set; }

        public static ParquetRow From(DecisionRow row) => new()
        {
            Id = row.Id,
            TsUs = DecisionDatabase.ToMicroseconds(row.Timestamp),
            Timestamp = Iso(row.Timestamp),
            Model = row.Model,
            InputBytes = row.InputBytes,
            Layout = row.Layout,
            MaxServers = row.MaxServers,
            FeatureCount = row.FeatureCount,
            Candidates = [.. row.Candidates],
            Features = [.. row.Features],
            Mask = [.. row.Mask],
            DelayWeight = row.DelayWeight,
            EnergyWeight = row.EnergyWeight,
            Decided = row.Decided,
            RanAt = row.RanAt,
            FallbackFrom = row.FallbackFrom,
            DelaySeconds = row.DelaySeconds,
            QueueSeconds = row.QueueSeconds,
            TransferSeconds = row.TransferSeconds,
            ExecSeconds = row.ExecSeconds,
            ComputeJoules = row.ComputeJoules,
            ComputeProvenance = row.ComputeProvenance,
            RadioJoules = row.RadioJoules,
            RadioProvenance = row.RadioProvenance,
            Outcome = row.Outcome,
            StatusCode = row.StatusCode,
        };
    }
}

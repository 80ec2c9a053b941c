using EdgeAgent.Demo.ModelFetch;

namespace EdgeAgent.Demo.Ocr;

/// <summary>One recognised line of a page.</summary>
public sealed record OcrLine(TextBox Box, RecognisedText Text);

/// <summary>
/// The OCR pipeline on any <see cref="IOcrModelRunner"/>: detection (pre-processing, model, DB
/// post-processing), crop, recognition (pre-processing, model, CTC decoding).
/// </summary>
public sealed class OcrPipeline
{
    private readonly IOcrModelRunner _runner;

    /// <summary>Creates the pipeline.</summary>
    public OcrPipeline(IOcrModelRunner runner, CharacterDictionary dictionary, string detectionModel = PaddleOcrModels.Detection, string recognitionModel = PaddleOcrModels.Recognition)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(dictionary);
        _runner = runner;
        Dictionary = dictionary;
        DetectionModel = detectionModel;
        RecognitionModel = recognitionModel;
    }

    /// <summary>The recogniser's classes.</summary>
    public CharacterDictionary Dictionary { get; }

    /// <summary>Model name used for detection.</summary>
    public string DetectionModel { get; }

    /// <summary>Model name used for recognition.</summary>
    public string RecognitionModel { get; }

    /// <summary>
    /// Model name of the 0/180 degree direction classifier run on each crop before recognition
    /// (PaddleOCR's use_angle_cls), or null to skip it.
    /// </summary>
    public string? ClassificationModel { get; init; }

    /// <summary>Score above which a crop the classifier calls "180" is turned (cls_thresh).</summary>
    public double ClassificationThreshold { get; init; } = 0.9;

    /// <summary>Post-processing settings of the detector.</summary>
    public DbPostprocessOptions DetectionOptions { get; init; } = new();

    /// <summary>Longest side the detector sees.</summary>
    public int DetectionLimitSideLength { get; init; } = DetectionPreprocessor.DefaultLimitSideLength;

    /// <summary>Text boxes of <paramref name="image"/> in reading order.</summary>
    public ValueTask<IReadOnlyList<TextBox>> DetectAsync(OcrImage image, CancellationToken cancellationToken) => DetectAsync(image, followed: false, cancellationToken);

    private async ValueTask<IReadOnlyList<TextBox>> DetectAsync(OcrImage image, bool followed, CancellationToken cancellationToken)
    {
        var input = DetectionPreprocessor.Prepare(image, DetectionLimitSideLength);
        var output = await _runner.RunAsync(DetectionModel, input.Tensor, followed, cancellationToken).ConfigureAwait(false);
        return DbPostprocessor.Boxes(output, input.SourceWidth, input.SourceHeight, DetectionOptions);
    }

    /// <summary>The text of one cropped line.</summary>
    public ValueTask<RecognisedText> RecogniseAsync(OcrImage line, CancellationToken cancellationToken) => RecogniseAsync(line, followed: false, cancellationToken);

    private async ValueTask<RecognisedText> RecogniseAsync(OcrImage line, bool followed, CancellationToken cancellationToken)
    {
        var input = RecognitionPreprocessor.Prepare(line);
        var output = await _runner.RunAsync(RecognitionModel, input, followed, cancellationToken).ConfigureAwait(false);
        return CtcDecoder.Decode(output, Dictionary);
    }

    /// <summary>True when the direction classifier says <paramref name="line"/> is upside down.</summary>
    public ValueTask<bool> IsUpsideDownAsync(OcrImage line, CancellationToken cancellationToken) => IsUpsideDownAsync(line, followed: false, cancellationToken);

    private async ValueTask<bool> IsUpsideDownAsync(OcrImage line, bool followed, CancellationToken cancellationToken)
    {
        if (ClassificationModel is null)
        {
            return false;
        }

        var output = await _runner.RunAsync(ClassificationModel, RecognitionPreprocessor.PrepareForClassifier(line), followed, cancellationToken).ConfigureAwait(false);
        if (output.Data.Length != 2)
        {
            throw new InvalidDataException($"The direction classifier returned {output}; expected two scores (0 and 180 degrees).");
        }

        return output.Data[1] > output.Data[0] && output.Data[1] > ClassificationThreshold;
    }

    /// <summary>Detects, crops, (optionally) turns and recognises every line of <paramref name="image"/>.</summary>
    public async ValueTask<IReadOnlyList<OcrLine>> ReadAsync(OcrImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        // Each request but the page's last says a later one waits for its answer (the agent counts
        // those in flight: own_followed_in_flight); the detector's is, as the simulator's pages have a line.
        var boxes = await DetectAsync(image, followed: true, cancellationToken).ConfigureAwait(false);
        var lines = new List<OcrLine>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            var box = boxes[i];
            var crop = image.Crop(box);
            if (await IsUpsideDownAsync(crop, followed: true, cancellationToken).ConfigureAwait(false))
            {
                crop = crop.Rotate180();
            }

            var text = await RecogniseAsync(crop, followed: i < boxes.Count - 1, cancellationToken).ConfigureAwait(false);
            lines.Add(new OcrLine(box, text));
        }

        return lines;
    }
}

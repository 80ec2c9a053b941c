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
    public async ValueTask<IReadOnlyList<TextBox>> DetectAsync(OcrImage image, CancellationToken cancellationToken)
    {
        var input = DetectionPreprocessor.Prepare(image, DetectionLimitSideLength);
        var output = await _runner.RunAsync(DetectionModel, input.Tensor, cancellationToken).ConfigureAwait(false);
        return DbPostprocessor.Boxes(output, input.SourceWidth, input.SourceHeight, DetectionOptions);
    }

    /// <summary>The text of one cropped line.</summary>
    public async ValueTask<RecognisedText> RecogniseAsync(OcrImage line, CancellationToken cancellationToken)
    {
        var input = RecognitionPreprocessor.Prepare(line);
        var output = await _runner.RunAsync(RecognitionModel, input, cancellationToken).ConfigureAwait(false);
        return CtcDecoder.Decode(output, Dictionary);
    }

    /// <summary>True when the direction classifier says <paramref name="line"/> is upside down.</summary>
    public async ValueTask<bool> IsUpsideDownAsync(OcrImage line, CancellationToken cancellationToken)
    {
        if (ClassificationModel is null)
        {
            return false;
        }

        var output = await _runner.RunAsync(ClassificationModel, RecognitionPreprocessor.PrepareForClassifier(line), cancellationToken).ConfigureAwait(false);
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
        var boxes = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        var lines = new List<OcrLine>(boxes.Count);
        foreach (var box in boxes)
        {
            var crop = image.Crop(box);
            if (await IsUpsideDownAsync(crop, cancellationToken).ConfigureAwait(false))
            {
                crop = crop.Rotate180();
            }

            var text = await RecogniseAsync(crop, cancellationToken).ConfigureAwait(false);
            lines.Add(new OcrLine(box, text));
        }

        return lines;
    }
}

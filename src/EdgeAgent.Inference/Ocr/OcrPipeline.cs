using EdgeAgent.Inference.ModelFetch;

namespace EdgeAgent.Inference.Ocr;

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

    /// <summary>Detects, crops and recognises every line of <paramref name="image"/>.</summary>
    public async ValueTask<IReadOnlyList<OcrLine>> ReadAsync(OcrImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var boxes = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        var lines = new List<OcrLine>(boxes.Count);
        foreach (var box in boxes)
        {
            var text = await RecogniseAsync(image.Crop(box), cancellationToken).ConfigureAwait(false);
            lines.Add(new OcrLine(box, text));
        }

        return lines;
    }
}

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

    /// <summary>
    /// False (default): <see cref="ReadAsync"/> reads a page's lines one after another, each line's
    /// requests waiting for the previous line's answer. True: it sends every line's first request at once
    /// after detection (each saying how many of the page's lines follow it at once, the agent's
    /// own_batch_after column) and each line's recognition when its classification is back, as the
    /// simulator's pipelines with lines in parallel.
    /// </summary>
    public bool ParallelLines { get; init; }

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

    private async ValueTask<RecognisedText> RecogniseAsync(OcrImage line, bool followed, CancellationToken cancellationToken, int batchAfter = 0)
    {
        var input = RecognitionPreprocessor.Prepare(line);
        var output = await _runner.RunAsync(RecognitionModel, input, followed, batchAfter, cancellationToken).ConfigureAwait(false);
        return CtcDecoder.Decode(output, Dictionary);
    }

    /// <summary>True when the direction classifier says <paramref name="line"/> is upside down.</summary>
    public ValueTask<bool> IsUpsideDownAsync(OcrImage line, CancellationToken cancellationToken) => IsUpsideDownAsync(line, followed: false, cancellationToken);

    private async ValueTask<bool> IsUpsideDownAsync(OcrImage line, bool followed, CancellationToken cancellationToken, int batchAfter = 0)
    {
        if (ClassificationModel is null)
        {
            return false;
        }

        var output = await _runner.RunAsync(ClassificationModel, RecognitionPreprocessor.PrepareForClassifier(line), followed, batchAfter, cancellationToken).ConfigureAwait(false);
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
        if (ParallelLines)
        {
            // Every line's first request goes out now, in order, each saying how many go out right after it;
            // a line's classification is followed by its recognition, and no line waits for another.
            var reads = new Task<OcrLine>[boxes.Count];
            for (var i = 0; i < boxes.Count; i++)
            {
                reads[i] = ReadLineAsync(image, boxes[i], batchAfter: boxes.Count - 1 - i, cancellationToken);
            }

            return await Task.WhenAll(reads).ConfigureAwait(false);
        }

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

    private async Task<OcrLine> ReadLineAsync(OcrImage image, TextBox box, int batchAfter, CancellationToken cancellationToken)
    {
        var crop = image.Crop(box);
        var classified = ClassificationModel is not null;
        if (await IsUpsideDownAsync(crop, followed: true, cancellationToken, batchAfter).ConfigureAwait(false))
        {
            crop = crop.Rotate180();
        }

        // Without a classifier the recognition is the line's first request, so it carries the count.
        var text = await RecogniseAsync(crop, followed: false, cancellationToken, classified ? 0 : batchAfter).ConfigureAwait(false);
        return new OcrLine(box, text);
    }
}

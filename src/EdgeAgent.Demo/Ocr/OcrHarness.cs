namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Accuracy harnesses on the OCR models: recognition character accuracy on rendered lines with
/// known strings, and detection box F1 of a candidate detector against a reference detector
/// (typically a quantized variant against the FP32 model) on rendered pages.
/// </summary>
public static class OcrHarness
{
    /// <summary>Recognises each rendered line and accumulates character accuracy against its known text.</summary>
    public static async Task<CharacterAccuracy> RecognitionAccuracyAsync(OcrPipeline pipeline, IEnumerable<(OcrImage Image, string Text)> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(lines);
        var accuracy = new CharacterAccuracy();
        foreach (var (image, text) in lines)
        {
            var recognised = await pipeline.RecogniseAsync(image, cancellationToken).ConfigureAwait(false);
            accuracy.Add(text, recognised.Text);
        }

        return accuracy;
    }

    /// <summary>Box F1 (micro-averaged over pages) of <paramref name="candidate"/>'s boxes against <paramref name="reference"/>'s.</summary>
    public static async Task<BoxMatch> DetectionAgreementAsync(OcrPipeline reference, OcrPipeline candidate, IEnumerable<OcrImage> pages, double iouThreshold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(pages);
        var total = new BoxMatch(0, 0, 0);
        foreach (var page in pages)
        {
            var expected = await reference.DetectAsync(page, cancellationToken).ConfigureAwait(false);
            var actual = await candidate.DetectAsync(page, cancellationToken).ConfigureAwait(false);
            total += BoxF1.Match(actual, expected, iouThreshold);
        }

        return total;
    }

    /// <summary>Box F1 (micro-averaged over pages) of a detector against the pages' rendered ground truth.</summary>
    public static async Task<BoxMatch> DetectionAccuracyAsync(OcrPipeline pipeline, IEnumerable<RenderedPage> pages, double iouThreshold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(pages);
        var total = new BoxMatch(0, 0, 0);
        foreach (var page in pages)
        {
            var boxes = await pipeline.DetectAsync(page.Image, cancellationToken).ConfigureAwait(false);
            total += BoxF1.Match(boxes, page.Boxes, iouThreshold);
        }

        return total;
    }
}

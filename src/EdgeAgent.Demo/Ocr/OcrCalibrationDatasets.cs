using EdgeAgent.ModelTools.Quantization;

namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Rendered OCR pages (seeded text lines on white pages) prepared as PP-OCR detection inputs
/// [1, 3, size, size]: calibration and accuracy data for the detection model.
/// </summary>
public sealed class OcrPageDataset : ICalibrationDataset
{
    private readonly string _latinFont;
    private readonly string? _cjkFont;
    private readonly int _count;
    private readonly int _size;
    private readonly int _seed;

    public OcrPageDataset(string latinFont, string? cjkFont, int count, int size = 640, int seed = 7)
    {
        ArgumentNullException.ThrowIfNull(latinFont);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 32);
        _latinFont = latinFont;
        _cjkFont = cjkFont;
        _count = count;
        _size = size;
        _seed = seed;
    }

    public string Name => $"ocr-pages-{_count}x{_size}-seed{_seed}";

    /// <summary>Page side in pixels.</summary>
    public int Size => _size;

    /// <summary>Seed of the page generator.</summary>
    public int Seed => _seed;

    /// <summary><paramref name="count"/> other pages of the same size (seed + 1000), for accuracy on data calibration did not see.</summary>
    public OcrPageDataset Fresh(int count) => new(_latinFont, _cjkFont, count, _size, _seed + 1000);

    /// <summary>The rendered pages themselves (for box F1 against a reference model).</summary>
    public IEnumerable<RenderedPage> Pages()
    {
        using var renderer = new TextRenderer(_latinFont, _cjkFont);
        var random = new Random(_seed);
        for (int i = 0; i < _count; i++)
        {
            var kind = (SampleKind)(i % (renderer.HasCjk ? 4 : 3));
            var lines = OcrSamples.Lines(random, 24, kind);
            yield return renderer.RenderPage(lines.Where(renderer.CanRender).ToList(), _size, _size, random);
        }
    }

    public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != 1)
        {
            throw new InvalidOperationException($"OCR pages feed a model with one input; this model has {inputs.Count}.");
        }

        foreach (var page in Pages())
        {
            var data = DetectionPreprocessor.Normalise(page.Image);
            yield return new Dictionary<string, InputTensor> { [inputs[0].Name] = new InputTensor(data, [1, 3, _size, _size]) };
        }
    }
}

/// <summary>Rendered OCR text lines with known strings prepared as PP-OCR recognition inputs [1, 3, 48, W].</summary>
public sealed class OcrLineDataset : ICalibrationDataset
{
    private readonly string _latinFont;
    private readonly string? _cjkFont;
    private readonly int _count;
    private readonly int _seed;

    public OcrLineDataset(string latinFont, string? cjkFont, int count, int seed = 11)
    {
        ArgumentNullException.ThrowIfNull(latinFont);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _latinFont = latinFont;
        _cjkFont = cjkFont;
        _count = count;
        _seed = seed;
    }

    public string Name => $"ocr-lines-{_count}-seed{_seed}";

    /// <summary>Seed of the line generator.</summary>
    public int Seed => _seed;

    /// <summary><paramref name="count"/> other lines (seed + 1000), for accuracy on data calibration did not see.</summary>
    public OcrLineDataset Fresh(int count) => new(_latinFont, _cjkFont, count, _seed + 1000);

    /// <summary>The rendered lines and their text.</summary>
    public IEnumerable<(OcrImage Image, string Text)> Lines()
    {
        using var renderer = new TextRenderer(_latinFont, _cjkFont);
        var random = new Random(_seed);
        int produced = 0;
        while (produced < _count)
        {
            var kind = (SampleKind)(produced % (renderer.HasCjk ? 4 : 3));
            foreach (var text in OcrSamples.Lines(random, 1, kind).Where(renderer.CanRender))
            {
                produced++;
                yield return (renderer.RenderLine(text), text);
            }
        }
    }

    public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var (image, _) in Lines())
        {
            var tensor = RecognitionPreprocessor.Prepare(image);
            yield return new Dictionary<string, InputTensor> { [inputs[0].Name] = new InputTensor(tensor.Data, tensor.LongShape) };
        }
    }
}

using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

/// <summary>What this machine has of the OCR models and fonts; tests that need them are skipped, with the reason, when absent.</summary>
internal static class OcrAssets
{
    public static string Repository { get; } = CacheDirectories.Models();

    public static bool ModelsPresent => PaddleOcrModels.ArePresent(Repository);

    public static string? LatinFont => OcrFonts.FindLatin();

    public static string? CjkFont => OcrFonts.FindCjk();
}

/// <summary>A fact that needs a Latin font (system DejaVu Sans or the fetched copy).</summary>
internal sealed class RequiresFontFactAttribute : FactAttribute
{
    public RequiresFontFactAttribute()
    {
        if (OcrAssets.LatinFont is null)
        {
            Skip = "No DejaVu Sans on this machine: run `edgeagent models fetch fonts` (or install fonts-dejavu-core).";
        }
    }
}

/// <summary>A fact that needs the PaddleOCR models in the user's cache and a Latin font.</summary>
internal sealed class RequiresOcrModelsFactAttribute : FactAttribute
{
    public RequiresOcrModelsFactAttribute()
    {
        if (!OcrAssets.ModelsPresent)
        {
            Skip = "PaddleOCR models not in " + OcrAssets.Repository + ": run `edgeagent models fetch paddleocr` to enable this test.";
        }
        else if (OcrAssets.LatinFont is null)
        {
            Skip = "No DejaVu Sans on this machine: run `edgeagent models fetch fonts`.";
        }
    }
}

/// <summary>A fact that needs the PaddleOCR models and a CJK font.</summary>
internal sealed class RequiresOcrModelsAndCjkFontFactAttribute : FactAttribute
{
    public RequiresOcrModelsAndCjkFontFactAttribute()
    {
        if (!OcrAssets.ModelsPresent || OcrAssets.LatinFont is null || OcrAssets.CjkFont is null)
        {
            Skip = "Needs the PaddleOCR models and a Chinese font: run `edgeagent models fetch paddleocr` and `edgeagent models fetch fonts`.";
        }
    }
}

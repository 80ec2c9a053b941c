using System.Runtime.InteropServices;

namespace EdgeAgent.Inference.Execution;

/// <summary>The C heap ONNX Runtime allocates from.</summary>
public static class NativeHeap
{
    /// <summary>
    /// Returns the C heap's free memory to the system (glibc <c>malloc_trim(0)</c>). Used by the
    /// model profiler before a resident-set measurement and by an idle node giving memory back.
    /// Does nothing where glibc is absent (musl, other operating systems).
    /// </summary>
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl (Alpine) has no malloc_trim: only the managed heap is given back.
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
}

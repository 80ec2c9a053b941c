using System.Runtime.InteropServices;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>The C heap ONNX Runtime allocates from.</summary>
internal static partial class NativeHeap
{
    /// <summary>
    /// Returns the C heap's free memory to the system (glibc <c>malloc_trim(0)</c>), so a resident-set
    /// measurement that follows starts from what is really in use. Does nothing where glibc is absent.
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
            // musl (Alpine) has no malloc_trim; the measurement is then an upper bound of reuse.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

using System.Runtime.InteropServices;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The few SQLite calls the decision log's writer makes per row, straight into the same native
/// library that Microsoft.Data.Sqlite's SQLitePCL provider loads (<c>e_sqlite3</c>), on the raw
/// statement pointer. Through SQLitePCL each call went through the provider's interface, a marshalling
/// stub that added and released a reference on the statement's <see cref="SafeHandle"/>, and a GC
/// transition: in perf of a writer harness those were a larger part of a row's managed cost than the
/// binding itself (6 December). The caller keeps the statement alive (a reference added for the
/// batch) and passes <see cref="SafeHandle.DangerousGetHandle"/>.
/// </summary>
/// <remarks>
/// The bind calls are marked <see cref="SuppressGCTransitionAttribute"/>: each copies at most a few
/// hundred bytes under the connection's uncontended mutex (only the writer uses the connection), never
/// blocks on I/O and never calls back into .NET. <c>sqlite3_step</c> (which may write and wait for a
/// lock) and <c>sqlite3_reset</c> keep the GC transition.
/// </remarks>
internal static class SqliteNative
{
    private const string Library = "e_sqlite3";

    /// <summary><c>SQLITE_TRANSIENT</c>: SQLite copies the value before the bind call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    /// <summary>
    /// Null when the library these calls reach is the one Microsoft.Data.Sqlite's connections use
    /// (SQLitePCL's provider is <c>e_sqlite3</c> and both report the same SQLite version), else why not.
    /// </summary>
    public static string? Mismatch()
    {
        var provider = SQLitePCL.raw.GetNativeLibraryName();
        if (!string.Equals(provider, Library, StringComparison.Ordinal))
        {
            return $"Microsoft.Data.Sqlite uses the SQLite library '{provider}', not '{Library}'";
        }

        try
        {
            var version = sqlite3_libversion_number();
            var expected = SQLitePCL.raw.sqlite3_libversion_number();
            return version == expected ? null : FormattableString.Invariant($"'{Library}' reports SQLite {version}, Microsoft.Data.Sqlite's connection {expected}");
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return $"'{Library}' cannot be loaded ({ex.Message})";
        }
    }

    public static int BindInt64(IntPtr statement, int index, long value) => sqlite3_bind_int64(statement, index, value);

    public static int BindDouble(IntPtr statement, int index, double value) => sqlite3_bind_double(statement, index, value);

    public static int BindNull(IntPtr statement, int index) => sqlite3_bind_null(statement, index);

    /// <summary>Binds UTF-8 text (SQLite copies it); an empty span binds the empty string, not NULL.</summary>
    public static int BindText(IntPtr statement, int index, ReadOnlySpan<byte> utf8)
    {
        // A pointer that is not null even for the empty string (a null pointer would bind NULL).
        ReadOnlySpan<byte> empty = [0];
        return sqlite3_bind_text(statement, index, ref MemoryMarshal.GetReference(utf8.IsEmpty ? empty : utf8), utf8.Length, Transient);
    }

    /// <summary>Binds a blob (SQLite copies it); an empty span binds an empty blob, not NULL.</summary>
    public static int BindBlob(IntPtr statement, int index, ReadOnlySpan<byte> value) =>
        value.IsEmpty ? sqlite3_bind_zeroblob(statement, index, 0) : sqlite3_bind_blob(statement, index, ref MemoryMarshal.GetReference(value), value.Length, Transient);

    public static int Step(IntPtr statement) => sqlite3_step(statement);

    public static int Reset(IntPtr statement) => sqlite3_reset(statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_int64(IntPtr statement, int index, long value);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_double(IntPtr statement, int index, double value);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_null(IntPtr statement, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_text(IntPtr statement, int index, ref byte value, int length, IntPtr destructor);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_blob(IntPtr statement, int index, ref byte value, int length, IntPtr destructor);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int sqlite3_bind_zeroblob(IntPtr statement, int index, int length);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    private static extern int sqlite3_libversion_number();

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    private static extern int sqlite3_step(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    private static extern int sqlite3_reset(IntPtr statement);
}

using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeAgent.Node.Security;

/// <summary>
/// Gives a node's Unix socket mode 0660 and, when Endpoint:SocketGroup is set, that group: who
/// may connect is who may read and write the socket file, and callers on it are trusted as
/// operators (the socket's mode is their credential).
/// </summary>
public static partial class UnixSocketAccess
{
    /// <summary>Mode of the socket: owner and group read and write, nothing for others.</summary>
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Sets the mode and, when <paramref name="group"/> is given (a name or a number), the group.</summary>
    /// <exception cref="IOException">The mode or group cannot be set; the message says why.</exception>
    public static void Apply(string path, string? group)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(group))
        {
            var gid = ResolveGroup(group.Trim());
            if (Chown(path, uint.MaxValue, gid) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException(errno == 1
                    ? $"the group of '{path}' cannot be set to '{group}': not permitted (the node's user must be a member of that group)"
                    : string.Create(CultureInfo.InvariantCulture, $"the group of '{path}' cannot be set to '{group}' (errno {errno})"));
            }
        }

        File.SetUnixFileMode(path, SocketMode);
    }

    /// <summary>The numeric id of a group given by name or number.</summary>
    /// <exception cref="IOException">No such group.</exception>
    public static uint ResolveGroup(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var entry = GetGroupByName(group);
        if (entry == IntPtr.Zero)
        {
            throw new IOException($"group '{group}' does not exist");
        }

        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "getgrnam", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr GetGroupByName([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// One numeric sysfs attribute, kept open and re-read at offset 0 (sysfs regenerates the value on
/// every read from the start), so a sample costs one pread and no allocation instead of an
/// open/read/close per file.
/// </summary>
internal sealed class SysfsAttribute : IDisposable
{
    private SafeFileHandle? _handle;

    public SysfsAttribute(string path) => Path = path;

    public string Path { get; }

    public bool TryReadInt64(out long value)
    {
        value = 0;
        Span<byte> buffer = stackalloc byte[64];
        int read;
        try
        {
            _handle ??= File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = RandomAccess.Read(_handle, buffer, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The device may have gone away (driver unbound, hwmon renumbered): reopen next time.
            _handle?.Dispose();
            _handle = null;
            return false;
        }

        var text = buffer[..read].Trim(" \t\r\n\0"u8);
        return Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length;
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    /// <summary>Reads a whole small text file (labels, names), trimmed; null when absent or unreadable.</summary>
    public static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when the file exists and one read of it succeeds as a number.</summary>
    public static bool CanRead(string path)
    {
        using var attribute = new SysfsAttribute(path);
        return attribute.TryReadInt64(out _);
    }

    /// <summary>Joins a sysfs root ("/" on a real machine, a temp folder in tests) with an absolute sysfs path.</summary>
    public static string Under(string root, string absolutePath) =>
        System.IO.Path.Join(root, absolutePath.TrimStart('/'));
}

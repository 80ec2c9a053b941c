using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Whole-machine CPU utilisation from the first line of <c>/proc/stat</c>: 1 - (idle + iowait)
/// share of the jiffies elapsed since the previous call. Used by the model source to move between
/// idle and busy power.
/// </summary>
public sealed class CpuUtilisation : IDisposable
{
    private readonly string _path;
    private SafeFileHandle? _handle;
    private long _lastTotal;
    private long _lastIdle;
    private double _last;

    /// <summary>Reads <c>proc/stat</c> under <paramref name="root"/> ("/" on a real machine).</summary>
    public CpuUtilisation(string root = "/") => _path = SysfsAttribute.Under(root, "/proc/stat");

    /// <summary>Utilisation in [0, 1] since the previous call (0 on the first call, or the previous value if unreadable).</summary>
    public double Sample()
    {
        Span<byte> buffer = stackalloc byte[512];
        int read;
        try
        {
            _handle ??= File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            read = RandomAccess.Read(_handle, buffer, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return _last;
        }

        var line = buffer[..read];
        var newline = line.IndexOf((byte)'\n');
        if (newline >= 0)
        {
            line = line[..newline];
        }

        if (!line.StartsWith("cpu "u8))
        {
            return _last;
        }

        line = line[4..];
        long total = 0, idle = 0;
        for (var field = 0; ; field++)
        {
            line = line.TrimStart((byte)' ');
            if (line.IsEmpty || !Utf8Parser.TryParse(line, out long value, out var consumed))
            {
                break;
            }

            line = line[consumed..];
            // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
            if (field >= 8)
            {
                break;
            }

            total += value;
            if (field is 3 or 4)
            {
                idle += value;
            }
        }

        var dTotal = total - _lastTotal;
        var dIdle = idle - _lastIdle;
        var first = _lastTotal == 0;
        _lastTotal = total;
        _lastIdle = idle;
        if (first || dTotal <= 0)
        {
            return _last;
        }

        _last = Math.Clamp(1.0 - ((double)dIdle / dTotal), 0.0, 1.0);
        return _last;
    }

    /// <inheritdoc />
    public void Dispose() => _handle?.Dispose();
}

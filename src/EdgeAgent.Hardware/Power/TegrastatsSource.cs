using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Power from <c>tegrastats</c> output, for Jetson boards whose sysfs monitors are not readable by
/// the service user. Lines are read from a <see cref="TextReader"/> (a started
/// <c>tegrastats --interval MS</c> process, or any reader in tests) on a background task;
/// <see cref="TryRead"/> returns the latest line's rails while it is fresher than the maximum age.
/// </summary>
public sealed class TegrastatsSource : IPowerSource
{
    private readonly TextReader _reader;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxAge;
    private readonly Process? _process;
    private readonly CancellationTokenSource _stop = new();
    private PowerSample? _latest;
    private long _latestTimestamp;
    private long _lines;

    /// <summary>Starts reading lines from <paramref name="reader"/>.</summary>
    /// <param name="reader">Source of tegrastats lines.</param>
    /// <param name="time">Clock used to age the latest line.</param>
    /// <param name="maxAge">A line older than this is no longer a reading (tegrastats stopped).</param>
    public TegrastatsSource(TextReader reader, TimeProvider time, TimeSpan maxAge)
        : this(reader, time, maxAge, process: null)
    {
    }

    private TegrastatsSource(TextReader reader, TimeProvider time, TimeSpan maxAge, Process? process)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        _reader = reader;
        _time = time;
        _maxAge = maxAge;
        _process = process;
        Completion = Task.Run(PumpAsync);
    }

    /// <inheritdoc />
    public string Name => "tegrastats";

    /// <inheritdoc />
    public string Description => _process is null
        ? "tegrastats lines from a reader"
        : $"tegrastats process {_process.Id} ({_process.StartInfo.FileName} {_process.StartInfo.Arguments})";

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>Completes when the reader ends or the source is disposed.</summary>
    public Task Completion { get; }

    /// <summary>Lines with at least one rail parsed so far.</summary>
    public long ParsedLines => Interlocked.Read(ref _lines);

    /// <summary>Starts <c>tegrastats --interval <paramref name="interval"/></c> and reads its output.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">tegrastats is not installed or not executable.</exception>
    public static TegrastatsSource StartProcess(TimeSpan interval, TimeProvider time, string executable = "tegrastats")
    {
        ArgumentNullException.ThrowIfNull(time);
        var startInfo = new ProcessStartInfo(executable, $"--interval {(int)Math.Max(1, interval.TotalMilliseconds)}")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start '{executable}'.");
        return new TegrastatsSource(process.StandardOutput, time, interval * 3, process);
    }

    /// <summary>Parses one line and makes it the latest reading when it has rails.</summary>
    public bool Accept(string line)
    {
        if (!TegrastatsParser.TryParseSample(line, out var sample))
        {
            return false;
        }

        lock (_stop)
        {
            _latest = sample;
            _latestTimestamp = _time.GetTimestamp();
        }

        Interlocked.Increment(ref _lines);
        return true;
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        lock (_stop)
        {
            sample = _latest;
            if (sample is null || _time.GetElapsedTime(_latestTimestamp) > _maxAge)
            {
                sample = null;
                return false;
            }

            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        if (_process is { HasExited: false })
        {
            try
            {
                _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
        }

        _process?.Dispose();
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        var token = _stop.Token;
        try
        {
            while (await _reader.ReadLineAsync(token).ConfigureAwait(false) is { } line)
            {
                Accept(line);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The process was killed and its stream closed.
        }
    }
}

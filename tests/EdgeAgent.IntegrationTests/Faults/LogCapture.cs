using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>A logger provider that keeps every entry a node writes (at the levels its filters let through).</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Entries at Information or above that carry an exception (a stack trace in the log).</summary>
    public IReadOnlyList<Entry> WithStackTraces() => Entries.Where(e => e.Level >= LogLevel.Information && e.Exception is not null).ToList();

    internal sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message} {Exception?.GetType().Name}";
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

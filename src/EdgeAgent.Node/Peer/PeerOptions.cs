using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Node.Peer;

/// <summary>PeerService settings; bound from the "Peer" section.</summary>
public sealed class PeerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Peer";

    /// <summary>WatchLoad streams served at once, all clients together; more get RESOURCE_EXHAUSTED.</summary>
    [Range(1, 100_000, ErrorMessage = "Peer:MaxLoadStreams must be between 1 and 100000.")]
    public int MaxLoadStreams { get; set; } = 1024;

    /// <summary>WatchLoad streams one client (certificate subject, else address) may hold open; an agent needs one per peer.</summary>
    [Range(1, 100_000, ErrorMessage = "Peer:MaxLoadStreamsPerClient must be between 1 and 100000.")]
    public int MaxLoadStreamsPerClient { get; set; } = 16;

    /// <summary>Interval between LoadReports when the caller asks for 0 (the default).</summary>
    [Range(10, 60_000, ErrorMessage = "Peer:LoadReportIntervalMs must be between 10 and 60000 milliseconds.")]
    public int LoadReportIntervalMs { get; set; } = 250;

    /// <summary>Shortest interval a caller may ask for; shorter requests are clamped to it.</summary>
    [Range(1, 60_000, ErrorMessage = "Peer:MinLoadReportIntervalMs must be between 1 and 60000 milliseconds.")]
    public int MinLoadReportIntervalMs { get; set; } = 20;

    /// <summary>Longest interval a caller may ask for; longer requests are clamped to it.</summary>
    [Range(1, 600_000, ErrorMessage = "Peer:MaxLoadReportIntervalMs must be between 1 and 600000 milliseconds.")]
    public int MaxLoadReportIntervalMs { get; set; } = 10_000;

    /// <summary>Device description reported by GetCapabilities (defaults to OS and architecture).</summary>
    public string? Device { get; set; }
}

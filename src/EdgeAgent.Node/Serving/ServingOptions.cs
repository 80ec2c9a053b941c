using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Node.Serving;

/// <summary>Inference service settings shared by both roles; bound from the "Serving" section.</summary>
public sealed class ServingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Serving";

    /// <summary>
    /// Cap on the tensor data one request may carry, in bytes. Requests over it get
    /// INVALID_ARGUMENT; the transport refuses messages over twice the cap outright
    /// (RESOURCE_EXHAUSTED) so a bad client cannot make the node buffer more.
    /// </summary>
    [Range(1024, 1L << 30, ErrorMessage = "Serving:MaxRequestBytes must be between 1024 and 1073741824 bytes.")]
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Name this node reports in ServerMetadata and GetCapabilities.</summary>
    /// <remarks>It reaches clients in responses, logs and metric labels, so control characters (a line break, an escape) are refused.</remarks>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Serving:NodeName must not be empty.")]
    [RegularExpression(@"[^\p{Cc}]{1,256}", ErrorMessage = "Serving:NodeName must be at most 256 characters and hold no control characters (line breaks, tabs, escapes).")]
    public string NodeName { get; set; } = "edgeagent";

    /// <summary>
    /// Inference service calls processed at once (ModelInfer bodies are read only inside this
    /// limit), so memory held by request messages stays under this many times
    /// <see cref="TransportMessageLimit"/> whatever clients send. Calls over it wait in
    /// <see cref="MaxWaitingRequests"/>; beyond that they get RESOURCE_EXHAUSTED.
    /// </summary>
    [Range(1, 4096, ErrorMessage = "Serving:MaxConcurrentRequests must be between 1 and 4096.")]
    public int MaxConcurrentRequests { get; set; } = 16;

    /// <summary>Inference service calls that may wait for one of <see cref="MaxConcurrentRequests"/>; their bodies stay unread meanwhile (HTTP/2 flow control bounds what the transport buffers).</summary>
    [Range(0, 100_000, ErrorMessage = "Serving:MaxWaitingRequests must be between 0 and 100000.")]
    public int MaxWaitingRequests { get; set; } = 256;

    /// <summary>Longest allowed <see cref="ShutdownTimeout"/>; the CLI's process-termination timeout is longer than it.</summary>
    public static readonly TimeSpan MaxShutdownTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a stopping node (SIGTERM, Ctrl+C) lets calls in progress finish. Offloads still
    /// waiting on a peer after half of it fall back to local execution, so they finish too.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00", ErrorMessage = "Serving:ShutdownTimeout must be between 00:00:01 and 00:02:00.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most parameters one ModelInfer request may carry (request, inputs and outputs together).</summary>
    [Range(0, 10_000, ErrorMessage = "Serving:MaxParameters must be between 0 and 10000.")]
    public int MaxParameters { get; set; } = 64;

    /// <summary>Longest model name, version, request id, tensor name, datatype or parameter key, in characters.</summary>
    [Range(16, 65_536, ErrorMessage = "Serving:MaxNameLength must be between 16 and 65536 characters.")]
    public int MaxNameLength { get; set; } = 256;

    /// <summary>Longest string parameter value, in characters.</summary>
    [Range(0, 1 << 20, ErrorMessage = "Serving:MaxParameterStringLength must be between 0 and 1048576 characters.")]
    public int MaxParameterStringLength { get; set; } = 4096;

    /// <summary>
    /// Calls answered with an error status (malformed, over a limit, refused by admission) are
    /// counted and logged as one summary line per this interval, never one line per call.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Serving:RejectionLogInterval must be between 00:00:01 and 01:00:00.")]
    public TimeSpan RejectionLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After work, once the node has allocated little for this long, one full compacting
    /// collection gives the memory of that work back to the system (<see cref="IdleMemoryTrimmer"/>);
    /// 00:00:00 turns it off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Serving:IdleMemoryTrim must be between 00:00:00 (off) and 01:00:00.")]
    public TimeSpan IdleMemoryTrim { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// When above 0, the node stops (as on SIGTERM) once the process with this id has exited
    /// (<see cref="Hosting.SupervisorWatch"/>): a supervisor that starts nodes as children sets its
    /// own id here (EDGEAGENT_Serving__StopWithProcessId), so they do not outlive it when it is killed
    /// with SIGKILL. 0 (the default) turns it off.
    /// </summary>
    [Range(0, int.MaxValue, ErrorMessage = "Serving:StopWithProcessId must be a process id (1 or more), or 0 for off.")]
    public int StopWithProcessId { get; set; }

    /// <summary>The gRPC message limit derived from <see cref="MaxRequestBytes"/> (twice the cap, at most 2 GB - 1).</summary>
    public int TransportMessageLimit => (int)Math.Min(int.MaxValue, MaxRequestBytes * 2);
}

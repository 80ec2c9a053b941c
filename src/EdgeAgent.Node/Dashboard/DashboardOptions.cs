namespace EdgeAgent.Node.Dashboard;

/// <summary>The agent's dashboard, section "Dashboard"; off unless <see cref="Listen"/> is set.</summary>
public sealed class DashboardOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>
    /// HOST:PORT of the dashboard's HTTP/1.1 listener (flag --dashboard, e.g. 127.0.0.1:8080).
    /// Plaintext: loopback unless Security:Insecure; the API needs the operator token
    /// (Security:OperatorTokenFile). Empty: off.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>Latest decisions the figures are computed from (Dashboard:RecentDecisions, 16 to 65536).</summary>
    public int RecentDecisions { get; set; } = 512;
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Primitives;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// A hosted service that runs <see cref="Check"/> on every reload of the configuration while the host
/// runs (from start to stop): the shape of the checks that tell the operator an edit was refused
/// (<see cref="ConfigurationFileCheck"/>, <c>Agent.ConfigurationReloadCheck</c>).
/// </summary>
internal abstract class ConfigurationReloadWatcher(IConfiguration configuration) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    /// <summary>The configuration watched.</summary>
    protected IConfiguration Configuration { get; } = configuration;

    /// <summary>Checks the configuration as it is now and logs what it finds; returns the problems, one line each (tests call it directly).</summary>
    public abstract IReadOnlyList<string> Check();

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(Configuration.GetReloadToken, () => Check());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
        GC.SuppressFinalize(this);
    }
}

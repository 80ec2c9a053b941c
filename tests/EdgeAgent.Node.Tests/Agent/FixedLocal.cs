using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>A local load source with a fixed load that serves every model (or none).</summary>
internal sealed class FixedLocal(LocalLoad load, bool serves = true) : ILocalLoadSource
{
    public bool Serves(string model) => serves;

    public LocalLoad GetLoad(string model) => load;
}

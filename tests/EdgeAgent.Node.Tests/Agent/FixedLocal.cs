using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>
/// A local load source with a fixed load that serves every model (or none); with
/// <paramref name="expected"/>, a size-aware estimate (input bytes to seconds).
/// </summary>
internal sealed class FixedLocal(LocalLoad load, bool serves = true, Func<long, double?>? expected = null) : ILocalLoadSource
{
    public bool Serves(string model) => serves;

    public LocalLoad GetLoad(string model) => load;

    public double? ExpectedExecSeconds(string model, long inputBytes) => expected?.Invoke(inputBytes);
}

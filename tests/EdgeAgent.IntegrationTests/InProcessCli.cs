using EdgeAgent.Cli.Commands;
using EdgeAgent.IntegrationTests.Agent;

namespace EdgeAgent.IntegrationTests;

/// <summary>Runs the <c>edgeagent</c> commands in process, as the binary parses them (its parse-error rule included), capturing both streams.</summary>
internal static class InProcessCli
{
    /// <summary>Parses and invokes <paramref name="args"/> under a root holding every command; bounded by <see cref="AgentCluster.Bound"/>.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = EdgeAgentCommandLine.CreateRoot();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await EdgeAgentCommandLine.InvokeAsync(root, args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error }).WaitAsync(AgentCluster.Bound);
        return (code, output.ToString(), error.ToString());
    }
}

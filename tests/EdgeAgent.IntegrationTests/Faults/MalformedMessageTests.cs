using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: malformed protobuf (unparseable, truncated, invalid UTF-8, deeply nested unknown
/// groups) got UNKNOWN ("Exception was thrown by handler") with a stack trace in the log, because
/// gRPC parses a request before any handler runs. Every method of every service on both roles
/// must answer INVALID_ARGUMENT with one line naming the problem, log no stack trace, and count
/// the refusals in one summary line.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class MalformedMessageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Bytes no request message parses from, and the fragment of the message each must get.</summary>
    public static IEnumerable<(string Name, byte[] Bytes, string Fragment, bool StringFieldOneOnly)> Cases()
    {
        yield return ("malformed varint", [0x08, .. Enumerable.Repeat((byte)0xFF, 11)], "malformed varint", false);
        yield return ("tag zero", [0x00], "invalid tag", false);
        yield return ("truncated field", [0x0A, 0x0A, 0x61, 0x62, 0x63], "truncated", false);
        yield return ("unknown field claiming 2 GB", [0x7A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07], "Malformed", false);
        yield return ("unknown groups nested 150 deep", [.. Enumerable.Repeat((byte)0x7B, 150), .. Enumerable.Repeat((byte)0x7C, 150)], "nested deeper", false);
        yield return ("invalid UTF-8 in a string", [0x0A, 0x02, 0xC3, 0x28], "not valid UTF-8", true);
    }

    [Fact]
    public async Task EveryPeerMethod_MalformedMessage_InvalidArgumentWithOneLineAndNoStackTrace()
    {
        using var repo = TempRepository.Standard();
        var log = new LogCapture();
        await using var peer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root }, b => Capture(b, log)).WaitAsync(Bound);

        await AssertEveryMethodRefusesAsync(peer, log, [GRPCInferenceService.Descriptor, PeerService.Descriptor, Grpc.Health.V1.Health.Descriptor]);
    }

    [Fact]
    public async Task EveryAgentMethod_MalformedMessage_InvalidArgumentWithOneLineAndNoStackTrace()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var log = new LogCapture();
        var agent = await cluster.StartAgentAsync(
            cluster.AgentSettings("heuristic", $"edge={peer.GetTcpAddress()}"),
            b => Capture(b, log));

        await AssertEveryMethodRefusesAsync(agent, log, [GRPCInferenceService.Descriptor, ControlService.Descriptor, Grpc.Health.V1.Health.Descriptor]);
    }

    private static void Capture(WebApplicationBuilder builder, LogCapture log)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
    }

    private static async Task AssertEveryMethodRefusesAsync(WebApplication node, LogCapture log, Google.Protobuf.Reflection.ServiceDescriptor[] services)
    {
        using var channel = GrpcChannel.ForAddress(node.GetTcpAddress());
        var invoker = channel.CreateCallInvoker();
        var sent = 0;
        var failures = new List<string>();
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            foreach (var (name, bytes, fragment, stringFieldOneOnly) in Cases())
            {
                if (stringFieldOneOnly && method.InputType.FindFieldByNumber(1)?.FieldType != FieldType.String)
                {
                    continue;
                }

                sent++;
                var error = await RawCalls.SendAsync(invoker, method, bytes, TimeSpan.FromSeconds(20)).WaitAsync(Bound);
                if (error is null || error.StatusCode != StatusCode.InvalidArgument
                    || !error.Status.Detail.Contains(fragment, StringComparison.Ordinal)
                    || !error.Status.Detail.StartsWith("Malformed ", StringComparison.Ordinal)
                    || error.Status.Detail.Contains('\n', StringComparison.Ordinal))
                {
                    failures.Add($"{method.FullName} / {name}: {(error is null ? "OK" : $"{error.StatusCode} \"{error.Status.Detail}\"")}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Empty(log.WithStackTraces());
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);

        // One summary line for all of them, not one line per call.
        node.Services.GetRequiredService<RejectedCallLog>().Flush();
        var summaries = log.Entries.Where(e => e.EventId.Id == 3210).ToList();
        var summary = Assert.Single(summaries);
        Assert.Contains($"Refused or failed {sent} calls", summary.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidArgument", summary.Message, StringComparison.Ordinal);
    }
}

/// <summary>gRPC calls whose request is given as raw bytes (any method, any message).</summary>
internal static class RawCalls
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Sends <paramref name="body"/> as the (only) request message of <paramref name="method"/>; the call's error, or null when it ended OK.</summary>
    public static async Task<RpcException?> SendAsync(CallInvoker invoker, MethodDescriptor method, byte[] body, TimeSpan deadline)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        var grpcMethod = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Bytes, Bytes);
        var options = new CallOptions(deadline: DateTime.UtcNow + deadline);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(grpcMethod, null, options, body);
                    break;
                case MethodType.ServerStreaming:
                {
                    using var call = invoker.AsyncServerStreamingCall(grpcMethod, null, options, body);
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                    }

                    break;
                }

                default:
                {
                    using var call = invoker.AsyncDuplexStreamingCall(grpcMethod, null, options);
                    await call.RequestStream.WriteAsync(body);
                    await call.RequestStream.CompleteAsync();
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                    }

                    break;
                }
            }

            return null;
        }
        catch (RpcException ex)
        {
            return ex;
        }
    }
}

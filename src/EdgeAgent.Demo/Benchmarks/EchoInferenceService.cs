using EdgeAgent.Contracts.Inference;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// The benchmark baseline for transport cost: a ModelInfer that returns its raw inputs as raw
/// outputs, with nothing else done. The same payload through this service and through the agent
/// isolates what the agent adds.
/// </summary>
public sealed class EchoInferenceService : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <inheritdoc />
    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new ModelInferResponse { ModelName = request.ModelName, Id = request.Id };
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            var output = new ModelInferResponse.Types.InferOutputTensor { Name = input.Name, Datatype = input.Datatype };
            output.Shape.AddRange(input.Shape);
            response.Outputs.Add(output);
        }

        response.RawOutputContents.AddRange(request.RawInputContents);
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });
}

/// <summary>Hosts <see cref="EchoInferenceService"/> on Kestrel with the nodes' HTTP/2 settings.</summary>
public static class EchoHost
{
    /// <summary>Starts an echo server on 127.0.0.1 with a free port; dispose it to stop.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = int.MaxValue;
            o.MaxSendMessageSize = int.MaxValue;
        });
        var app = builder.Build();
        app.MapGrpcService<EchoInferenceService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }
}

using System.CommandLine;
using System.Globalization;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent agent`: serve local applications and decide per request where it runs.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "TCP endpoint HOST:PORT (Endpoint:Listen, default 127.0.0.1:8001)." };
        var socket = new Option<string?>("--socket") { Description = "Also serve on this Unix socket path (Endpoint:Socket)." };
        var models = new Option<string?>("--models") { Description = "Model repository folder <model>/<version>/model.onnx (Models:Path)." };
        var peers = new Option<string[]>("--peer")
        {
            Description = "A peer as NAME=URL[;rtt=40ms][;bw=50mbit][;kind=edge], or a group of peers behind one name as NAME=dns:///HOST:PORT[;tls=on][;kind=edge] (every address HOST resolves to is a member, balanced round_robin), repeatable (Agent:Peers:NAME). rtt and bw emulate a link for demos.",
            AllowMultipleArgumentsPerToken = false,
        };
        var policy = new Option<string?>("--policy")
        {
            Description = "Offload policy: learned (the ONNX policy of --policy-file), heuristic, local or peer (Agent:Policy, default learned).",
        };
        var policyFile = new Option<string?>("--policy-file")
        {
            Description = "The learned policy's ONNX file, reloaded when it changes (Agent:PolicyFile, default policies/agent-default.onnx beside the binary).",
        };
        var preference = new Option<double?>("--preference") { Description = "Delay weight in [0, 1]; energy weight is 1 minus it (Agent:Preference, default 0.5)." };
        var timeout = new Option<double?>("--offload-timeout-ms") { Description = "Longest wait for a peer before running locally (Agent:OffloadTimeout, default 5000); a peer found hung earlier (--hung-peer-floor-ms) releases its calls to run locally at once." };
        var hungFloor = new Option<double?>("--hung-peer-floor-ms")
        {
            Description = "Hung-peer detection: a peer that has answered before and now leaves a call waiting longer than max(Agent:HungPeerFactor (default 4) x its expected time, this floor) without answering anything gets no new work until a trial call succeeds, and the calls waiting on it run locally at once (Agent:HungPeerFloor, default 250; 0 turns detection off; at or above --offload-timeout-ms it never acts first).",
        };
        timeout.MustBeFinite("milliseconds");
        hungFloor.MustBeFinite("milliseconds");
        var name = new Option<string?>("--name") { Description = "Node name reported to clients (Serving:NodeName)." };
        var maxDrop = new Option<double?>("--max-accuracy-drop")
        {
            Description = "Largest accuracy loss, in points against fp32, of a quantized variant the agent may run; variants without an accuracy figure are not offered, 0 allows only lossless ones (Agent:MaxAccuracyDropPoints, default 1).",
        };
        var profileDevice = new Option<string?>("--profile-device")
        {
            Description = "Device name of the variant profiles to read, <model>/<version>/profiles/NAME.json (Agent:ProfileDevice, default this machine's name, as `models profile --device`).",
        };

        var operatorToken = new Option<string?>("--operator-token-file")
        {
            Description = "File holding the operator bearer token (Security:OperatorTokenFile, at least 16 characters), for `pref set` and `status` over TCP; re-read when it changes.",
        };
        var decisionLog = new Option<string?>("--decision-log")
        {
            Description = "Durable decision log: the SQLite file or a directory for decisions.db (DecisionLog:Path; default $STATE_DIRECTORY, /var/lib/edgeagent under systemd, else ~/.cache/edgeagent/state), or 'off' (DecisionLog:Enabled=false).",
        };
        var dashboard = new Option<string?>("--dashboard")
        {
            Description = "Serve the dashboard (live placements, peers, the delay/energy front, a preference slider) at http://HOST:PORT/ on its own HTTP/1.1 listener, e.g. 127.0.0.1:8080 (Dashboard:Listen; needs --operator-token-file; loopback unless --insecure). Default: off.",
        };
        var security = new NodeSecurityOptions();
        var telemetry = new NodeTelemetryFlags();

        var command = new Command("agent", "Serve models to local applications and offload each request to where it runs best.");
        foreach (var option in new Option[] { listen, socket, models, peers, policy, policyFile, preference, timeout, hungFloor, name, maxDrop, profileDevice, operatorToken, decisionLog, dashboard })
        {
            command.Options.Add(option);
        }

        security.AddTo(command);
        telemetry.AddTo(command);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            return await NodeCommandRunner.RunAsync(() =>
            {
                var overrides = new Dictionary<string, string?>();
                Set(overrides, "Endpoint:Listen", parseResult.GetValue(listen));
                Set(overrides, "Endpoint:Socket", parseResult.GetValue(socket));
                Set(overrides, "Models:Path", parseResult.GetValue(models));
                Set(overrides, "Serving:NodeName", parseResult.GetValue(name));
                Set(overrides, "Agent:Policy", parseResult.GetValue(policy));
                Set(overrides, "Agent:PolicyFile", parseResult.GetValue(policyFile));
                Set(overrides, "Agent:Preference", parseResult.GetValue(preference));
                Set(overrides, "Agent:MaxAccuracyDropPoints", parseResult.GetValue(maxDrop));
                Set(overrides, "Agent:ProfileDevice", parseResult.GetValue(profileDevice));
                Set(overrides, "Security:OperatorTokenFile", parseResult.GetValue(operatorToken));
                Set(overrides, "Dashboard:Listen", parseResult.GetValue(dashboard));
                security.Apply(parseResult, overrides);
                telemetry.Apply(parseResult, overrides);
                if (parseResult.GetValue(decisionLog)?.Trim() is { Length: > 0 } log)
                {
                    overrides["DecisionLog:Enabled"] = string.Equals(log, "off", StringComparison.OrdinalIgnoreCase) ? "false" : "true";
                    if (!string.Equals(log, "off", StringComparison.OrdinalIgnoreCase))
                    {
                        overrides["DecisionLog:Path"] = log;
                    }
                }

                if (parseResult.GetValue(timeout) is { } ms)
                {
                    overrides["Agent:OffloadTimeout"] = Duration(ms);
                }

                if (parseResult.GetValue(hungFloor) is { } floorMs)
                {
                    overrides["Agent:HungPeerFloor"] = Duration(floorMs);
                }

                foreach (var (key, value) in AgentHost.PeerKeys(parseResult.GetValue(peers) ?? []))
                {
                    overrides[key] = value;
                }

                return AgentHost.Build([], overrides);
            }, parseResult, cancellationToken);
        });
        return command;
    }

    // Milliseconds as a setting's duration (NaN and infinities are refused by the option itself);
    // a value beyond TimeSpan's range is passed as given, so binding refuses it naming the setting.
    private static string Duration(double milliseconds) =>
        double.IsFinite(milliseconds) && Math.Abs(milliseconds) < TimeSpan.MaxValue.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(milliseconds).ToString("c", CultureInfo.InvariantCulture)
            : milliseconds.ToString(CultureInfo.InvariantCulture);

    private static void Set<T>(Dictionary<string, string?> overrides, string key, T? value)
    {
        if (value is not null)
        {
            overrides[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
        }
    }
}

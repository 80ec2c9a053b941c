using System.Globalization;
using EdgeAgent.Contracts.V1;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace EdgeAgent.IntegrationTests.Dashboard;

/// <summary>
/// The agent's dashboard in a real headless Chromium (Debian's chromium package, driven by
/// Playwright through its executable path; no browser download): the page loads with the operator
/// token, shows live numbers that change when requests are served, and moving the slider changes
/// the agent's preference as the control API (what `edgeagent status` reads) reports it.
/// </summary>
public sealed class DashboardBrowserTests
{
    // Twice the cluster's bound: Chromium's start and first paint share 2 cores with the whole suite.
    private static readonly float Timeout = (float)(2 * AgentCluster.Bound.TotalMilliseconds);

    [SkippableFact]
    public async Task Dashboard_InChromium_ShowsLiveNumbersAndSliderSetsPreference()
    {
        var chromium = ChromiumLocator.Find();
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("heuristic", $"edge={peer.GetTcpAddress()}") with
        {
            Extra = AgentCluster.FastAgentSettings(("Dashboard:Listen", "127.0.0.1:0"), ("Agent:Preference", "0.5")),
        });
        var control = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(control, "edge", connected: true);
        var token = (await File.ReadAllTextAsync(cluster.TokenFile)).Trim();
        var dashboard = agent.GetDashboardAddress() ?? throw new InvalidOperationException("the dashboard listener has no address");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Timeout = Timeout });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (consoleErrors)
                {
                    consoleErrors.Add(message.Text + " " + message.Location);
                }
            }
        };

        // The page loads, asks for the token, and with it shows the agent's state.
        await page.GotoAsync(dashboard.ToString());
        await page.Locator("#login").WaitForAsync();
        await page.Locator("#token").FillAsync(token);
        await page.Locator("#login button[type=submit]").ClickAsync();
        await page.Locator("#main").WaitForAsync();
        Assert.Equal("heuristic", await page.Locator("#policy").TextContentAsync());
        Assert.Equal("0.50", await page.Locator("#delay-weight").TextContentAsync());
        await WaitForTextAsync(page, "#requests-total", "0");
        await page.Locator("#peers tbody tr", new PageLocatorOptions { HasText = "edge" }).WaitForAsync();
        Assert.Contains("no request yet", await page.Locator("#policy-operating").TextContentAsync(), StringComparison.Ordinal);

        // Live numbers: served requests appear without reloading the page.
        for (var i = 0; i < 3; i++)
        {
            AgentCluster.AssertAddNegOutputs(await AgentCluster.InferAsync(control));
        }

        await WaitForTextAsync(page, "#requests-total", "3");
        await page.Locator("#placements tbody tr").First.WaitForAsync();
        var placementRows = await page.Locator("#placements tbody tr").AllInnerTextsAsync();
        Assert.Equal(3, placementRows.Sum(row => int.Parse(row.Split('\t')[1], CultureInfo.InvariantCulture)));
        await page.Locator("#policy-front tbody tr").First.WaitForAsync();
        await page.Locator("#operating-point").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        Assert.Contains("w_delay 0.50", await page.Locator("#policy-operating").TextContentAsync(), StringComparison.Ordinal);

        // The slider: Home moves it to 0 (all energy), then two steps right to 0.10; each change
        // is one POST that the agent applies through the control path of `pref set`.
        var slider = page.Locator("#slider");
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await WaitForWeightAsync(control, 0.0);
        await WaitForTextAsync(page, "#slider-status", "set to 0.00");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        var status = await WaitForWeightAsync(control, 0.1);
        await WaitForTextAsync(page, "#delay-weight", "0.10");
        Assert.Equal(0.1, status.DelayWeight, 9);

        // A preference set elsewhere (`pref set`) shows on the page at its next refresh.
        await new ControlService.ControlServiceClient(control).SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = 0.8 }).ResponseAsync.WaitAsync(AgentCluster.Bound);
        await WaitForTextAsync(page, "#delay-weight", "0.80");
        Assert.Equal("0.8", await slider.InputValueAsync());
        lock (consoleErrors)
        {
            Assert.Empty(consoleErrors);
        }
    }

    [SkippableFact]
    public async Task Dashboard_InChromium_WrongTokenShowsLoginAgain()
    {
        var chromium = ChromiumLocator.Find();
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local") with
        {
            Extra = AgentCluster.FastAgentSettings(("Dashboard:Listen", "127.0.0.1:0")),
        });
        var dashboard = agent.GetDashboardAddress()!;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Timeout = Timeout });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(Timeout);

        await page.GotoAsync(dashboard + "#token=wrong-token-0123456789abcdef");
        await page.Locator("#login").WaitForAsync();
        await WaitForTextAsync(page, "#login-error", "The bearer token does not match Security:OperatorTokenFile.");

        Assert.True(await page.Locator("#main").IsHiddenAsync());
    }

    private static async Task WaitForTextAsync(IPage page, string selector, string text) =>
        await page.WaitForFunctionAsync(
            "([selector, text]) => document.querySelector(selector)?.textContent === text",
            new object[] { selector, text },
            new PageWaitForFunctionOptions { Timeout = Timeout, PollingInterval = 50 });

    private static Task<AgentStatus> WaitForWeightAsync(Grpc.Net.Client.GrpcChannel control, double weight) =>
        AgentCluster.WaitForStatusAsync(control, s => Math.Abs(s.DelayWeight - weight) < 1e-9, $"the control API reports delay weight {weight}");
}

/// <summary>
/// Where the system Chromium is: EDGEAGENT_CHROMIUM, else Debian's /usr/bin/chromium (or
/// chromium-browser). Missing, the browser tests fail under CI (CI=true: .ci/run installs the
/// package, so a missing browser is a broken CI) and are skipped with a message elsewhere.
/// </summary>
internal static class ChromiumLocator
{
    public const string Variable = "EDGEAGENT_CHROMIUM";

    public static string Find()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        string[] candidates = string.IsNullOrWhiteSpace(configured) ? ["/usr/bin/chromium", "/usr/bin/chromium-browser"] : [configured];
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var message = $"No Chromium at {string.Join(" or ", candidates)}: install Debian's package (apt-get install -y chromium) or set {Variable} to a Chromium executable.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message + " Under CI this is a failure: .ci/run installs chromium.");
        }

        Skip.If(true, message);
        return "";
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.AspNetCore.Builder;

namespace EdgeAgent.IntegrationTests.Dashboard;

/// <summary>The dashboard's HTTP API by a plain HTTP/1.1 client: the operator token, bad bodies, the settings it needs.</summary>
public sealed class DashboardApiTests
{
    private static async Task<(AgentCluster Cluster, WebApplication Agent, Uri Dashboard)> StartAsync()
    {
        var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local") with
        {
            Extra = AgentCluster.FastAgentSettings(("Dashboard:Listen", "127.0.0.1:0")),
        });
        return (cluster, agent, agent.GetDashboardAddress() ?? throw new InvalidOperationException("no dashboard address"));
    }

    private static HttpClient Client(Uri dashboard, string? token) => new()
    {
        BaseAddress = dashboard,
        Timeout = AgentCluster.Bound,
        DefaultRequestHeaders = { Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token) },
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Page_WithoutToken_ServedButApiRefused()
    {
        var (cluster, _, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var anonymous = Client(dashboard, null);

        using var page = await anonymous.GetAsync("/");
        using var state = await anonymous.GetAsync("/api/state");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>EdgeAgent dashboard</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, state.StatusCode);
        Assert.Contains("operator token", await state.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetPreference_WrongToken_ForbiddenAndPreferenceUnchanged()
    {
        var (cluster, agent, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var wrong = Client(dashboard, "wrong-token-0123456789abcdef");

        using var response = await wrong.PostAsync("/api/preference", Json("""{"delayWeight": 0.9}"""));
        var status = await AgentCluster.WaitForStatusAsync(cluster.Channel(agent), _ => true, "status answers");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("wrong-token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0.5, status.DelayWeight);
    }

    [Theory]
    [InlineData("""{"delayWeight": 1.5}""", "must be in [0, 1]")]
    [InlineData("""{"delayWeight": "high"}""", "not JSON of the form")]
    [InlineData("""{}""", "needs delayWeight")]
    [InlineData("""not json""", "not JSON of the form")]
    public async Task SetPreference_BadBody_BadRequestNamingTheProblem(string body, string expected)
    {
        var (cluster, _, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var client = Client(dashboard, (await File.ReadAllTextAsync(cluster.TokenFile)).Trim());

        using var response = await client.PostAsync("/api/preference", Json(body));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetPreference_HugeBody_RefusedWithoutReadingIt()
    {
        var (cluster, _, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var client = Client(dashboard, (await File.ReadAllTextAsync(cluster.TokenFile)).Trim());

        using var response = await client.PostAsync("/api/preference", Json("{\"delayWeight\": 0.5, \"pad\": \"" + new string('x', 8192) + "\"}"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SetPreference_RightToken_SetsTheAgentsPreference()
    {
        var (cluster, agent, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var client = Client(dashboard, (await File.ReadAllTextAsync(cluster.TokenFile)).Trim());

        using var response = await client.PostAsync("/api/preference", Json("""{"delayWeight": 0.25}"""));
        var state = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var status = await AgentCluster.WaitForStatusAsync(cluster.Channel(agent), _ => true, "status answers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.25, state.GetProperty("delayWeight").GetDouble());
        Assert.Equal(0.25, status.DelayWeight);
    }

    [Fact]
    public async Task State_AfterRequests_HasPlacementsAndThePolicyFront()
    {
        var (cluster, agent, dashboard) = await StartAsync();
        await using var _ = cluster;
        using var client = Client(dashboard, (await File.ReadAllTextAsync(cluster.TokenFile)).Trim());
        await AgentCluster.InferAsync(cluster.Channel(agent));
        await AgentCluster.InferAsync(cluster.Channel(agent));

        var state = JsonDocument.Parse(await client.GetStringAsync("/api/state")).RootElement;

        Assert.Equal("local", state.GetProperty("policy").GetString());
        Assert.Equal(2, state.GetProperty("requests").GetProperty("local").GetInt64());
        var placement = Assert.Single(state.GetProperty("placements").EnumerateArray());
        Assert.Equal("local", placement.GetProperty("placement").GetString());
        Assert.Equal(2, placement.GetProperty("requests").GetInt32());
        var front = state.GetProperty("policyFront");
        Assert.Equal("add_neg", front.GetProperty("model").GetString());
        Assert.Equal(21, front.GetProperty("points").GetArrayLength());
        Assert.All(front.GetProperty("points").EnumerateArray(), p => Assert.Equal("local", p.GetProperty("placement").GetString()));
        Assert.Equal(0.5, front.GetProperty("operating").GetProperty("delayWeight").GetDouble());
    }

    [Fact]
    public async Task Start_DashboardWithoutOperatorToken_RefusedNamingTheSetting()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local") with
        {
            Extra = AgentCluster.FastAgentSettings(("Dashboard:Listen", "127.0.0.1:0"), ("Security:OperatorTokenFile", "")),
        };

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));

        Assert.Contains("Dashboard:Listen (--dashboard)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Security:OperatorTokenFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DashboardOnAllAddressesWithoutInsecure_Refused()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local") with
        {
            Extra = AgentCluster.FastAgentSettings(("Dashboard:Listen", "0.0.0.0:0")),
        };

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));

        Assert.Contains("is not a loopback address", ex.Message, StringComparison.Ordinal);
    }
}

using System.Reflection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Hosting;

/// <summary>
/// Every log message the project declares has an event id of its own, across all its assemblies,
/// so an operator can filter or alert on one message by its id (two variant-profile warnings had
/// taken the ids of the configuration-reload warnings).
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void LoggerMessages_AcrossTheProject_HaveDistinctEventIds()
    {
        var messages = ProjectAssemblies()
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => (x.Attribute!.EventId, Name: x.Method.DeclaringType!.FullName + "." + x.Method.Name))
            .ToList();

        var shared = messages.GroupBy(m => m.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}").ToList();

        Assert.True(messages.Count > 50, $"only {messages.Count} log messages found: the scan missed assemblies");
        Assert.DoesNotContain(messages, m => m.EventId == 0);
        Assert.True(shared.Count == 0, "event ids used more than once: " + string.Join("; ", shared));
    }

    private static IEnumerable<Assembly> ProjectAssemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "EdgeAgent.*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.EndsWith("Tests", StringComparison.Ordinal) && !n.StartsWith("EdgeAgent.Test", StringComparison.Ordinal))
            .Select(n => Assembly.Load(n!));
}

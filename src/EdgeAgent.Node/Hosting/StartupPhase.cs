using System.Text.RegularExpressions;

namespace EdgeAgent.Node.Hosting;

/// <summary>Set while <see cref="NodeHost.StartAsync(Microsoft.AspNetCore.Builder.WebApplication, CancellationToken)"/> runs, so the host's own failure log can be held back.</summary>
internal sealed class StartupPhase
{
    private volatile bool _active;

    /// <summary>True between <see cref="Begin"/> and <see cref="End"/>.</summary>
    public bool Active => _active;

    /// <summary>Start-up begins.</summary>
    public void Begin() => _active = true;

    /// <summary>Start-up ended (started or failed).</summary>
    public void End() => _active = false;
}

/// <summary>Start-up messages as operators read them.</summary>
public static partial class StartupMessages
{
    /// <summary>
    /// The error of a data-annotation failure without its wrapper: "DataAnnotation validation
    /// failed for 'ExecutionOptions' members: 'X' with the error: 'Execution:X must be ...'." becomes
    /// "Execution:X must be ...". Other messages are returned unchanged.
    /// </summary>
    public static string WithoutValidatorPrefix(string failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var match = DataAnnotationFailure().Match(failure);
        return match.Success ? match.Groups[1].Value : failure;
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}

namespace EdgeAgent.Demo.ModelFetch;

/// <summary>Where EdgeAgent keeps downloaded models and fonts for the current user.</summary>
public static class CacheDirectories
{
    /// <summary>
    /// <c>$XDG_CACHE_HOME/edgeagent</c> when that variable is set to an absolute path, else
    /// <c>~/.cache/edgeagent</c>.
    /// </summary>
    public static string Root(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "edgeagent");
        }

        var home = environment("HOME");
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".cache", "edgeagent");
    }

    /// <summary>The default model repository: <c>&lt;cache&gt;/models</c>.</summary>
    public static string Models(Func<string, string?>? environment = null) => Path.Combine(Root(environment), "models");

    /// <summary>Fonts fetched for text rendering: <c>&lt;cache&gt;/fonts</c>.</summary>
    public static string Fonts(Func<string, string?>? environment = null) => Path.Combine(Root(environment), "fonts");
}

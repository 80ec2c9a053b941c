namespace EdgeAgent.Node.Serving;

/// <summary>
/// Text from the wire (a model name or version, an input or output name, a datatype, a parameter
/// key) quoted in an error the caller reads: control characters escaped as <c>\uXXXX</c>, so the
/// status detail and the log line stay one line, and the length capped. Every such quotation goes
/// through here.
/// </summary>
public static class WireText
{
    /// <summary>The default number of characters kept of a quoted name.</summary>
    public const int DefaultKeep = 128;

    /// <summary>
    /// <paramref name="text"/> as it can be quoted: control characters escaped, and when longer than
    /// <paramref name="keep"/> characters, its first <paramref name="keep"/> followed by "...".
    /// </summary>
    public static string Printable(string? text, int keep = DefaultKeep)
    {
        text ??= "";
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var cut = text.Length > keep;
        var builder = new System.Text.StringBuilder(Math.Min(text.Length, keep) + 8);
        foreach (var c in cut ? text.AsSpan(0, keep) : text.AsSpan())
        {
            if (char.IsControl(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return cut ? builder.Append("...").ToString() : builder.ToString();
    }
}

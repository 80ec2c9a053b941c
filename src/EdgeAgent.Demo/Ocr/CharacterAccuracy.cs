using System.Text;

namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Character accuracy of recognised text: 1 - edit distance / length of the expected text
/// (Levenshtein over Unicode scalar values), floored at 0. An accumulator gives the corpus
/// figure 1 - sum(distances) / sum(lengths).
/// </summary>
public sealed class CharacterAccuracy
{
    private long _distance;
    private long _length;

    /// <summary>Lines added so far.</summary>
    public int Lines { get; private set; }

    /// <summary>Lines recognised exactly.</summary>
    public int ExactLines { get; private set; }

    /// <summary>Corpus accuracy in [0, 1]; 1 when nothing was added.</summary>
    public double Value => _length == 0 ? 1.0 : Math.Max(0.0, 1.0 - ((double)_distance / _length));

    /// <summary>Adds one line.</summary>
    public void Add(string expected, string actual)
    {
        var distance = EditDistance(expected, actual);
        _distance += Math.Min(distance, Length(expected));
        _length += Length(expected);
        Lines++;
        if (distance == 0)
        {
            ExactLines++;
        }
    }

    /// <summary>Adds everything another accumulator holds.</summary>
    public void Add(CharacterAccuracy other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _distance += other._distance;
        _length += other._length;
        Lines += other.Lines;
        ExactLines += other.ExactLines;
    }

    /// <summary>Accuracy of one line: 1 - distance / length(expected), floored at 0; 1 when both are empty, 0 when only expected is.</summary>
    public static double Of(string expected, string actual)
    {
        var length = Length(expected);
        if (length == 0)
        {
            return Length(actual) == 0 ? 1.0 : 0.0;
        }

        return Math.Max(0.0, 1.0 - ((double)EditDistance(expected, actual) / length));
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions of one Unicode scalar value each).</summary>
    public static int EditDistance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = a.EnumerateRunes().ToArray();
        var y = b.EnumerateRunes().ToArray();
        var previous = new int[y.Length + 1];
        var current = new int[y.Length + 1];
        for (var j = 0; j <= y.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= x.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= y.Length; j++)
            {
                var substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[y.Length];
    }

    private static int Length(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}

namespace EdgeAgent.Demo.Ocr;

/// <summary>Precision, recall and F1 of predicted boxes against reference boxes.</summary>
/// <param name="Matched">Pairs matched one-to-one with IoU at or above the threshold.</param>
/// <param name="Predicted">Number of predicted boxes.</param>
/// <param name="Reference">Number of reference boxes.</param>
public sealed record BoxMatch(int Matched, int Predicted, int Reference)
{
    /// <summary>Matched / predicted (1 when nothing was predicted and nothing was expected).</summary>
    public double Precision => Predicted == 0 ? (Reference == 0 ? 1 : 0) : (double)Matched / Predicted;

    /// <summary>Matched / reference (1 when nothing was expected).</summary>
    public double Recall => Reference == 0 ? (Predicted == 0 ? 1 : 0) : (double)Matched / Reference;

    /// <summary>Harmonic mean of precision and recall.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Sums the counts of two matches (micro-averaging over images).</summary>
    public static BoxMatch operator +(BoxMatch a, BoxMatch b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new BoxMatch(a.Matched + b.Matched, a.Predicted + b.Predicted, a.Reference + b.Reference);
    }

    /// <summary>Same as the + operator.</summary>
    public static BoxMatch Add(BoxMatch a, BoxMatch b) => a + b;
}

/// <summary>
/// Box F1 between two box sets: pairs are matched one-to-one greedily by decreasing IoU, and a
/// pair counts when its IoU is at least the threshold (0.5 by default, as in ICDAR-style
/// detection scoring).
/// </summary>
public static class BoxF1
{
    /// <summary>Matches <paramref name="predicted"/> against <paramref name="reference"/>.</summary>
    public static BoxMatch Match(IReadOnlyList<TextBox> predicted, IReadOnlyList<TextBox> reference, double iouThreshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(reference);
        var pairs = new List<(double Iou, int P, int R)>();
        for (var p = 0; p < predicted.Count; p++)
        {
            for (var r = 0; r < reference.Count; r++)
            {
                var iou = predicted[p].IntersectionOverUnion(reference[r]);
                if (iou >= iouThreshold)
                {
                    pairs.Add((iou, p, r));
                }
            }
        }

        pairs.Sort(static (a, b) => b.Iou.CompareTo(a.Iou));
        var usedP = new bool[predicted.Count];
        var usedR = new bool[reference.Count];
        var matched = 0;
        foreach (var (_, p, r) in pairs)
        {
            if (!usedP[p] && !usedR[r])
            {
                usedP[p] = usedR[r] = true;
                matched++;
            }
        }

        return new BoxMatch(matched, predicted.Count, reference.Count);
    }

    /// <summary>F1 of one image's boxes.</summary>
    public static double Compute(IReadOnlyList<TextBox> predicted, IReadOnlyList<TextBox> reference, double iouThreshold = 0.5) =>
        Match(predicted, reference, iouThreshold).F1;
}

namespace EdgeAgent.Inference.Repository;

/// <summary>An accuracy figure and what it was measured on.</summary>
/// <param name="Metric">"box-f1", "char-accuracy", "cosine"...</param>
/// <param name="Value">The figure (1 is perfect for the metrics here).</param>
/// <param name="Dataset">The data it was measured on.</param>
/// <param name="Samples">Samples used.</param>
/// <param name="Reference">What the figure compares against ("fp32", "ground-truth").</param>
public sealed record AccuracyFigure(string Metric, double Value, string Dataset, int Samples, string Reference);

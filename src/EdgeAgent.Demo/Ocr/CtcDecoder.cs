using System.Text;

namespace EdgeAgent.Demo.Ocr;

/// <summary>A decoded text line and the mean probability of its characters.</summary>
public sealed record RecognisedText(string Text, double Confidence);

/// <summary>
/// Greedy CTC decoding as PaddleOCR's CTCLabelDecode does it: the best class per time step,
/// consecutive repeats merged, blanks (index 0) removed; confidence is the mean best
/// probability of the kept steps.
/// </summary>
public static class CtcDecoder
{
    /// <summary>Decodes the recogniser's output [1, T, C].</summary>
    public static RecognisedText Decode(OcrTensor output, CharacterDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Shape.Length != 3 || output.Shape[0] != 1)
        {
            throw new ArgumentException($"The recognition output must have shape [1,T,C], got {output}.", nameof(output));
        }

        return Decode(output.Data, output.Shape[1], output.Shape[2], dictionary);
    }

    /// <summary>Decodes <paramref name="steps"/> rows of <paramref name="classes"/> scores.</summary>
    public static RecognisedText Decode(ReadOnlySpan<float> scores, int steps, int classes, CharacterDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        if (scores.Length != steps * classes)
        {
            throw new ArgumentException($"{steps} steps of {classes} classes need {steps * classes} values, got {scores.Length}.", nameof(scores));
        }

        if (classes != dictionary.ClassCount)
        {
            throw new ArgumentException($"The model has {classes} classes but the dictionary has {dictionary.ClassCount} (blank and space included); is it the model's own dictionary?", nameof(classes));
        }

        var text = new StringBuilder();
        double confidence = 0;
        var kept = 0;
        var previous = -1;
        for (var t = 0; t < steps; t++)
        {
            var row = scores.Slice(t * classes, classes);
            var best = 0;
            var bestScore = row[0];
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > bestScore)
                {
                    bestScore = row[c];
                    best = c;
                }
            }

            if (best != CharacterDictionary.Blank && best != previous)
            {
                text.Append(dictionary[best]);
                confidence += bestScore;
                kept++;
            }

            previous = best;
        }

        return new RecognisedText(text.ToString(), kept == 0 ? 0 : confidence / kept);
    }
}

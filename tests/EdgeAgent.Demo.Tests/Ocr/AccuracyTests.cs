using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

public sealed class AccuracyTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("中文识别", "中文识", 1)]
    [InlineData("same", "same", 0)]
    public void EditDistance_KnownPairs_MatchHandComputedValues(string a, string b, int expected)
    {
        Assert.Equal(expected, CharacterAccuracy.EditDistance(a, b));
        Assert.Equal(expected, CharacterAccuracy.EditDistance(b, a));
    }

    [Fact]
    public void Of_OneSubstitutionInTen_IsNinetyPercent()
    {
        Assert.Equal(0.9, CharacterAccuracy.Of("0123456789", "0123456780"), 10);
    }

    [Fact]
    public void Of_MoreErrorsThanCharacters_IsFlooredAtZero()
    {
        Assert.Equal(0, CharacterAccuracy.Of("ab", "xyzw"));
    }

    [Fact]
    public void Accumulator_TwoLines_IsOneMinusSummedDistancesOverSummedLengths()
    {
        var accuracy = new CharacterAccuracy();
        accuracy.Add("abcd", "abcd");
        accuracy.Add("abcdef", "abXdef");

        Assert.Equal(1 - (1.0 / 10), accuracy.Value, 10);
        Assert.Equal(2, accuracy.Lines);
        Assert.Equal(1, accuracy.ExactLines);
    }

    [Fact]
    public void BoxF1_IdenticalSets_IsOne()
    {
        TextBox[] boxes = [new(0, 0, 10, 10), new(20, 0, 10, 10)];

        Assert.Equal(1.0, BoxF1.Compute(boxes, boxes));
    }

    [Fact]
    public void BoxF1_OneMissedOneSpurious_IsHalf()
    {
        TextBox[] reference = [new(0, 0, 10, 10), new(20, 0, 10, 10)];
        TextBox[] predicted = [new(1, 0, 10, 10), new(50, 50, 10, 10)];

        var match = BoxF1.Match(predicted, reference);

        Assert.Equal(1, match.Matched);
        Assert.Equal(0.5, match.Precision);
        Assert.Equal(0.5, match.Recall);
        Assert.Equal(0.5, match.F1, 10);
    }

    [Fact]
    public void BoxF1_IouJustBelowThreshold_DoesNotMatch()
    {
        // Overlap 10x5 of two 10x10 boxes: IoU = 50 / 150 = 1/3.
        var match = BoxF1.Match([new TextBox(0, 5, 10, 10)], [new TextBox(0, 0, 10, 10)]);

        Assert.Equal(0, match.Matched);
        Assert.Equal(0, match.F1);
    }

    [Fact]
    public void BoxF1_TwoPredictionsOnOneReference_MatchesOnlyOnce()
    {
        var match = BoxF1.Match([new TextBox(0, 0, 10, 10), new TextBox(0, 0, 10, 9)], [new TextBox(0, 0, 10, 10)]);

        Assert.Equal(1, match.Matched);
        Assert.Equal(2.0 * 0.5 * 1 / 1.5, match.F1, 10);
    }

    [Fact]
    public void BoxF1_BothEmpty_IsOne()
    {
        Assert.Equal(1.0, BoxF1.Compute([], []));
    }

    [Fact]
    public void IntersectionOverUnion_HalfOverlap_IsOneThird()
    {
        Assert.Equal(1.0 / 3, new TextBox(0, 0, 10, 10).IntersectionOverUnion(new TextBox(5, 0, 10, 10)), 10);
    }
}

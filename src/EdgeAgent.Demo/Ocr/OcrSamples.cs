using System.Globalization;
using System.Text;

namespace EdgeAgent.Demo.Ocr;

/// <summary>What kind of text line <see cref="OcrSamples"/> draws.</summary>
public enum SampleKind
{
    /// <summary>English words, mixed case.</summary>
    English,

    /// <summary>Digits with separators: numbers, prices, dates, times, codes.</summary>
    Digits,

    /// <summary>Words and numbers together.</summary>
    Mixed,

    /// <summary>Common simplified Chinese characters that the dictionary holds.</summary>
    Chinese,
}

/// <summary>
/// Seeded generator of text lines with known strings, for recognition and detection harnesses.
/// The same seed gives the same lines on every machine.
/// </summary>
public static class OcrSamples
{
    private static readonly string[] Words =
    [
        "the", "edge", "agent", "cloud", "server", "model", "request", "latency", "energy", "battery",
        "camera", "sensor", "board", "network", "policy", "offload", "local", "remote", "queue", "deadline",
        "invoice", "total", "amount", "order", "delivery", "address", "street", "station", "platform", "train",
        "ticket", "price", "number", "account", "balance", "payment", "receipt", "store", "market", "coffee",
        "water", "bread", "apple", "orange", "green", "yellow", "purple", "window", "garden", "river",
        "mountain", "bridge", "harbour", "airport", "museum", "library", "hospital", "school", "office", "hotel",
        "Monday", "Friday", "Sunday", "January", "March", "October", "December", "London", "Paris", "Berlin",
        "Tokyo", "Sydney", "Toronto", "Open", "Closed", "Exit", "Entrance", "Warning", "Notice", "Welcome",
        "Inference", "Runtime", "Quantized", "Detection", "Recognition", "Accuracy", "Benchmark", "Gateway", "Jetson", "Raspberry",
        "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "light", "heavy", "small",
        "large", "fast", "slow", "north", "south", "east", "west", "first", "second", "third",
    ];

    private const string CommonChinese =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府";

    /// <summary>Draws <paramref name="count"/> lines of <paramref name="kind"/> from <paramref name="random"/>.</summary>
    /// <param name="random">The seeded source of the lines.</param>
    /// <param name="count">How many lines.</param>
    /// <param name="kind">Which sort of text.</param>
    /// <param name="dictionary">When given, Chinese lines use only characters it holds.</param>
    public static IReadOnlyList<string> Lines(Random random, int count, SampleKind kind, CharacterDictionary? dictionary = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        var lines = new string[count];
        for (var i = 0; i < count; i++)
        {
            lines[i] = kind switch
            {
                SampleKind.English => WordLine(random),
                SampleKind.Digits => DigitLine(random),
                SampleKind.Mixed => random.Next(2) == 0 ? WordLine(random) + " " + DigitToken(random) : DigitToken(random) + " " + WordLine(random),
                SampleKind.Chinese => ChineseLine(random, dictionary),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown sample kind."),
            };
        }

        return lines;
    }

    private static string WordLine(Random random)
    {
        var count = random.Next(2, 5);
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(' ');
            }

            var word = Words[random.Next(Words.Length)];
            if (random.Next(4) == 0)
            {
                word = char.ToUpperInvariant(word[0]) + word[1..];
            }

            builder.Append(word);
        }

        return builder.ToString();
    }

    private static string DigitLine(Random random)
    {
        var count = random.Next(1, 4);
        return string.Join(" ", Enumerable.Range(0, count).Select(_ => DigitToken(random)));
    }

    private static string DigitToken(Random random) => random.Next(6) switch
    {
        0 => random.Next(10, 99999).ToString(CultureInfo.InvariantCulture),
        1 => string.Create(CultureInfo.InvariantCulture, $"{random.Next(1, 999)}.{random.Next(0, 100):00}"),
        2 => string.Create(CultureInfo.InvariantCulture, $"{random.Next(2000, 2030)}-{random.Next(1, 13):00}-{random.Next(1, 29):00}"),
        3 => string.Create(CultureInfo.InvariantCulture, $"{random.Next(0, 24):00}:{random.Next(0, 60):00}"),
        4 => string.Create(CultureInfo.InvariantCulture, $"{random.Next(100, 999)}-{random.Next(1000, 9999)}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{random.Next(1, 100)}%"),
    };

    private static string ChineseLine(Random random, CharacterDictionary? dictionary)
    {
        var pool = dictionary is null ? CommonChinese : new string(CommonChinese.Where(c => dictionary.Contains(c.ToString())).ToArray());
        var length = random.Next(4, 11);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(pool[random.Next(pool.Length)]);
        }

        return builder.ToString();
    }
}

namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// The recogniser's classes as PaddleOCR's CTCLabelDecode builds them: index 0 is the CTC blank,
/// indices 1..N are the dictionary's lines in order, and index N+1 is the space character
/// (use_space_char).
/// </summary>
public sealed class CharacterDictionary
{
    private readonly string[] _classes;
    private readonly Dictionary<string, int> _index;

    /// <summary>Builds the class list from the dictionary's entries (one character per entry).</summary>
    public CharacterDictionary(IEnumerable<string> entries, bool useSpaceCharacter = true)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var classes = new List<string> { string.Empty };
        classes.AddRange(entries);
        if (useSpaceCharacter)
        {
            classes.Add(" ");
        }

        _classes = [.. classes];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i < _classes.Length; i++)
        {
            _index.TryAdd(_classes[i], i);
        }
    }

    /// <summary>Number of classes, blank included (6625 for ppocr_keys_v1.txt with the space).</summary>
    public int ClassCount => _classes.Length;

    /// <summary>Index of the CTC blank.</summary>
    public static int Blank => 0;

    /// <summary>The text of class <paramref name="index"/> (empty for the blank).</summary>
    public string this[int index] => _classes[index];

    /// <summary>The dictionary's characters, without the blank.</summary>
    public IEnumerable<string> Characters => _classes.Skip(1);

    /// <summary>True when <paramref name="character"/> is one of the classes.</summary>
    public bool Contains(string character) => _index.ContainsKey(character);

    /// <summary>Reads a dictionary file: one character per line, UTF-8, trailing line breaks removed.</summary>
    /// <exception cref="InvalidDataException">The file is empty.</exception>
    public static CharacterDictionary Load(string path, bool useSpaceCharacter = true)
    {
        var entries = File.ReadAllLines(path).Select(line => line.TrimEnd('\r', '\n')).ToList();
        while (entries.Count > 0 && entries[^1].Length == 0)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        if (entries.Count == 0)
        {
            throw new InvalidDataException($"The character dictionary {path} is empty.");
        }

        return new CharacterDictionary(entries, useSpaceCharacter);
    }
}

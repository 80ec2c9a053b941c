using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Hardware.Panel;

/// <summary>How the panel's input is wired.</summary>
public enum PanelInputMode
{
    /// <summary>A momentary push button: each press moves to the next preset, wrapping around.</summary>
    Button,

    /// <summary>A two-position switch: off selects the first preset, on selects the last.</summary>
    Switch,
}

/// <summary>A named operator preference the panel can select.</summary>
public sealed class PanelPreset
{
    /// <summary>Name shown in logs ("energy-saving").</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>Weight of delay in [0, 1]; energy gets the rest.</summary>
    [Range(0.0, 1.0)]
    public double DelayWeight { get; set; }
}

/// <summary>GPIO operator panel wiring; bound from <c>EdgeAgent:Hardware:Panel</c>. Pins are line offsets on <see cref="Chip"/>.</summary>
public sealed class OperatorPanelOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "EdgeAgent:Hardware:Panel";

    /// <summary>False turns the panel off without looking for GPIO.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>GPIO chip number (<c>/dev/gpiochipN</c>).</summary>
    [Range(0, 64)]
    public int Chip { get; set; }

    /// <summary>Line of the button or switch; null when none is wired.</summary>
    [Range(0, 1023)]
    public int? ButtonPin { get; set; }

    /// <summary>Button (cycles presets) or two-position switch.</summary>
    public PanelInputMode InputMode { get; set; } = PanelInputMode.Button;

    /// <summary>True when the input connects the line to ground when pressed (internal pull-up used).</summary>
    public bool ActiveLow { get; set; } = true;

    /// <summary>The input must stay at a level this long before the panel believes it (contact bounce).</summary>
    [Range(1, 1000)]
    public int DebounceMs { get; set; } = 30;

    /// <summary>LED lines, one per preset in order; the active preset's LED is lit. May be shorter than the presets.</summary>
    public List<int> LedPins { get; set; } = [];

    /// <summary>Optional LED that blinks on each offload; without it the active preset's LED blinks off briefly.</summary>
    [Range(0, 1023)]
    public int? OffloadLedPin { get; set; }

    /// <summary>Length of an offload blink.</summary>
    [Range(5, 5000)]
    public int BlinkMs { get; set; } = 60;

    /// <summary>Presets in cycling order; empty means energy-saving (0.2), balanced (0.5), fast (0.8).</summary>
    public List<PanelPreset> Presets { get; set; } = [];

    /// <summary>The built-in presets.</summary>
    public static IReadOnlyList<PanelPreset> DefaultPresets { get; } =
    [
        new() { Name = "energy-saving", DelayWeight = 0.2 },
        new() { Name = "balanced", DelayWeight = 0.5 },
        new() { Name = "fast", DelayWeight = 0.8 },
    ];

    /// <summary><see cref="Presets"/>, or the built-in ones when none are configured.</summary>
    public IReadOnlyList<PanelPreset> EffectivePresets => Presets.Count > 0 ? Presets : DefaultPresets;

    /// <summary>Cross-field rules; a message naming the setting, or null when valid.</summary>
    public string? Validate()
    {
        var presets = EffectivePresets;
        foreach (var preset in presets)
        {
            if (string.IsNullOrWhiteSpace(preset.Name) || !(preset.DelayWeight is >= 0.0 and <= 1.0))
            {
                return $"{Section}:Presets: every preset needs a Name and a DelayWeight in [0, 1] (got '{preset.Name}', {preset.DelayWeight}).";
            }
        }

        if (LedPins.Count > presets.Count)
        {
            return $"{Section}:LedPins has {LedPins.Count} pins for {presets.Count} presets; use at most one LED per preset.";
        }

        if (InputMode == PanelInputMode.Switch && presets.Count < 2)
        {
            return $"{Section}:InputMode 'Switch' needs at least two presets.";
        }

        var pins = LedPins.Concat(ButtonPin is { } b ? [b] : []).Concat(OffloadLedPin is { } o ? [o] : []).ToList();
        if (pins.Distinct().Count() != pins.Count)
        {
            return $"{Section}: ButtonPin, LedPins and OffloadLedPin must be different lines (got {string.Join(", ", pins)}).";
        }

        if (pins.Any(p => p < 0))
        {
            return $"{Section}: pin numbers are line offsets and cannot be negative.";
        }

        return null;
    }
}

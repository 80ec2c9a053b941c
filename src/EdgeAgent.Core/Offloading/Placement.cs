namespace EdgeAgent.Core.Offloading;

/// <summary>Where a request runs.</summary>
public enum PlacementKind
{
    /// <summary>On this device, with one of its model variants.</summary>
    Local,

    /// <summary>On a peer (edge or cloud server) reached over the Open Inference Protocol.</summary>
    Peer,
}

/// <summary>
/// A placement decision: <see cref="PlacementKind.Local"/> with the variant to run
/// (for example "fp32" or "int8"), or <see cref="PlacementKind.Peer"/> with the peer's name.
/// </summary>
public readonly record struct Placement(PlacementKind Kind, string Target)
{
    /// <summary>Runs on this device with the given model variant.</summary>
    public static Placement Local(string variant = ModelVariant.Default) => new(PlacementKind.Local, variant);

    /// <summary>Runs on the named peer.</summary>
    public static Placement Peer(string peerName) => new(PlacementKind.Peer, peerName);

    /// <summary>True when the work stays on this device.</summary>
    public bool IsLocal => Kind == PlacementKind.Local;

    /// <summary>"local" or "local:variant" for local work, "peer:name" for offloaded work.</summary>
    public override string ToString() => Kind switch
    {
        PlacementKind.Local => ModelVariant.IsDefault(Target) ? "local" : "local:" + Target,
        _ => "peer:" + Target,
    };
}

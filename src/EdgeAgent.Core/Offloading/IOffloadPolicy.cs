namespace EdgeAgent.Core.Offloading;

/// <summary>
/// Maps an observation and the operator's preference to a placement. Implementations are pure
/// and fast (they run on the request path): the learned ONNX policy, the heuristic, and fixed
/// policies for comparison.
/// </summary>
public interface IOffloadPolicy
{
    /// <summary>Short name shown in logs, status and the demo ("heuristic", "local", "peer", "learned").</summary>
    string Name { get; }

    /// <summary>Chooses one of <paramref name="observation"/>'s available servers.</summary>
    Placement Decide(OffloadObservation observation, Preference preference);
}

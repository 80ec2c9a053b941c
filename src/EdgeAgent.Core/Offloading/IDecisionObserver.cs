namespace EdgeAgent.Core.Offloading;

/// <summary>
/// Told of every request the agent finished: what the policy decided and where the request ran
/// (they differ after a fallback). The agent calls every registered observer on the request path,
/// so an implementation must be cheap, non-blocking and thread-safe (the GPIO panel blinks on
/// offloads through one).
/// </summary>
public interface IDecisionObserver
{
    /// <summary>One request finished.</summary>
    /// <param name="decided">The policy's placement.</param>
    /// <param name="ranAt">Where the request ran ("local" after a peer's failure).</param>
    /// <param name="success">False when the request failed.</param>
    void OnDecided(Placement decided, Placement ranAt, bool success);
}

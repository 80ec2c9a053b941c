namespace EdgeAgent.Core.Offloading;

/// <summary>
/// Told of every request the agent finished, with its whole <see cref="DecisionRecord"/> (what the
/// policy decided and where the request ran: they differ after a fallback). The agent's decision
/// log hands each record to every registered observer on the request's own thread, so an
/// implementation must return at once (queue, never block or do I/O) and be thread-safe. The
/// durable decision log and the GPIO panel's offload blinker are observers.
/// </summary>
public interface IDecisionObserver
{
    /// <summary>Called once per finished request.</summary>
    /// <param name="record">The request's outcome.</param>
    void OnDecision(DecisionRecord record);
}

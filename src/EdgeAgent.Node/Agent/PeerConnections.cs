using System.Collections;

namespace EdgeAgent.Node.Agent;

/// <summary>The agent's peer connections in configuration (name) order; disposing closes their channels.</summary>
public sealed class PeerConnections(IReadOnlyList<PeerConnection> peers) : IReadOnlyList<PeerConnection>, IDisposable
{
    /// <inheritdoc />
    public PeerConnection this[int index] => peers[index];

    /// <inheritdoc />
    public int Count => peers.Count;

    /// <inheritdoc />
    public IEnumerator<PeerConnection> GetEnumerator() => peers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var peer in peers)
        {
            peer.Dispose();
        }
    }
}

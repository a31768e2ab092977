namespace ReNESENS.DataPlane.Virtio;

/// <summary>Configuration of a <see cref="VhostUserBackend"/>.</summary>
public sealed class VhostUserBackendOptions
{
    /// <summary>Path of the unix socket (created in server mode, connected to in client mode).</summary>
    public string SocketPath { get; set; } = string.Empty;

    /// <summary>Server (we listen) or client (we connect).</summary>
    public VhostUserMode Mode { get; set; } = VhostUserMode.Server;

    /// <summary>Queue pairs the device offers (1 to 64); each is one <see cref="VhostUserPort"/>.</summary>
    public int QueuePairs { get; set; } = 1;

    /// <summary>Offer mergeable receive buffers (<c>VIRTIO_NET_F_MRG_RXBUF</c>).</summary>
    public bool MergeableReceiveBuffers { get; set; } = true;

    /// <summary>Offer packed rings (<c>VIRTIO_F_RING_PACKED</c>).</summary>
    public bool PackedRing { get; set; } = true;

    /// <summary>Offer indirect descriptors (<c>VIRTIO_RING_F_INDIRECT_DESC</c>).</summary>
    public bool IndirectDescriptors { get; set; } = true;

    /// <summary>Offer notification suppression by event index (<c>VIRTIO_RING_F_EVENT_IDX</c>).</summary>
    public bool EventIndex { get; set; } = true;

    /// <summary>
    /// Offer in-order use of buffers (<c>VIRTIO_F_IN_ORDER</c>): the backend always completes a ring's buffers in the
    /// order the driver made them available, so this only tells the driver it may rely on it (a driver then reclaims
    /// its transmitted buffers from the used index alone, without reading each used entry back).
    /// </summary>
    public bool InOrder { get; set; } = true;

    /// <summary>Offer checksum and TCP segmentation offloads in both directions (<c>CSUM</c>, <c>GUEST_CSUM</c>, <c>HOST_TSO4/6</c>, <c>GUEST_TSO4/6</c>).</summary>
    public bool Offloads { get; set; } = true;

    /// <summary>Largest packet (without the virtio-net header) taken from a guest; longer ones are dropped and counted.</summary>
    public int MaxPacketLength { get; set; } = 65535 + 14 + 4;

    /// <summary>Client mode: wait between connection attempts.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Prefix of the port names (the queue pair number follows).</summary>
    public string PortNamePrefix { get; set; } = "vhost";
}

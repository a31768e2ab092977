namespace ReNESENS.DataPlane.Virtio;

/// <summary>Which side of the vhost-user unix socket listens.</summary>
public enum VhostUserMode
{
    /// <summary>The backend listens on the socket path; the frontend (QEMU, DPDK virtio-user) connects.</summary>
    Server,

    /// <summary>The frontend listens; the backend connects, and reconnects after the frontend restarts.</summary>
    Client,
}

using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>What the frontend told the backend about one vring; owned by the backend's control thread.</summary>
internal sealed class VringState
{
    /// <summary>Ring size from <c>SET_VRING_NUM</c>, 0 until set.</summary>
    public int Size;

    /// <summary>Whether <c>SET_VRING_ADDR</c> arrived.</summary>
    public bool HasAddresses;

    /// <summary>Descriptor table address (frontend user space).</summary>
    public ulong Descriptors;

    /// <summary>Available ring or driver area address.</summary>
    public ulong Avail;

    /// <summary>Used ring or device area address.</summary>
    public ulong Used;

    /// <summary>Next available index (packed: wrap counter in bit 15).</summary>
    public uint Base;

    /// <summary>Whether <c>SET_VRING_KICK</c> arrived since the ring last stopped (the ring may start).</summary>
    public bool Kicked;

    /// <summary>Whether the ring is enabled (<c>SET_VRING_ENABLE</c>, or implied without protocol features).</summary>
    public bool Enabled;

    /// <summary>Kick eventfd (the driver signals new buffers), or null for polling.</summary>
    public EventFd? Kick;

    /// <summary>Call eventfd (the device interrupts the driver), or null.</summary>
    public EventFd? Call;

    /// <summary>Error eventfd (signalled when the ring stops on a driver error), or null.</summary>
    public EventFd? Error;

    /// <summary>The running queue, or null while stopped.</summary>
    public Virtqueue? Queue;

    /// <summary>Closes the descriptors and forgets everything.</summary>
    public void Reset()
    {
        Kick?.Dispose();
        Call?.Dispose();
        Error?.Dispose();
        Kick = null;
        Call = null;
        Error = null;
        Queue = null;
        Size = 0;
        HasAddresses = false;
        Descriptors = Avail = Used = 0;
        Base = 0;
        Kicked = false;
        Enabled = false;
    }
}

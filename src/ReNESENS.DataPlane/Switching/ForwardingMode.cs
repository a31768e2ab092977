namespace ReNESENS.DataPlane.Switching;

/// <summary>How forwarding threads wait for packets.</summary>
public enum ForwardingMode
{
    /// <summary>Busy polling: lowest latency, one core per thread.</summary>
    Poll = 0,

    /// <summary>After an empty pass, wait on the ports' descriptors (<see cref="Virtio.IWaitablePort"/>) with poll(2).</summary>
    Event,
}

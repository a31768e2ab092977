namespace ReNESENS.DataPlane.Switching;

/// <summary>How forwarding threads wait for packets.</summary>
public enum ForwardingMode
{
    /// <summary>Busy polling: lowest latency, one core per thread.</summary>
    Poll = 0,

    /// <summary>
    /// After an empty pass, wait on the ports' descriptors (<see cref="Virtio.IWaitablePort"/>: TAP queues and vhost-user
    /// queue pairs) with poll(2). A forwarding thread with a queue that has no descriptor busy-polls instead, as in
    /// <see cref="Poll"/> mode; the switch logs which thread and port at start.
    /// </summary>
    Event,
}

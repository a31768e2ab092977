namespace ReNESENS.DataPlane.Virtio;

/// <summary>Counters of one <see cref="VhostUserPort"/>, a snapshot.</summary>
/// <param name="ReceivedPackets">Packets taken from the guest's transmit queue and handed to the caller.</param>
/// <param name="ReceivedBytes">Their bytes (without the virtio-net header).</param>
/// <param name="ReceiveDrops">Guest packets dropped: bad virtio-net header, too long, or no buffer memory to hold them.</param>
/// <param name="TransmittedPackets">Packets written into the guest's receive queue.</param>
/// <param name="TransmittedBytes">Their bytes (without the virtio-net header).</param>
/// <param name="TransmitDrops">Packets taken but dropped: larger than the guest's buffer (without mergeable buffers), or the queue stopped.</param>
/// <param name="TransmitNoRoom">Packets refused because the guest had no free receive buffer (the caller kept them).</param>
/// <param name="DescriptorErrors">Queues of this pair stopped on a driver error.</param>
/// <param name="Wakeups">Event mode: waits that ended on the guest's kick (<see cref="VhostUserPort.EndWait"/> found it signalled).</param>
public readonly record struct VhostUserPortStatistics(
    long ReceivedPackets,
    long ReceivedBytes,
    long ReceiveDrops,
    long TransmittedPackets,
    long TransmittedBytes,
    long TransmitDrops,
    long TransmitNoRoom,
    long DescriptorErrors,
    long Wakeups);

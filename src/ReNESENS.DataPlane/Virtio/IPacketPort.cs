using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A packet endpoint that moves bursts of <see cref="PacketBuffer"/>s: a TAP device, one queue pair of a
/// vhost-user device. A switch polls every port's receive side and hands each packet to the transmit
/// side of the port its table names. One thread uses a port at a time.
/// </summary>
public interface IPacketPort
{
    /// <summary>The port's name, for logs and counters.</summary>
    string Name { get; }

    /// <summary>
    /// The offloads the transmit side accepts in packet metadata: a packet that asks for one the port lacks
    /// must be completed in software (checksums filled in, superframes segmented) before it is sent.
    /// </summary>
    PortOffloads TransmitOffloads { get; }

    /// <summary>Takes up to <c>packets.Length</c> received packets without waiting.</summary>
    /// <param name="packets">Filled from the start with packets the caller then owns (and must release).</param>
    /// <returns>How many packets were stored; 0 when none is waiting.</returns>
    int ReceiveBurst(Span<PacketBuffer> packets);

    /// <summary>Sends packets without waiting.</summary>
    /// <param name="packets">The packets; the port takes ownership of the first <c>n</c> (it releases them once sent).</param>
    /// <returns>How many packets, <c>n</c>, the port took; the caller keeps the rest (to retry or drop).</returns>
    int TransmitBurst(ReadOnlySpan<PacketBuffer> packets);
}

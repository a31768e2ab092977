using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A packet port whose receive side can be waited on: its descriptor turns readable when packets arrive
/// (a TAP queue's file descriptor, an epoll set holding a vhost-user kick eventfd). Forwarders in event mode
/// poll these descriptors instead of spinning, bracketing each wait with <see cref="PrepareToWait"/> and
/// <see cref="EndWait"/> on the thread that uses the port.
/// </summary>
public interface IWaitablePort : IPacketPort
{
    /// <summary>The descriptor that becomes readable when <see cref="IPacketPort.ReceiveBurst"/> has work; owned by the port, the same for the port's life.</summary>
    SafeFdHandle ReceiveReadyDescriptor { get; }

    /// <summary>
    /// Called before waiting on <see cref="ReceiveReadyDescriptor"/>: arms the wake-up (a vhost-user port asks its
    /// driver to kick again) and checks once more for work that arrived before it was armed.
    /// </summary>
    /// <returns>False when there is work already (or the port cannot wake the caller): do not wait, poll again.</returns>
    bool PrepareToWait();

    /// <summary>Called after the wait, woken or timed out: consumes the wake-up and disarms it until the next wait.</summary>
    void EndWait();
}

using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A packet port whose receive side can be waited on: its descriptor turns readable when packets arrive
/// (a TAP queue's file descriptor, a vhost-user kick eventfd). Forwarders in event mode poll these
/// descriptors instead of spinning.
/// </summary>
public interface IWaitablePort : IPacketPort
{
    /// <summary>The descriptor that becomes readable when <see cref="IPacketPort.ReceiveBurst"/> has work; owned by the port.</summary>
    SafeFdHandle ReceiveReadyDescriptor { get; }
}

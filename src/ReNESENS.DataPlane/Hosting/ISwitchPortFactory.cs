using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// Opens the ports of one type for the hosted switch. Register one with
/// <see cref="VirtualSwitchServiceCollectionExtensions.AddSwitchPortFactory{TFactory}"/>: a new port type (for example
/// vhost-user, with its socket path, server or client mode and queue count in <see cref="SwitchPortConfiguration.Settings"/>)
/// is one class implementing this.
/// </summary>
public interface ISwitchPortFactory
{
    /// <summary>The type name configuration uses (<see cref="SwitchPortConfiguration.Type"/>), compared case-insensitively.</summary>
    string Type { get; }

    /// <summary>Opens a port with one queue per forwarding thread.</summary>
    /// <param name="configuration">The port's configuration.</param>
    /// <param name="queueCount">Queues to open, one per forwarding thread.</param>
    /// <returns>The queues; the host disposes those that are <see cref="IDisposable"/> when it stops.</returns>
    IReadOnlyList<IPacketPort> Open(SwitchPortConfiguration configuration, int queueCount);
}

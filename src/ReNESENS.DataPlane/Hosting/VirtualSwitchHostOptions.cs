using ReNESENS.DataPlane.Switching;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>Options of the hosted switch (configuration section <c>Switch</c> in the sample).</summary>
public sealed class VirtualSwitchHostOptions
{
    /// <summary>Forwarding settings: threads, burst size, mode, MAC table.</summary>
    public VirtualSwitchOptions Forwarding { get; set; } = new();

    /// <summary>The ports to open at start, in order.</summary>
    public IList<SwitchPortConfiguration> Ports { get; } = new List<SwitchPortConfiguration>();
}

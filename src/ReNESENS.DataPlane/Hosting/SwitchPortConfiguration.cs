using ReNESENS.DataPlane.Switching;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// One port of a hosted switch, as configuration gives it (JSON <c>Switch:Ports:N</c> or the command line). The
/// <see cref="Type"/> picks the <see cref="ISwitchPortFactory"/> that opens it; type-specific settings (a TAP
/// interface name, a vhost-user socket path and mode) go in <see cref="Settings"/>.
/// </summary>
public sealed class SwitchPortConfiguration
{
    /// <summary>The port's name; a TAP port uses it as interface name unless <c>Settings["interface"]</c> says otherwise.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The port type: <c>tap</c> (the default) or <c>vhost-user</c> as registered by <see cref="VirtualSwitchServiceCollectionExtensions.AddVirtualSwitch"/>; other factories add theirs.</summary>
    public string Type { get; set; } = TapSwitchPortFactory.TypeName;

    /// <summary>VLAN settings of the port.</summary>
    public SwitchPortOptions Vlan { get; set; } = new();

    /// <summary>Type-specific settings, by name (case-insensitive).</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

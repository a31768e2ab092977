namespace ReNESENS.DataPlane.Switching;

/// <summary>VLAN settings of a switch port.</summary>
public sealed class SwitchPortOptions
{
    /// <summary>Access (one untagged VLAN) or trunk (tagged VLANs). Default access.</summary>
    public VlanMode VlanMode { get; set; } = VlanMode.Access;

    /// <summary>The VLAN of an access port, 1 to 4094. Default 1.</summary>
    public int AccessVlan { get; set; } = 1;

    /// <summary>VLANs a trunk port carries tagged; empty means all (1 to 4094).</summary>
    public IList<int> AllowedVlans { get; } = new List<int>();

    /// <summary>The VLAN untagged frames on a trunk belong to (and leave untagged), or 0 for none: untagged frames are dropped.</summary>
    public int NativeVlan { get; set; }
}

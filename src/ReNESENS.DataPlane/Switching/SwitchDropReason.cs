namespace ReNESENS.DataPlane.Switching;

/// <summary>Why the switch dropped a packet; counted per port (ingress reasons on the receiving port, egress reasons on the sending one).</summary>
public enum SwitchDropReason
{
    /// <summary>Shorter than an Ethernet header (14 bytes in the first buffer).</summary>
    Runt = 0,

    /// <summary>An 802.1Q tag cut short, or VLAN id 4095.</summary>
    BadVlanTag,

    /// <summary>The VLAN is not carried by the port (tagged on an access port, not allowed on a trunk, untagged on a trunk without native VLAN).</summary>
    VlanNotAllowed,

    /// <summary>A multicast source MAC address.</summary>
    BadSourceAddress,

    /// <summary>The destination was learned on the port the frame came from.</summary>
    SameSegment,

    /// <summary>No buffer for a flood copy or a segment, or no headroom for a VLAN tag.</summary>
    NoBuffer,

    /// <summary>Software offloads refused the packet (malformed or unsupported superframe, bad checksum offsets).</summary>
    OffloadFailed,

    /// <summary>The egress port did not take the packet (its queue was full).</summary>
    TransmitFull,

    /// <summary>The egress port failed (its device went away) and takes no more packets.</summary>
    PortFailed,
}

namespace ReNESENS.DataPlane.Switching;

/// <summary>How a switch port treats 802.1Q VLAN tags.</summary>
public enum VlanMode
{
    /// <summary>Untagged frames belong to <see cref="SwitchPortOptions.AccessVlan"/>; tagged frames are dropped; frames leave untagged.</summary>
    Access = 0,

    /// <summary>Tagged frames of <see cref="SwitchPortOptions.AllowedVlans"/> pass; untagged frames belong to <see cref="SwitchPortOptions.NativeVlan"/> (or are dropped when it is 0); frames leave tagged except on the native VLAN.</summary>
    Trunk,
}

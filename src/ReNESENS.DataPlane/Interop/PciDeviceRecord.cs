using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Mirror of <c>rn_pci_device</c>; the C side asserts the same size and offsets.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct PciDeviceRecord
{
    /// <summary>NUL-terminated PCI address, e.g. <c>0000:3b:00.0</c>.</summary>
    [FieldOffset(0)] public fixed byte Address[32];
    [FieldOffset(32)] public ushort Vendor;
    [FieldOffset(34)] public ushort Device;
    [FieldOffset(36)] public uint ClassCode;
}

using System.Text;

namespace ReNESENS.DataPlane.Interop;

/// <summary>One PCI function found by <see cref="PciProbe"/>.</summary>
/// <param name="Address">Domain:bus:device.function, e.g. <c>0000:3b:00.0</c>.</param>
/// <param name="VendorId">PCI vendor id.</param>
/// <param name="DeviceId">PCI device id.</param>
/// <param name="ClassCode">24-bit class code.</param>
public readonly record struct PciDevice(string Address, ushort VendorId, ushort DeviceId, uint ClassCode);

/// <summary>Finds PCI devices by vendor id under a sysfs root (the real <c>/sys</c>, or a fake tree in tests).</summary>
public static unsafe class PciProbe
{
    /// <summary>Kalray's PCI vendor id.</summary>
    public const ushort KalrayVendorId = 0x1d26;

    private const int MaxDevices = 64;

    /// <summary>
    /// Lists the devices whose <c>bus/pci/devices/*/vendor</c> under <paramref name="sysfsRoot"/> equals
    /// <paramref name="vendorId"/>, sorted by address; empty when the folder does not exist.
    /// </summary>
    public static IReadOnlyList<PciDevice> FindDevices(string sysfsRoot, ushort vendorId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sysfsRoot);
        var records = new PciDeviceRecord[MaxDevices];
        int found;
        fixed (PciDeviceRecord* p = records)
        {
            found = (int)NativeError.Check(NativeMethods.PciProbe(sysfsRoot, vendorId, p, MaxDevices), "rn_pci_probe");
        }

        var devices = new PciDevice[Math.Min(found, MaxDevices)];
        for (int i = 0; i < devices.Length; i++)
        {
            ref PciDeviceRecord r = ref records[i];
            string address;
            fixed (byte* a = r.Address)
            {
                address = Encoding.ASCII.GetString(new ReadOnlySpan<byte>(a, 32).TrimEnd((byte)0));
            }

            devices[i] = new PciDevice(address, r.Vendor, r.Device, r.ClassCode);
        }

        return devices;
    }
}

using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

public sealed class PciProbeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rn-sysfs-").FullName;

    [Fact]
    public void FindsOnlyTheVendorsDevicesSortedByAddress()
    {
        AddDevice("0000:3b:00.0", "0x1d26\n", "0x0001\n", "0x120000\n");
        AddDevice("0000:00:1f.2", "0x8086\n", "0x2922\n", "0x010601\n");
        AddDevice("0000:17:00.0", "0x1d26\n", "0x0002\n", "0x120000\n");

        IReadOnlyList<PciDevice> found = PciProbe.FindDevices(_root, PciProbe.KalrayVendorId);

        Assert.Equal(
            [new PciDevice("0000:17:00.0", 0x1d26, 2, 0x120000), new PciDevice("0000:3b:00.0", 0x1d26, 1, 0x120000)],
            found);
    }

    [Fact]
    public void AMissingTreeMeansNoDevices()
    {
        Assert.Empty(PciProbe.FindDevices(Path.Combine(_root, "absent"), PciProbe.KalrayVendorId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x1d26garbage\n")]
    [InlineData("1d26x")]
    [InlineData("0xffffffffff\n")]
    public void MalformedVendorFilesAreNotDevices(string vendor)
    {
        AddDevice("0000:01:00.0", vendor, "0x1\n", "0x0\n");
        Assert.Empty(PciProbe.FindDevices(_root, PciProbe.KalrayVendorId));
    }

    [Fact]
    public void MissingDeviceAndClassFilesReadAsZero()
    {
        string dir = Path.Combine(_root, "bus/pci/devices/0000:02:00.0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vendor"), "0x1d26\n");
        Assert.Equal([new PciDevice("0000:02:00.0", 0x1d26, 0, 0)], PciProbe.FindDevices(_root, PciProbe.KalrayVendorId));
    }

    [Fact]
    public void AgreesWithAManagedScanOfTheRealSysfs()
    {
        foreach (ushort vendor in new ushort[] { PciProbe.KalrayVendorId, 0x8086, 0x1af4, 0x1b36 })
        {
            string[] expected = Directory.Exists("/sys/bus/pci/devices")
                ? Directory.GetDirectories("/sys/bus/pci/devices")
                    .Where(d => File.Exists(Path.Combine(d, "vendor"))
                        && Convert.ToUInt16(File.ReadAllText(Path.Combine(d, "vendor")).Trim(), 16) == vendor)
                    .Select(d => Path.GetFileName(d))
                    .Order(StringComparer.Ordinal)
                    .ToArray()
                : [];
            Assert.Equal(expected, PciProbe.FindDevices("/sys", vendor).Select(d => d.Address));
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void AddDevice(string address, string vendor, string device, string cls)
    {
        string dir = Path.Combine(_root, "bus/pci/devices", address);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vendor"), vendor);
        File.WriteAllText(Path.Combine(dir, "device"), device);
        File.WriteAllText(Path.Combine(dir, "class"), cls);
    }
}

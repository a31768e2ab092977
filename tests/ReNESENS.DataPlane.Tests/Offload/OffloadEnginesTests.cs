using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

public sealed class OffloadEnginesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rn-engine-sysfs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void NoKalrayDeviceMeansTheSoftwareEngineAndSaysSo()
    {
        AddDevice("0000:00:1f.2", "0x8086\n");
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _root });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.IsType<SoftwareEngine>(engine);
        Assert.False(s.Capabilities.IsHardware);
        Assert.Empty(s.Devices);
        Assert.Equal($"no Kalray device (vendor 0x1d26) under {_root}/bus/pci/devices; {s.Capabilities.Description}", s.Reason);
        Assert.StartsWith("software engine with ", s.Capabilities.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeviceWithoutItsRuntimeLibraryStillGetsSoftwareAndTheLoadersMessage()
    {
        AddDevice("0000:3b:00.0", "0x1d26\n");
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _root, RuntimeLibrary = "librn-engine-absent-runtime.so" });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.False(s.Capabilities.IsHardware);
        Assert.Equal([new PciDevice("0000:3b:00.0", 0x1d26, 1, 0x120000)], s.Devices);
        Assert.StartsWith("Kalray device 0000:3b:00.0 found but runtime library 'librn-engine-absent-runtime.so' is not loadable: ", s.Reason, StringComparison.Ordinal);
        Assert.Contains("librn-engine-absent-runtime.so", s.Reason["Kalray device 0000:3b:00.0 found but runtime library 'librn-engine-absent-runtime.so' is not loadable: ".Length..], StringComparison.Ordinal);
        Assert.EndsWith("; " + s.Capabilities.Description, s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeviceWithALoadableLibraryThatIsNoDeviceRuntimeIsRefused()
    {
        AddDevice("0000:3b:00.0", "0x1d26\n");
        AddDevice("0000:17:00.0", "0x1d26\n");
        // libc loads but implements no device ABI: the probe must not claim a board engine.
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _root, RuntimeLibrary = "libc.so.6" });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.False(s.Capabilities.IsHardware);
        Assert.StartsWith("2 Kalray devices (0000:17:00.0, 0000:3b:00.0) found but runtime library 'libc.so.6' was refused: device runtime 'libc.so.6' lacks rn_dpu_abi_version", s.Reason, StringComparison.Ordinal);
        Assert.EndsWith(s.Capabilities.Description, s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDecisionIsAFunctionOfTheProbeReport()
    {
        PciDevice[] one = [new("0000:3b:00.0", 0x1d26, 1, 0)];
        Assert.Equal(
            (OffloadEngineKind.Software, "no Kalray device (vendor 0x1d26) under /sys/bus/pci/devices; software engine with X"),
            OffloadEngines.Decide(new OffloadProbeReport("/sys", [], "libk.so", false, ""), "software engine with X"));
        Assert.Equal(
            (OffloadEngineKind.Software, "Kalray device 0000:3b:00.0 found but runtime library 'libk.so' is not loadable: libk.so: cannot open shared object file; software engine with X"),
            OffloadEngines.Decide(new OffloadProbeReport("/sys", one, "libk.so", false, "libk.so: cannot open shared object file"), "software engine with X"));
    }

    [Fact]
    public void TheRealHostIsProbedByDefault()
    {
        OffloadEngineSelection s = OffloadEngines.Open();
        using IOffloadEngine engine = s.Engine;
        bool board = Directory.Exists("/sys/bus/pci/devices")
            && Directory.GetDirectories("/sys/bus/pci/devices").Any(d => File.Exists(Path.Combine(d, "vendor")) && File.ReadAllText(Path.Combine(d, "vendor")).Trim() == "0x1d26");
        Assert.Equal(board, s.Devices.Count > 0);
        Assert.False(s.Capabilities.IsHardware);
        Assert.EndsWith(s.Capabilities.Description, s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BadOptionsThrow()
    {
        Assert.Throws<ArgumentException>(() => OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = "" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OffloadEngines.Open(new OffloadEngineOptions { MaxQueueDepth = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OffloadEngines.Open(new OffloadEngineOptions { MaxDataSize = 8 }));
    }

    private void AddDevice(string address, string vendor)
    {
        string dir = Path.Combine(_root, "bus/pci/devices", address);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vendor"), vendor);
        File.WriteAllText(Path.Combine(dir, "device"), "0x0001\n");
        File.WriteAllText(Path.Combine(dir, "class"), "0x120000\n");
    }
}

using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Interop;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>How <see cref="OffloadEngines.Open"/> chooses between a device runtime and the software engine, and what it says.</summary>
[Collection(DeviceCollection.Name)]
public sealed class OffloadEnginesDeviceTests : IDisposable
{
    private readonly string _sysfs = Directory.CreateTempSubdirectory("rn-dpu-sysfs-").FullName;

    [Fact]
    public void TheEmulatedDeviceIsChosenByConfigurationAndSaysSo()
    {
        var logs = new ListLoggerFactory();
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions
        {
            SysfsRoot = _sysfs,
            DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime,
            DeviceConfig = "workers=1",
            LoggerFactory = logs,
        });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Mppa, s.Kind);
        Assert.False(s.Capabilities.IsHardware);
        Assert.Equal("mppa-emulated", engine.Name);
        Assert.StartsWith("MPPA engine on emulated device 'ReNESENS emulated DPU (1 worker)' (software on host threads, not a board)", s.Reason, StringComparison.Ordinal);
        Assert.EndsWith("chosen by configuration (DeviceRuntime = 'librenesens_emudpu.so')", s.Reason, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Contains("emulated device", StringComparison.Ordinal) && l.StartsWith("Information", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutConfigurationTheEmulatedDeviceIsNeverUsed()
    {
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _sysfs, RuntimeLibrary = TestRuntimes.Emulated });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.StartsWith("no Kalray device (vendor 0x1d26)", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AProbedDeviceWithTheEmulatedRuntimeStillReportsEmulated()
    {
        AddKalrayDevice();
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _sysfs, RuntimeLibrary = TestRuntimes.Emulated });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Mppa, s.Kind);
        Assert.False(s.Capabilities.IsHardware);
        Assert.StartsWith("Kalray device 0000:3b:00.0 found; MPPA engine on emulated device", s.Reason, StringComparison.Ordinal);
        Assert.Single(s.Devices);
    }

    public static TheoryData<string, string> BadRuntimes() => new()
    {
        { "wrong-version", "implements ABI version 1, this host needs 2" },
        { "missing-symbol", "lacks rn_dpu_reset" },
        { "missing-capability", "the device lacks XtsEncrypt, XtsDecrypt" },
    };

    [Theory]
    [MemberData(nameof(BadRuntimes))]
    public void AConfiguredBadRuntimeIsRefusedAndSoftwareIsUsed(string runtime, string why)
    {
        var logs = new ListLoggerFactory();
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _sysfs, DeviceRuntime = Path(runtime), LoggerFactory = logs });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.IsType<SoftwareEngine>(engine);
        Assert.StartsWith("configured device runtime refused: device runtime '", s.Reason, StringComparison.Ordinal);
        Assert.Contains(why, s.Reason, StringComparison.Ordinal);
        Assert.Contains("software engine with", s.Reason, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning: Offload device refused", StringComparison.Ordinal) && l.Contains(why, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(BadRuntimes))]
    public void AProbedBoardWithABadRuntimeIsRefusedAndSoftwareIsUsed(string runtime, string why)
    {
        AddKalrayDevice();
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions { SysfsRoot = _sysfs, RuntimeLibrary = Path(runtime) });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.StartsWith("Kalray device 0000:3b:00.0 found but runtime library '", s.Reason, StringComparison.Ordinal);
        Assert.Contains(why, s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadConfigStringIsRefused()
    {
        OffloadEngineSelection s = OffloadEngines.Open(new OffloadEngineOptions
        {
            SysfsRoot = _sysfs,
            DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime,
            DeviceConfig = "workers=99",
        });
        using IOffloadEngine engine = s.Engine;
        Assert.Equal(OffloadEngineKind.Software, s.Kind);
        Assert.Contains("could not open the device (rn_dpu_open: errno 22) with config 'workers=99'", s.Reason, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_sysfs, recursive: true);

    private static string Path(string runtime) => runtime switch
    {
        "wrong-version" => TestRuntimes.WrongVersion,
        "missing-symbol" => TestRuntimes.MissingSymbol,
        _ => TestRuntimes.MissingCapability,
    };

    private void AddKalrayDevice()
    {
        string dir = System.IO.Path.Combine(_sysfs, "bus/pci/devices/0000:3b:00.0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(System.IO.Path.Combine(dir, "vendor"), "0x1d26\n");
        File.WriteAllText(System.IO.Path.Combine(dir, "device"), "0x0001\n");
        File.WriteAllText(System.IO.Path.Combine(dir, "class"), "0x120000\n");
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Offload;

/// <summary>Settings for <see cref="OffloadEngines.Open"/> and the engines.</summary>
public sealed class OffloadEngineOptions
{
    /// <summary>The sysfs root the PCI probe scans (<c>bus/pci/devices</c> under it); a fake tree in tests.</summary>
    public string SysfsRoot { get; set; } = "/sys";

    /// <summary>The board vendor's runtime library, as <c>dlopen</c> takes it (a name on the loader path or a path).</summary>
    public string RuntimeLibrary { get; set; } = "libkalray_dpu.so";

    /// <summary>
    /// A device runtime to open whether or not the PCI probe finds a board (a name on the loader path, a
    /// path, or a file name beside this assembly). This is the only way the emulated device
    /// (<see cref="EmulatedDeviceRuntime"/>) is ever used. Null (the default): only the probe decides.
    /// </summary>
    public string? DeviceRuntime { get; set; }

    /// <summary>The config string handed to the runtime's <c>rn_dpu_open</c>, e.g. <c>workers=2</c> for the emulated device.</summary>
    public string DeviceConfig { get; set; } = string.Empty;

    /// <summary>How long the MPPA engine waits for a device completion before it resets the device and runs the operation in software.</summary>
    public TimeSpan DeviceTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where the engines log (device choice, refusals, failovers); null logs nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The file name of the emulated device runtime shipped beside this assembly: software pretending to be a DPU, for tests and benchmarks.</summary>
    public const string EmulatedDeviceRuntime = "librenesens_emudpu.so";

    /// <summary>The most queue pairs open at once.</summary>
    public int MaxQueuePairs { get; set; } = 64;

    /// <summary>The largest queue-pair depth.</summary>
    public int MaxQueueDepth { get; set; } = 4096;

    /// <summary>
    /// The largest Source or Destination of one operation. The software engine gives each queue pair
    /// two scratch buffers of about this size for chains, allocated when the queue pair is created.
    /// </summary>
    public int MaxDataSize { get; set; } = 1 << 20;

    /// <summary>The most keys loaded at once.</summary>
    public int MaxKeys { get; set; } = 256;

    /// <summary>
    /// The software engine's worker threads: 0 (the default) runs every operation inline on the
    /// submitting thread during Submit; 1 to 64 runs them on that many worker threads fed by a
    /// lock-free ring, so Submit only queues them and a later Poll collects the completions. The
    /// MPPA engine's own software fallback always runs inline.
    /// </summary>
    public int SoftwareWorkerThreads { get; set; }

    /// <summary>Creates the engine's <see cref="Meter"/> (dependency injection); null uses a meter of its own.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Throws when a value is out of range.</summary>
    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(SysfsRoot);
        ArgumentException.ThrowIfNullOrEmpty(RuntimeLibrary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuePairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueueDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxKeys);
        ArgumentOutOfRangeException.ThrowIfNegative(SoftwareWorkerThreads);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SoftwareWorkerThreads, SoftwareWorkers.MaxThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDataSize, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDataSize, 1 << 28);
        ArgumentNullException.ThrowIfNull(DeviceConfig);
        if (DeviceRuntime is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(DeviceRuntime);
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeviceTimeout, TimeSpan.Zero);
    }
}

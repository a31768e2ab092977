using System.Diagnostics.Metrics;

namespace ReNESENS.DataPlane.Offload;

/// <summary>Settings for <see cref="OffloadEngines.Open"/> and the engines.</summary>
public sealed class OffloadEngineOptions
{
    /// <summary>The sysfs root the PCI probe scans (<c>bus/pci/devices</c> under it); a fake tree in tests.</summary>
    public string SysfsRoot { get; set; } = "/sys";

    /// <summary>The board vendor's runtime library, as <c>dlopen</c> takes it (a name on the loader path or a path).</summary>
    public string RuntimeLibrary { get; set; } = "libkalray_dpu.so";

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
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDataSize, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDataSize, 1 << 28);
    }
}

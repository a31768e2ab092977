using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>What the probe saw: the Kalray PCI functions under the sysfs root and whether the vendor runtime loads.</summary>
/// <param name="SysfsRoot">The sysfs root scanned.</param>
/// <param name="Devices">Functions with vendor 0x1d26, sorted by address.</param>
/// <param name="RuntimeLibrary">The runtime library name tried.</param>
/// <param name="RuntimeLoadable">True when <c>dlopen</c> of it succeeded (only tried when a device is present).</param>
/// <param name="RuntimeError">The loader's message when it failed; empty otherwise.</param>
internal readonly record struct OffloadProbeReport(
    string SysfsRoot,
    IReadOnlyList<PciDevice> Devices,
    string RuntimeLibrary,
    bool RuntimeLoadable,
    string RuntimeError);

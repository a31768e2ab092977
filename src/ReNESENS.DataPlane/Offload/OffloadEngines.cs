using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>Finds the best offload engine on this host and says which and why.</summary>
public static class OffloadEngines
{
    /// <summary>
    /// Probes for a Kalray MPPA board (a PCI function with vendor 0x1d26 under
    /// <see cref="OffloadEngineOptions.SysfsRoot"/>, and the vendor runtime
    /// <see cref="OffloadEngineOptions.RuntimeLibrary"/> loadable) and opens the best engine present.
    /// This build has no device engine: it always returns the <see cref="SoftwareEngine"/>, and the
    /// reason says what the probe found, so no work is ever reported as done on a board.
    /// </summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The engine, its kind, capabilities and the reason in plain words.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static OffloadEngineSelection Open(OffloadEngineOptions? options = null)
    {
        options ??= new OffloadEngineOptions();
        options.Validate();
        OffloadProbeReport report = Probe(options);
        var engine = new SoftwareEngine(options);
        (OffloadEngineKind kind, string reason) = Decide(report, engine.Capabilities.Description);
        return new OffloadEngineSelection(engine, kind, reason, report.Devices);
    }

    /// <summary>Runs the PCI probe and, when a device is present, tries to load the runtime (and unloads it again).</summary>
    internal static OffloadProbeReport Probe(OffloadEngineOptions options)
    {
        IReadOnlyList<PciDevice> devices = PciProbe.FindDevices(options.SysfsRoot, PciProbe.KalrayVendorId);
        bool loadable = false;
        string error = string.Empty;
        if (devices.Count > 0)
        {
            loadable = NativeLibraryHandle.TryLoad(options.RuntimeLibrary, out NativeLibraryHandle? library, out error);
            library?.Dispose();
        }

        return new OffloadProbeReport(options.SysfsRoot, devices, options.RuntimeLibrary, loadable, error);
    }

    /// <summary>The choice over a probe report, with its reason. Pure: tests feed it reports directly.</summary>
    /// <param name="report">What the probe saw.</param>
    /// <param name="softwareDescription">The software engine's one-line description.</param>
    internal static (OffloadEngineKind Kind, string Reason) Decide(in OffloadProbeReport report, string softwareDescription)
    {
        string devicesPath = Path.Combine(report.SysfsRoot, "bus/pci/devices");
        if (report.Devices.Count == 0)
        {
            return (OffloadEngineKind.Software, $"no Kalray device (vendor 0x{PciProbe.KalrayVendorId:x4}) under {devicesPath}; {softwareDescription}");
        }

        string found = report.Devices.Count == 1
            ? $"Kalray device {report.Devices[0].Address}"
            : $"{report.Devices.Count} Kalray devices ({string.Join(", ", report.Devices.Select(d => d.Address))})";
        if (!report.RuntimeLoadable)
        {
            return (OffloadEngineKind.Software, $"{found} found but runtime library '{report.RuntimeLibrary}' is not loadable: {report.RuntimeError}; {softwareDescription}");
        }

        return (OffloadEngineKind.Software, $"{found} found and runtime library '{report.RuntimeLibrary}' loads, but this build has no device engine; {softwareDescription}");
    }
}

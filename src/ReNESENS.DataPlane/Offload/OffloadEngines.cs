using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>Finds the best offload engine on this host and says which and why.</summary>
public static class OffloadEngines
{
    /// <summary>
    /// Opens the best engine present and says which and why. When <see cref="OffloadEngineOptions.DeviceRuntime"/>
    /// names a runtime, that runtime is opened (this is the only way the emulated device is chosen, and
    /// the reason then says it is emulated); otherwise the probe looks for a Kalray MPPA board (a PCI
    /// function with vendor 0x1d26 under <see cref="OffloadEngineOptions.SysfsRoot"/>) and the vendor
    /// runtime <see cref="OffloadEngineOptions.RuntimeLibrary"/>. A runtime with another ABI version, a
    /// missing symbol or a missing operation is refused, and the <see cref="SoftwareEngine"/> is used with
    /// the refusal in the reason. No work is ever reported as done on a board that is not there.
    /// </summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The engine, its kind, capabilities and the reason in plain words.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static OffloadEngineSelection Open(OffloadEngineOptions? options = null)
    {
        options ??= new OffloadEngineOptions();
        options.Validate();
        ILogger logger = options.LoggerFactory?.CreateLogger(typeof(OffloadEngines).FullName!) ?? NullLogger.Instance;
        string? refusal = null;
        if (options.DeviceRuntime is { } configured)
        {
            if (DpuRuntime.TryOpen(DpuRuntime.Resolve(configured), options.DeviceConfig, MppaEngine.RequiredOps, out DpuRuntime? runtime, out string why))
            {
                var mppa = new MppaEngine(runtime, options);
                string chosen = $"{mppa.Capabilities.Description}; chosen by configuration (DeviceRuntime = '{configured}')";
                MppaLog.EngineChosen(logger, chosen);
                return new OffloadEngineSelection(mppa, OffloadEngineKind.Mppa, chosen, []);
            }

            refusal = $"configured device runtime refused: {why}";
            MppaLog.DeviceRefused(logger, refusal);
        }

        OffloadProbeReport report = Probe(options);
        if (refusal is null && report.Devices.Count > 0 && report.RuntimeLoadable)
        {
            if (DpuRuntime.TryOpen(options.RuntimeLibrary, options.DeviceConfig, MppaEngine.RequiredOps, out DpuRuntime? runtime, out string why))
            {
                var mppa = new MppaEngine(runtime, options);
                string chosen = $"Kalray device {report.Devices[0].Address} found; {mppa.Capabilities.Description}";
                MppaLog.EngineChosen(logger, chosen);
                return new OffloadEngineSelection(mppa, OffloadEngineKind.Mppa, chosen, report.Devices);
            }

            refusal = why;
            MppaLog.DeviceRefused(logger, refusal);
        }

        var engine = new SoftwareEngine(options);
        (OffloadEngineKind kind, string reason) = Decide(report, engine.Capabilities.Description, refusal);
        MppaLog.EngineChosen(logger, reason);
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
    /// <param name="refusal">Why a device runtime was refused, when one was; it leads the reason.</param>
    internal static (OffloadEngineKind Kind, string Reason) Decide(in OffloadProbeReport report, string softwareDescription, string? refusal = null)
    {
        if (refusal is not null && report.Devices.Count == 0)
        {
            return (OffloadEngineKind.Software, $"{refusal}; no Kalray device (vendor 0x{PciProbe.KalrayVendorId:x4}) under {Path.Combine(report.SysfsRoot, "bus/pci/devices")}; {softwareDescription}");
        }

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

        return (OffloadEngineKind.Software, $"{found} found but runtime library '{report.RuntimeLibrary}' was refused: {refusal ?? "unknown"}; {softwareDescription}");
    }
}

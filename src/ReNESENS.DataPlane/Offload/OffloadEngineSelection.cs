using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>What <see cref="OffloadEngines.Open"/> found and chose, and why, in plain words.</summary>
public sealed class OffloadEngineSelection
{
    internal OffloadEngineSelection(IOffloadEngine engine, OffloadEngineKind kind, string reason, IReadOnlyList<PciDevice> devices)
    {
        Engine = engine;
        Kind = kind;
        Reason = reason;
        Devices = devices;
    }

    /// <summary>The engine; the caller owns and disposes it.</summary>
    public IOffloadEngine Engine { get; }

    /// <summary>Which engine it is.</summary>
    public OffloadEngineKind Kind { get; }

    /// <summary>The engine's capabilities.</summary>
    public OffloadCapabilities Capabilities => Engine.Capabilities;

    /// <summary>Why this engine, e.g. "no Kalray device (vendor 0x1d26) under /sys/bus/pci/devices; software engine with AVX-512, VPCLMULQDQ, AES-NI".</summary>
    public string Reason { get; }

    /// <summary>The Kalray devices the probe found (empty when none).</summary>
    public IReadOnlyList<PciDevice> Devices { get; }
}

namespace ReNESENS.DataPlane.Offload;

/// <summary>Which engine <see cref="OffloadEngines.Open"/> chose.</summary>
public enum OffloadEngineKind
{
    /// <summary>The software engine, on the host's CPU.</summary>
    Software = 0,

    /// <summary>The MPPA engine, driving a device runtime through the device ABI (a board, or the emulated device when configuration names it; <see cref="OffloadCapabilities.IsHardware"/> tells them apart).</summary>
    Mppa = 1,
}

namespace ReNESENS.DataPlane.Offload;

/// <summary>Which engine <see cref="OffloadEngines.Open"/> chose.</summary>
public enum OffloadEngineKind
{
    /// <summary>The software engine, on the host's CPU.</summary>
    Software = 0,
}

namespace ReNESENS.DataPlane.Offload;

/// <summary>What an engine does and its limits.</summary>
public sealed class OffloadCapabilities
{
    /// <summary>True when the work runs on a device; false for the software engine.</summary>
    public required bool IsHardware { get; init; }

    /// <summary>The operation kinds the engine runs; others complete with <see cref="OffloadStatus.Unsupported"/>.</summary>
    public required IReadOnlySet<OffloadOpKind> Operations { get; init; }

    /// <summary>The most queue pairs open at once.</summary>
    public required int MaxQueuePairs { get; init; }

    /// <summary>The largest queue-pair depth.</summary>
    public required int MaxQueueDepth { get; init; }

    /// <summary>The largest Source or Destination of one operation, in bytes.</summary>
    public required int MaxDataSize { get; init; }

    /// <summary>The most keys loaded at once.</summary>
    public required int MaxKeys { get; init; }

    /// <summary>CPU instruction sets the host side uses (all of the work for the software engine).</summary>
    public required OffloadCpuFeatures CpuFeatures { get; init; }

    /// <summary>One line in plain words, e.g. "software engine with AVX-512, VPCLMULQDQ, AES-NI".</summary>
    public required string Description { get; init; }

    /// <summary>True when the engine runs <paramref name="kind"/>.</summary>
    /// <param name="kind">An operation kind.</param>
    /// <returns>True when supported.</returns>
    public bool Supports(OffloadOpKind kind) => Operations.Contains(kind);
}

namespace ReNESENS.DataPlane.Nvme;

/// <summary>Where a namespace keeps its blocks. Offsets and lengths are in bytes and already checked against <see cref="Capacity"/>.</summary>
internal abstract class NamespaceBackend : IDisposable
{
    /// <summary>Capacity in bytes.</summary>
    public abstract long Capacity { get; }

    /// <summary>Copies blocks into <paramref name="destination"/>.</summary>
    public abstract void Read(long offset, Span<byte> destination);

    /// <summary>Stores blocks; with <paramref name="forceUnitAccess"/> they are durable when this returns.</summary>
    public abstract void Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess);

    /// <summary>Stores zeros.</summary>
    public abstract void WriteZeroes(long offset, long length);

    /// <summary>Makes every completed write durable.</summary>
    public abstract void Flush();

    /// <inheritdoc/>
    public abstract void Dispose();
}

using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// Where a namespace keeps its blocks. Offsets and lengths are in bytes and already checked against
/// <see cref="Capacity"/>. Shared by every queue of every controller: calls come from several
/// connection threads at once, so a back-end is thread-safe.
/// </summary>
internal abstract class NamespaceBackend : IDisposable
{
    /// <summary>Capacity in bytes.</summary>
    public abstract long Capacity { get; }

    /// <summary>
    /// True when the back-end works on whole blocks and may fail a read: the target then hands each Read and
    /// Write over as one block-aligned buffer, and reads before it sends any data. False: calls may split a
    /// command anywhere (a Read is streamed into the socket, a Write comes segment by segment).
    /// </summary>
    public virtual bool NeedsWholeCommands => false;

    /// <summary>
    /// The region holding the namespace's bytes at their own byte offsets, when the connection may send them and
    /// receive into them in place (no copy through a socket buffer); null when every byte goes through
    /// <see cref="Read"/> and <see cref="Write"/>.
    /// </summary>
    public virtual DmaRegion? InPlaceRegion => null;

    /// <summary>Copies blocks into <paramref name="destination"/>; an NVMe status (<see cref="NvmeStatus.Success"/> or why not).</summary>
    public abstract ushort Read(long offset, Span<byte> destination);

    /// <summary>Stores blocks; with <paramref name="forceUnitAccess"/> they are durable when this returns. An NVMe status.</summary>
    public abstract ushort Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess);

    /// <summary>Stores zeros (Write Zeroes, and Deallocate: deallocated blocks read as zeros). An NVMe status.</summary>
    public abstract ushort WriteZeroes(long offset, long length);

    /// <summary>Makes every completed write durable.</summary>
    public abstract void Flush();

    /// <summary>
    /// Makes the store hold <paramref name="capacity"/> bytes; bytes past the old capacity read as zeros. The
    /// namespace calls it before publishing a larger size, and after the grace period of a smaller one.
    /// </summary>
    /// <exception cref="NotSupportedException">This back-end has a fixed size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The store cannot hold that much.</exception>
    public virtual void Resize(long capacity) => throw new NotSupportedException($"A {GetType().Name.Replace("NamespaceBackend", string.Empty, StringComparison.Ordinal)} namespace cannot be resized.");

    /// <inheritdoc/>
    public abstract void Dispose();
}

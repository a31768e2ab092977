using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A buffer of an offload operation as a device sees it: a <see cref="DmaRegion"/>, a byte offset
/// in it and a length. A device engine addresses the bytes by offset (or IOVA) in the shared region
/// with no copy; the software engine takes a span over the same bytes.
/// </summary>
/// <remarks>The default value is the empty slice (no region, length 0): the "not used" buffer of an operation.</remarks>
public readonly struct DmaSlice : IEquatable<DmaSlice>
{
    /// <summary>Describes <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="region"/>.</summary>
    /// <param name="region">The region holding the bytes.</param>
    /// <param name="offset">Offset of the first byte in the region.</param>
    /// <param name="length">Number of bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="region"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    public DmaSlice(DmaRegion region, long offset, int length)
    {
        ArgumentNullException.ThrowIfNull(region);
        if ((ulong)offset > (ulong)region.Length || (ulong)length > (ulong)(region.Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"[{offset}, {offset}+{length}) is not inside the {region.Length}-byte region.");
        }

        Region = region;
        Offset = offset;
        Length = length;
    }

    /// <summary>The region, or null for the empty slice.</summary>
    public DmaRegion? Region { get; }

    /// <summary>Offset of the first byte in <see cref="Region"/>.</summary>
    public long Offset { get; }

    /// <summary>Number of bytes.</summary>
    public int Length { get; }

    /// <summary>True when the slice has no bytes.</summary>
    public bool IsEmpty => Length == 0;

    /// <summary>The IOVA of the first byte (what a device puts in a descriptor); 0 for the empty slice.</summary>
    public ulong Iova => Region is null ? 0 : Region.GetIova(Offset);

    /// <summary>The bytes, as a span valid while the region lives.</summary>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public Span<byte> Span => Region is null ? default : Region.GetSpan(Offset, Length);

    /// <summary>A part of this slice.</summary>
    /// <param name="start">Offset in this slice.</param>
    /// <param name="length">Number of bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException">The part is not inside this slice.</exception>
    public DmaSlice Slice(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"[{start}, {start}+{length}) is not inside the {Length}-byte slice.");
        }

        return length == 0 ? default : new DmaSlice(Region!, Offset + start, length);
    }

    /// <inheritdoc />
    public bool Equals(DmaSlice other) => ReferenceEquals(Region, other.Region) && Offset == other.Offset && Length == other.Length;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DmaSlice other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Region, Offset, Length);

    /// <summary>Equality: same region, offset and length.</summary>
    /// <param name="left">A slice.</param>
    /// <param name="right">Another slice.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(DmaSlice left, DmaSlice right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">A slice.</param>
    /// <param name="right">Another slice.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(DmaSlice left, DmaSlice right) => !left.Equals(right);

    /// <summary>
    /// The span without throwing: false when the region was disposed or the slice is not inside it
    /// any more (an engine turns that into <see cref="OffloadStatus.InvalidArgument"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryGetSpan(out Span<byte> span)
    {
        if (Region is null)
        {
            span = default;
            return Length == 0;
        }

        try
        {
            span = Region.GetSpan(Offset, Length);
            return true;
        }
        catch (ObjectDisposedException)
        {
            span = default;
            return false;
        }
    }
}

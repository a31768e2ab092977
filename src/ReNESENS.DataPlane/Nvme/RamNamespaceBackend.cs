using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>A namespace in a <see cref="DmaRegion"/>: reads and writes are one copy between the socket buffer and the region, or none when the connection sends from and receives into it in place.</summary>
internal sealed class RamNamespaceBackend : NamespaceBackend
{
    /// <summary>Chunk of one span view (views are int-sized; namespaces may exceed 2 GiB).</summary>
    private const int Chunk = 1 << 30;

    private readonly DmaRegion _region;

    /// <summary>Creates the namespace's region.</summary>
    /// <param name="capacity">Bytes exported.</param>
    /// <param name="maxCapacity">Bytes reserved so that a resize can grow the namespace in place (at least <paramref name="capacity"/>).</param>
    public RamNamespaceBackend(long capacity, long maxCapacity)
    {
        _capacity = capacity;

        // Not locked: a RAM namespace may be larger than RLIMIT_MEMLOCK allows, and pages fault in on first write
        // (so the room reserved for growth costs address space, not memory).
        _region = DmaRegion.Create(Math.Max(capacity, maxCapacity), PageKind.Small, lockMemory: false, name: "renesens-nvme-ns");
    }

    private long _capacity;

    public override long Capacity => Volatile.Read(ref _capacity);

    /// <summary>The whole region: byte offsets of the namespace are offsets in it.</summary>
    public override DmaRegion InPlaceRegion => _region;

    /// <summary>Grows in place up to the reserved size; a shrink gives the tail's memory back (it reads as zeros when grown again).</summary>
    public override void Resize(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, _region.Length);
        long old = Capacity;
        if (capacity < old)
        {
            using var lease = new SafeHandleLease(_region.FileDescriptor);
            NativeError.Check(NativeMethods.ZeroRange((int)lease.Value, (ulong)capacity, (ulong)(old - capacity)), "rn_zero_range");
        }

        Volatile.Write(ref _capacity, capacity);
    }

    public override ushort Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = Math.Min(destination.Length, Chunk);
            _region.GetSpan(offset, n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }

        return NvmeStatus.Success;
    }

    public override ushort Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess)
    {
        while (!source.IsEmpty)
        {
            int n = Math.Min(source.Length, Chunk);
            source[..n].CopyTo(_region.GetSpan(offset, n));
            source = source[n..];
            offset += n;
        }

        return NvmeStatus.Success;
    }

    public override ushort WriteZeroes(long offset, long length)
    {
        while (length > 0)
        {
            int n = (int)Math.Min(length, Chunk);
            _region.GetSpan(offset, n).Clear();
            length -= n;
            offset += n;
        }

        return NvmeStatus.Success;
    }

    public override void Flush()
    {
    }

    public override void Dispose() => _region.Dispose();
}

using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>A namespace in a <see cref="DmaRegion"/>: reads and writes are one copy between the socket buffer and the region.</summary>
internal sealed class RamNamespaceBackend : NamespaceBackend
{
    /// <summary>Chunk of one span view (views are int-sized; namespaces may exceed 2 GiB).</summary>
    private const int Chunk = 1 << 30;

    private readonly DmaRegion _region;

    public RamNamespaceBackend(long capacity)
    {
        Capacity = capacity;

        // Not locked: a RAM namespace may be larger than RLIMIT_MEMLOCK allows, and pages fault in on first write.
        _region = DmaRegion.Create(capacity, PageKind.Small, lockMemory: false, name: "renesens-nvme-ns");
    }

    public override long Capacity { get; }

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

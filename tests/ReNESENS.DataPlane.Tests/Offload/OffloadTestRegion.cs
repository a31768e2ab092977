using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>A DMA region carved into slices by a bump pointer, for building operations in tests.</summary>
internal sealed class OffloadTestRegion : IDisposable
{
    private long _next;

    internal OffloadTestRegion(int length = 4 << 20) => Region = DmaRegion.Create(length, PageKind.Small);

    internal DmaRegion Region { get; }

    /// <summary>A fresh zeroed slice, 64-byte aligned.</summary>
    internal DmaSlice Alloc(int length)
    {
        var slice = new DmaSlice(Region, _next, length);
        slice.Span.Clear();
        _next += (length + 63) & ~63;
        return slice;
    }

    /// <summary>A fresh slice holding <paramref name="bytes"/>.</summary>
    internal DmaSlice Put(ReadOnlySpan<byte> bytes)
    {
        DmaSlice slice = Alloc(bytes.Length);
        bytes.CopyTo(slice.Span);
        return slice;
    }

    public void Dispose() => Region.Dispose();
}

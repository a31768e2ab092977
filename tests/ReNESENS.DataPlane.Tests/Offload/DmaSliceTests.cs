using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

public sealed class DmaSliceTests
{
    [Fact]
    public void ASliceNamesItsBytesByRegionOffsetAndIova()
    {
        using DmaRegion region = DmaRegion.Create(8192, PageKind.Small);
        var slice = new DmaSlice(region, 100, 50);
        slice.Span.Fill(7);
        Assert.Equal(7, region.GetSpan(100, 1)[0]);
        Assert.Equal(0, region.GetSpan(150, 1)[0]);
        Assert.Equal(region.Iova + 100, slice.Iova);
        Assert.Equal(new DmaSlice(region, 110, 20), slice.Slice(10, 20));
        Assert.True(slice.Slice(50, 0).IsEmpty);
        Assert.Equal(default, slice.Slice(50, 0));
        Assert.True(new DmaSlice(region, 8192, 0).IsEmpty);
    }

    [Fact]
    public void RangesOutsideTheRegionOrSliceThrow()
    {
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DmaSlice(region, 4000, 97));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DmaSlice(region, -1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DmaSlice(region, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DmaSlice(region, 4097, 0));
        Assert.Throws<ArgumentNullException>(() => new DmaSlice(null!, 0, 0));
        var slice = new DmaSlice(region, 0, 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Slice(90, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Slice(-1, 1));
    }

    [Fact]
    public void TheDefaultSliceIsEmptyAndADisposedRegionIsRefusedWithoutThrowing()
    {
        DmaSlice none = default;
        Assert.True(none.IsEmpty);
        Assert.True(none.Span.IsEmpty);
        Assert.Equal(0UL, none.Iova);
        Assert.True(none.TryGetSpan(out _));

        DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        var slice = new DmaSlice(region, 0, 10);
        Assert.True(slice.TryGetSpan(out Span<byte> live));
        Assert.Equal(10, live.Length);
        region.Dispose();
        Assert.False(slice.TryGetSpan(out _));
        Assert.Throws<ObjectDisposedException>(() => slice.Span.Length);
    }
}

using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Memory;

public class DmaRegionTests
{
    [Fact]
    public void CreateRoundsUpToWholePagesAndIsZeroed()
    {
        using DmaRegion region = DmaRegion.Create(5000, PageKind.Small);
        Assert.Equal(8192, region.Length);
        Assert.Equal(PageKind.Small, region.PageKind);
        Assert.True(region.IsLocked);
        Assert.True(region.GetSpan(0, 8192).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void SpanAndMemoryViewTheSameBytes()
    {
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        region.GetSpan(100, 4).Fill(0xAB);
        Memory<byte> memory = region.GetMemory(98, 8);
        Assert.Equal(new byte[] { 0, 0, 0xAB, 0xAB, 0xAB, 0xAB, 0, 0 }, memory.ToArray());
        memory.Span[0] = 7;
        Assert.Equal(7, region.GetSpan(98, 1)[0]);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 4097)]
    [InlineData(4096, 1)]
    [InlineData(4095, 2)]
    [InlineData(long.MaxValue, 1)]
    [InlineData(0, -1)]
    public void ViewsOutsideTheRegionAreRefused(long offset, int length)
    {
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(offset, length).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetMemory(offset, length));
    }

    [Fact]
    public void EmptyViewAtTheEndIsAllowed()
    {
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        Assert.Equal(0, region.GetSpan(4096, 0).Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4096)]
    public void BadSizesAreRefused(long length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaRegion.Create(length));
    }

    [Fact]
    public void DoubleDisposeIsHarmlessAndViewsAfterDisposeThrow()
    {
        DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        region.Dispose();
        region.Dispose();
        Assert.Throws<ObjectDisposedException>(() => region.GetSpan(0, 1).Length);
        Assert.Throws<ObjectDisposedException>(() => region.FileDescriptor);
    }

    [Fact]
    public void IovaTranslationIsBoundsChecked()
    {
        using DmaRegion region = DmaRegion.Create(8192, PageKind.Small);
        Assert.True(region.TryGetOffset(region.Iova + 100, 50, out long offset));
        Assert.Equal(100, offset);
        Assert.Equal(region.Iova + 100, region.GetIova(100));
        Assert.True(region.TryGetOffset(region.Iova, 8192, out _));
        Assert.False(region.TryGetOffset(region.Iova + 8000, 193, out _));
        Assert.False(region.TryGetOffset(region.Iova - 1, 1, out _));
        Assert.False(region.TryGetOffset(ulong.MaxValue, 2, out _));
        Assert.False(region.TryGetOffset(region.Iova, -1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetIova(8193));
    }

    [Fact]
    public void MappingTheDescriptorSharesTheBytesAtTheGivenIova()
    {
        using DmaRegion region = DmaRegion.Create(3 * 4096, PageKind.Small);
        region.GetSpan(4096, 3).CopyTo(stackalloc byte[3]);
        region.GetSpan(4096 + 10, 3).Fill(0x5A);
        using DmaRegion view = DmaRegion.Map(region.FileDescriptor, 4096, 8192, iova: 0x1_0000_0000);
        Assert.Equal(0x1_0000_0000UL, view.Iova);
        Assert.Equal(0x5A, view.GetSpan(10, 1)[0]);
        view.GetSpan(8191, 1)[0] = 9;
        Assert.Equal(9, region.GetSpan(3 * 4096 - 1, 1)[0]);
        Assert.True(view.TryGetOffset(0x1_0000_0000UL + 10, 3, out long offset));
        Assert.Equal(10, offset);
    }

    [Fact]
    public void MappingPastTheEndOfTheFileIsRefused()
    {
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaRegion.Map(region.FileDescriptor, 0, 8192));
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaRegion.Map(region.FileDescriptor, 8192, 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaRegion.Map(region.FileDescriptor, 100, 4096));
    }

    [Fact]
    public void MappingABadDescriptorNamesTheCallAndErrno()
    {
        using var bad = new SafeFdHandle(987654, ownsHandle: false);
        NativeCallException e = Assert.Throws<NativeCallException>(() => DmaRegion.Map(bad, 0, 4096));
        Assert.Equal("rn_dup", e.Call);
        Assert.Equal(9, e.Errno);
        Assert.Contains("errno 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugePagesAreUsedWhenAskedAndFreeOrRefusedClearly()
    {
        HugePageInfo info = HugePageInfo.Read();
        if (info.PageSize > 0 && info.FreePages > 0)
        {
            using DmaRegion region = DmaRegion.Create(1, PageKind.Huge);
            Assert.Equal(PageKind.Huge, region.PageKind);
            Assert.Equal(info.PageSize, region.Length);
            region.GetSpan(region.Length - 1, 1)[0] = 1;
        }
        else
        {
            NativeCallException e = Assert.Throws<NativeCallException>(() => DmaRegion.Create(1, PageKind.Huge));
            Assert.Equal(12, e.Errno);
        }

        // Auto never fails for lack of huge pages.
        using DmaRegion auto = DmaRegion.Create(1 << 20);
        Assert.True(auto.PageKind is PageKind.Small or PageKind.Huge);
    }
}

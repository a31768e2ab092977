using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

public class NativeShimTests
{
    [Fact]
    public void VersionMatchesTheCMakeProject()
    {
        Assert.Equal((0 << 16) | (1 << 8) | 0, NativeMethods.Version());
    }

    [Fact]
    public void FailedCallsNameTheCallAndTheErrno()
    {
        NativeCallException e = Assert.Throws<NativeCallException>(() => NativeError.Check(-22, "rn_example"));
        Assert.Equal("rn_example", e.Call);
        Assert.Equal(22, e.Errno);
        Assert.Equal("rn_example failed: errno 22 (Invalid argument)", e.Message);
        Assert.Equal(5, NativeError.Check(5, "rn_example"));
    }

    [Fact]
    public void ClosingABadDescriptorReportsEbadf()
    {
        Assert.Equal(-9, NativeMethods.Close(-1));
        Assert.Equal(-9, NativeMethods.Close(999_999));
    }

    [Fact]
    public void InvalidArgumentsAreRefusedByTheShim()
    {
        Assert.Equal(-22, NativeMethods.MemfdCreate("x", 0, NativeMethods.PageSmall, out _));
        Assert.Equal(-22, NativeMethods.MemfdCreate("x", 4096, 7, out _));
        Assert.Equal(-22, NativeMethods.EventFdCreate(0, 64, out _));
    }

    [Fact]
    public void LoadsALibraryAndFindsItsSymbols()
    {
        Assert.True(NativeLibraryHandle.TryLoad("libc.so.6", out NativeLibraryHandle? libc, out _));
        using (libc)
        {
            Assert.True(libc.TryGetSymbol("getpid", out nint getpid, out _));
            Assert.NotEqual(0, getpid);
            Assert.False(libc.TryGetSymbol("rn_no_such_symbol", out _, out string error));
            Assert.Contains("rn_no_such_symbol", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AMissingLibraryGivesTheLoaderMessage()
    {
        Assert.False(NativeLibraryHandle.TryLoad("libkalray-no-such-runtime.so", out NativeLibraryHandle? library, out string error));
        Assert.Null(library);
        Assert.Contains("libkalray-no-such-runtime.so", error, StringComparison.Ordinal);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

/// <summary>The shim's file calls: the struct layout its _Static_asserts fix, and what the kernel reports.</summary>
public sealed class NativeFileTests : IDisposable
{
    private readonly string _file = Path.Combine("/var/tmp", $"rn-native-file-{Guid.NewGuid():N}.img");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void GeometryLayout_MatchesTheCStruct()
    {
        Assert.Equal(24, Unsafe.SizeOf<NativeFileGeometry>());
        Assert.Equal(0, (int)Marshal.OffsetOf<NativeFileGeometry>(nameof(NativeFileGeometry.Size)));
        Assert.Equal(8, (int)Marshal.OffsetOf<NativeFileGeometry>(nameof(NativeFileGeometry.LogicalBlockSize)));
        Assert.Equal(12, (int)Marshal.OffsetOf<NativeFileGeometry>(nameof(NativeFileGeometry.DirectMemoryAlignment)));
        Assert.Equal(16, (int)Marshal.OffsetOf<NativeFileGeometry>(nameof(NativeFileGeometry.DirectOffsetAlignment)));
        Assert.Equal(20, (int)Marshal.OffsetOf<NativeFileGeometry>(nameof(NativeFileGeometry.IsBlockDevice)));
    }

    [Fact]
    public void ARegularFile_ReportsItsSizeAndTheExt4DirectIoAlignment()
    {
        Assert.Equal(0, NativeFile.TryOpen(_file, create: true, direct: true, dataSync: false, out SafeFileHandle? handle));
        using (handle)
        {
            RandomAccess.SetLength(handle!, 12345);
            NativeFileGeometry geometry = NativeFile.GetGeometry(handle!);
            Assert.Equal(12345UL, geometry.Size);
            Assert.Equal(0, geometry.IsBlockDevice);
            Assert.Equal(0U, geometry.LogicalBlockSize);

            // ext4 on a 512-byte-sector disk (statx STATX_DIOALIGN), as `stat` would not say but the kernel does.
            Assert.True(geometry.DirectOffsetAlignment is 512 or 4096, $"{geometry.DirectOffsetAlignment}");
            Assert.True(geometry.DirectMemoryAlignment is >= 1 and <= 4096, $"{geometry.DirectMemoryAlignment}");
            NativeFile.DataSync(handle!);
            Assert.True(NativeFile.TryZeroRange(handle!, 0, 4096));
        }
    }

    [Fact]
    public void BadArguments_AreRefusedWithErrno()
    {
        Assert.Equal(-22, NativeMethods.FileOpen(_file, 64, out _));
        Assert.Equal(-2, NativeFile.TryOpen("/var/tmp/rn-no-such-dir/x", create: true, direct: false, dataSync: false, out SafeFileHandle? none));
        Assert.Null(none);
        Assert.Equal(-9, NativeMethods.FileGeometryGet(-1, out _));
        Assert.Equal(-9, NativeMethods.FileDataSyncCall(-1));

        // A character device is neither a file nor a block device.
        using var stream = new FileStream("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        NativeCallException e = Assert.Throws<NativeCallException>(() => NativeFile.GetGeometry(stream.SafeFileHandle));
        Assert.Equal(95, e.Errno);
    }
}

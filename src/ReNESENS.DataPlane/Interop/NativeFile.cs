using Microsoft.Win32.SafeHandles;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Files and block devices opened through the shim: O_DIRECT and O_DSYNC, geometry, fdatasync and zeroing, which .NET does not expose.</summary>
internal static class NativeFile
{
    /// <summary>Opens <paramref name="path"/> read-write; the negative errno when the kernel refuses (EINVAL: O_DIRECT not supported here).</summary>
    public static int TryOpen(string path, bool create, bool direct, bool dataSync, out SafeFileHandle? handle)
    {
        int flags = (create ? NativeMethods.FileCreate : 0) | (direct ? NativeMethods.FileDirect : 0) | (dataSync ? NativeMethods.FileDataSync : 0);
        int rc = NativeMethods.FileOpen(path, flags, out int fd);
        handle = rc == 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
        return rc;
    }

    /// <summary>Size and O_DIRECT alignment of the open file or block device.</summary>
    public static NativeFileGeometry GetGeometry(SafeFileHandle handle)
    {
        using var lease = new SafeHandleLease(handle);
        NativeError.Check(NativeMethods.FileGeometryGet((int)lease.Value, out NativeFileGeometry geometry), "rn_file_geometry_get");
        return geometry;
    }

    /// <summary>fdatasync: every completed write, and the metadata needed to read it back, is durable.</summary>
    public static void DataSync(SafeFileHandle handle)
    {
        using var lease = new SafeHandleLease(handle);
        NativeError.Check(NativeMethods.FileDataSyncCall((int)lease.Value), "rn_fdatasync");
    }

    /// <summary>Makes a range read as zeros without writing it; false when neither the device nor the file system can (EOPNOTSUPP).</summary>
    public static bool TryZeroRange(SafeFileHandle handle, long offset, long length)
    {
        using var lease = new SafeHandleLease(handle);
        int rc = NativeMethods.ZeroRange((int)lease.Value, (ulong)offset, (ulong)length);
        if (rc == -NativeError.EOPNOTSUPP)
        {
            return false;
        }

        NativeError.Check(rc, "rn_zero_range");
        return true;
    }
}

using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Mirror of <c>rn_file_geometry</c>: size and O_DIRECT alignment of a file or block device.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct NativeFileGeometry
{
    /// <summary>Bytes: BLKGETSIZE64 for a block device, st_size for a file.</summary>
    [FieldOffset(0)]
    public ulong Size;

    /// <summary>BLKSSZGET for a block device; 0 for a file.</summary>
    [FieldOffset(8)]
    public uint LogicalBlockSize;

    /// <summary>Buffer alignment O_DIRECT needs; 0 when the kernel does not say.</summary>
    [FieldOffset(12)]
    public uint DirectMemoryAlignment;

    /// <summary>Offset and length alignment O_DIRECT needs; 0 when unknown or unsupported.</summary>
    [FieldOffset(16)]
    public uint DirectOffsetAlignment;

    /// <summary>1 for a block device.</summary>
    [FieldOffset(20)]
    public int IsBlockDevice;
}

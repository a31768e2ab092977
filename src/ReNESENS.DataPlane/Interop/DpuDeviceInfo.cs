using System.Runtime.InteropServices;
using System.Text;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Mirror of <c>rn_dpu_device_info</c>; the header's _Static_asserts pin the same offsets.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct DpuDeviceInfo
{
    [FieldOffset(0)] public uint AbiVersion;
    [FieldOffset(4)] public uint DeviceVersion;
    [FieldOffset(8)] public ulong OpMask;
    [FieldOffset(16)] public uint MaxQueuePairs;
    [FieldOffset(20)] public uint MaxQueueDepth;
    [FieldOffset(24)] public uint MaxDataSize;
    [FieldOffset(28)] public uint Flags;

    /// <summary>NUL-terminated device name.</summary>
    [FieldOffset(32)] public fixed byte Name[64];
    [FieldOffset(96)] public fixed ulong Reserved96[4];

    /// <summary>The name up to its NUL (at most 64 bytes, so a runtime that forgets the NUL is still safe).</summary>
    public readonly string GetName()
    {
        fixed (byte* p = Name)
        {
            var bytes = new ReadOnlySpan<byte>(p, 64);
            int end = bytes.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        }
    }
}

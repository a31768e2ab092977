using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>One gather element for <c>rn_tap_write_burst</c> and <c>rn_socket_sendv</c>: the LP64 layout of <c>struct iovec</c> (the shim asserts it).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct IoVector
{
    /// <summary>First byte.</summary>
    [FieldOffset(0)]
    public byte* Base;

    /// <summary>Bytes at <see cref="Base"/>.</summary>
    [FieldOffset(8)]
    public ulong Length;
}

using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Mirror of <c>rn_dpu_completion</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct DpuCompletion
{
    [FieldOffset(0)] public ulong Cookie;
    [FieldOffset(8)] public ulong Result;
    [FieldOffset(16)] public uint Bytes;

    /// <summary>A <see cref="DpuStatus"/> value, or anything else when the device misbehaves.</summary>
    [FieldOffset(20)] public int Status;
    [FieldOffset(24)] public uint PiErrorBlock;
    [FieldOffset(28)] public byte PiErrorField;
    [FieldOffset(29)] public byte Stage;
    [FieldOffset(30)] public ushort Reserved30;
    [FieldOffset(32)] public ulong PiExpected;
    [FieldOffset(40)] public ulong PiActual;
}

using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Mirror of <c>rn_dpu_desc</c>: one operation on buffers named by offset in the queue pair's region.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct DpuDescriptor
{
    [FieldOffset(0)] public ulong Cookie;
    [FieldOffset(8)] public DpuOp Op;
    [FieldOffset(9)] public byte ChainLength;
    [FieldOffset(10)] public fixed byte ChainOps[DpuAbi.MaxChain];
    [FieldOffset(14)] public ushort Reserved14;
    [FieldOffset(16)] public ulong SrcOffset;
    [FieldOffset(24)] public ulong DstOffset;
    [FieldOffset(32)] public ulong MetaOffset;
    [FieldOffset(40)] public ulong Lba;
    [FieldOffset(48)] public ulong CrcSeed;
    [FieldOffset(56)] public ulong InitialRefTag;
    [FieldOffset(64)] public uint SrcLength;
    [FieldOffset(68)] public uint DstCapacity;
    [FieldOffset(72)] public uint MetaLength;
    [FieldOffset(76)] public uint KeyHandle;
    [FieldOffset(80)] public uint BlockSize;
    [FieldOffset(84)] public uint CryptoUnit;
    [FieldOffset(88)] public ushort AppTag;
    [FieldOffset(90)] public ushort AppTagMask;
    [FieldOffset(92)] public ushort MetaSize;
    [FieldOffset(94)] public DpuPiFormat PiFormat;
    [FieldOffset(95)] public byte PiType;
    [FieldOffset(96)] public byte PiChecks;
    [FieldOffset(97)] public byte PiLocation;
    [FieldOffset(98)] public byte MetaMode;
    [FieldOffset(99)] public fixed byte Reserved99[5];
    [FieldOffset(104)] public uint CompressedLength;
    [FieldOffset(108)] public uint AuxLength;
    [FieldOffset(112)] public ulong AuxOffset;
    [FieldOffset(120)] public ulong Reserved120;
}

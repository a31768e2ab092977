using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>The 16-byte NVMe completion queue entry carried in a response capsule (NVMe base 2.0, "Common Completion Queue Entry").</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CompletionQueueEntry
{
    /// <summary>Size in bytes.</summary>
    public const int Size = 16;

    /// <summary>DW0: command specific.</summary>
    [FieldOffset(0)] public uint Dword0;

    /// <summary>DW1: command specific.</summary>
    [FieldOffset(4)] public uint Dword1;

    /// <summary>DW0..1 as one 64-bit value (Property Get of an 8-byte property).</summary>
    [FieldOffset(0)] public ulong Dword0And1;

    /// <summary>SQHD: submission queue head pointer.</summary>
    [FieldOffset(8)] public ushort SubmissionQueueHead;

    /// <summary>SQID.</summary>
    [FieldOffset(10)] public ushort SubmissionQueueId;

    /// <summary>CID.</summary>
    [FieldOffset(12)] public ushort CommandId;

    /// <summary>Phase tag (bit 0) and status field (bits 15:1: SC, SCT, CRD, M, DNR).</summary>
    [FieldOffset(14)] public ushort Status;
}

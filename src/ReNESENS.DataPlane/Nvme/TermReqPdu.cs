using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>H2CTermReq / C2HTermReq header, 24 bytes; up to <see cref="MaxErrorData"/> bytes of the PDU header in error follow.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct TermReqPdu
{
    /// <summary>Size in bytes (HLEN).</summary>
    public const int Size = 24;

    /// <summary>Most bytes of the offending PDU header carried as data (PLEN at most 152).</summary>
    public const int MaxErrorData = 128;

    /// <summary>Common header.</summary>
    [FieldOffset(0)] public PduCommonHeader Header;

    /// <summary>FES: fatal error status.</summary>
    [FieldOffset(8)] public FatalErrorStatus Status;

    /// <summary>FEI: fatal error information (byte offset of the bad field, for FES 1 and 6).</summary>
    [FieldOffset(10)] public uint Information;
}

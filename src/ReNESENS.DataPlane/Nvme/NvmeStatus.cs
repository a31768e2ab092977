namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// An NVMe status field: SC in bits 7:0, SCT in bits 10:8, DNR in bit 14 (the CQE's status word
/// shifted right by one, without the phase tag).
/// </summary>
internal static class NvmeStatus
{
    /// <summary>Successful completion.</summary>
    public const ushort Success = 0x000;

    /// <summary>Generic: invalid command opcode.</summary>
    public const ushort InvalidOpcode = 0x001;

    /// <summary>Generic: invalid field in command.</summary>
    public const ushort InvalidField = 0x002;

    /// <summary>Generic: data transfer error.</summary>
    public const ushort DataTransferError = 0x004;

    /// <summary>Generic: internal error.</summary>
    public const ushort InternalError = 0x006;

    /// <summary>Generic: invalid namespace or format.</summary>
    public const ushort InvalidNamespace = 0x00B;

    /// <summary>Generic: command sequence error.</summary>
    public const ushort CommandSequenceError = 0x00C;

    /// <summary>Generic: data SGL length invalid.</summary>
    public const ushort SglLengthInvalid = 0x00F;

    /// <summary>Generic: SGL descriptor type invalid.</summary>
    public const ushort SglTypeInvalid = 0x011;

    /// <summary>Generic: transient transport error (a data digest mismatch).</summary>
    public const ushort TransientTransportError = 0x022;

    /// <summary>Generic: LBA out of range.</summary>
    public const ushort LbaOutOfRange = 0x080;

    /// <summary>Generic: capacity exceeded (a thin store has no room left).</summary>
    public const ushort CapacityExceeded = 0x081;

    /// <summary>Media and data integrity: unrecovered read error (stored data that does not decode).</summary>
    public const ushort UnrecoveredReadError = 0x281;

    /// <summary>Media and data integrity: write fault.</summary>
    public const ushort WriteFault = 0x280;

    /// <summary>Media and data integrity: end-to-end guard check error.</summary>
    public const ushort GuardCheckError = 0x282;

    /// <summary>Media and data integrity: end-to-end application tag check error.</summary>
    public const ushort ApplicationTagCheckError = 0x283;

    /// <summary>Media and data integrity: end-to-end reference tag check error.</summary>
    public const ushort ReferenceTagCheckError = 0x284;

    /// <summary>Command specific: asynchronous event request limit exceeded.</summary>
    public const ushort AsyncEventLimitExceeded = 0x105;

    /// <summary>Command specific: invalid log page.</summary>
    public const ushort InvalidLogPage = 0x109;

    /// <summary>Command specific: feature identifier not saveable.</summary>
    public const ushort FeatureNotSaveable = 0x10D;

    /// <summary>Command specific (Connect): incompatible format.</summary>
    public const ushort ConnectIncompatibleFormat = 0x180;

    /// <summary>Command specific (Connect): controller busy.</summary>
    public const ushort ConnectControllerBusy = 0x181;

    /// <summary>Command specific (Connect): invalid parameters.</summary>
    public const ushort ConnectInvalidParameters = 0x182;

    /// <summary>Command specific (Connect): invalid host.</summary>
    public const ushort ConnectInvalidHost = 0x184;

    /// <summary>Do Not Retry bit.</summary>
    public const ushort DoNotRetry = 0x4000;

    /// <summary>The CQE status word (phase tag 0) for a status field.</summary>
    public static ushort ToCqe(ushort status) => (ushort)(status << 1);

    /// <summary>The status field of a CQE status word.</summary>
    public static ushort FromCqe(ushort cqeStatus) => (ushort)(cqeStatus >> 1);

    /// <summary>SC and SCT of a status field, without DNR/More/CRD.</summary>
    public static ushort Code(ushort status) => (ushort)(status & 0x7FF);
}

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The command's tag values for a run of blocks: the LBA of the first block, the initial reference
/// tag (ILBRT/EILBRT), the expected application tag (LBAT) and its mask (LBATM).
/// </summary>
/// <param name="FirstLba">The LBA of the first block: the reference tag base for type 1.</param>
/// <param name="InitialReferenceTag">The reference tag of the first block for types 2 and 3 (type 3 keeps it for every block).</param>
/// <param name="ApplicationTag">The application tag written by generate and expected by verify.</param>
/// <param name="ApplicationTagMask">Bits of the application tag that verify compares (LBATM); 0xFFFF compares all.</param>
public readonly record struct ProtectionInformationTags(
    ulong FirstLba,
    ulong InitialReferenceTag = 0,
    ushort ApplicationTag = 0,
    ushort ApplicationTagMask = 0xFFFF);

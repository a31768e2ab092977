namespace ReNESENS.DataPlane.Kernels;

/// <summary>The guard format of NVMe end-to-end protection information (NVM Command Set, 5.2).</summary>
public enum ProtectionInformationGuard
{
    /// <summary>16b Guard: 8 bytes of PI (CRC-16/T10-DIF guard, 16-bit application tag, 32-bit reference tag).</summary>
    Crc16 = 0,

    /// <summary>64b Guard: 16 bytes of PI (CRC-64/NVMe guard, 16-bit application tag, 48-bit storage and reference space; storage tag size 0).</summary>
    Crc64 = 1,
}

/// <summary>The protection information type (the namespace's DPS field, bits 2:0).</summary>
public enum ProtectionInformationType
{
    /// <summary>Type 1: the reference tag of each block is the low bits of its LBA.</summary>
    Type1 = 1,

    /// <summary>Type 2: the reference tag is the command's initial reference tag plus the block index.</summary>
    Type2 = 2,

    /// <summary>Type 3: the reference tag is opaque and never checked.</summary>
    Type3 = 3,
}

/// <summary>Which fields a verify checks: the NVMe PRCHK bits (PRINFO bits 2:0 of CDW12).</summary>
[Flags]
public enum ProtectionInformationChecks
{
    /// <summary>No field is checked.</summary>
    None = 0,

    /// <summary>PRCHK bit 0: the reference tag (ignored for type 3).</summary>
    ReferenceTag = 1,

    /// <summary>PRCHK bit 1: the application tag, under the application tag mask.</summary>
    ApplicationTag = 2,

    /// <summary>PRCHK bit 2: the guard.</summary>
    Guard = 4,

    /// <summary>All three fields.</summary>
    All = Guard | ApplicationTag | ReferenceTag,
}

/// <summary>The field a verify found wrong.</summary>
public enum ProtectionInformationField
{
    /// <summary>Nothing failed.</summary>
    None = 0,

    /// <summary>The guard (the CRC of the block) differs.</summary>
    Guard = 1,

    /// <summary>The application tag differs under the mask.</summary>
    ApplicationTag = 2,

    /// <summary>The reference tag differs.</summary>
    ReferenceTag = 3,
}

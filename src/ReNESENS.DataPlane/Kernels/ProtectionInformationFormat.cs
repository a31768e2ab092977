namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// How the blocks of a run and their protection information are laid out: the LBA format (data
/// and metadata sizes), the guard format, the PI type, where the PI sits in the metadata and
/// whether metadata is interleaved with the data (extended LBA) or in a separate buffer.
/// </summary>
/// <param name="DataSize">Bytes of data per logical block (512, 4096, ...); positive.</param>
/// <param name="MetadataSize">Bytes of metadata per logical block; at least the PI size (8 bytes for <see cref="ProtectionInformationGuard.Crc16"/>, 16 for <see cref="ProtectionInformationGuard.Crc64"/>).</param>
/// <param name="Guard">The guard format.</param>
/// <param name="Type">The PI type.</param>
/// <param name="PiFirst">
/// The namespace's PI location bit (DPS bit 3): true puts the PI in the first bytes of the metadata
/// and the guard covers the data only; false (the default) puts it in the last bytes, and the guard
/// covers the data and every metadata byte before the PI (NVM Command Set, 5.2.1.1 and 5.2.1.2).
/// </param>
/// <param name="Interleaved">
/// True for an extended LBA (each block's metadata follows its data in the same buffer); false for a
/// separate metadata buffer holding <see cref="MetadataSize"/> bytes per block.
/// </param>
public readonly record struct ProtectionInformationFormat(
    int DataSize,
    int MetadataSize,
    ProtectionInformationGuard Guard,
    ProtectionInformationType Type,
    bool PiFirst = false,
    bool Interleaved = false)
{
    /// <summary>Bytes of PI per block: 8 for the 16b guard, 16 for the 64b guard.</summary>
    public int PiSize => Guard == ProtectionInformationGuard.Crc64 ? 16 : 8;

    /// <summary>Bytes one block takes in the data buffer: data plus metadata when interleaved, else data.</summary>
    public int DataStride => Interleaved ? DataSize + MetadataSize : DataSize;

    /// <summary>Offset of the PI inside one block's metadata.</summary>
    public int PiOffset => PiFirst ? 0 : MetadataSize - PiSize;

    /// <summary>The largest reference tag the format holds: 2^32 - 1 for the 16b guard, 2^48 - 1 for the 64b guard.</summary>
    public ulong ReferenceTagMask => Guard == ProtectionInformationGuard.Crc64 ? 0xFFFF_FFFF_FFFFUL : 0xFFFF_FFFFUL;
}

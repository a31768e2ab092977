namespace ReNESENS.DataPlane.Virtio;

/// <summary>One region of a vhost-user memory table, as the frontend describes it.</summary>
/// <param name="GuestPhysicalAddress">Guest physical address of the first byte (what descriptors carry).</param>
/// <param name="Size">Length of the region in bytes.</param>
/// <param name="UserAddress">The frontend's own virtual address of the first byte (what vring addresses carry).</param>
/// <param name="MmapOffset">Offset of the first byte in the file the frontend sent with the table.</param>
internal readonly record struct GuestMemoryRegion(ulong GuestPhysicalAddress, ulong Size, ulong UserAddress, ulong MmapOffset);

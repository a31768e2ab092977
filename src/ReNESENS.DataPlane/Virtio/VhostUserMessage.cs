using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// One vhost-user request, copied out of the socket buffer and checked: header (request, flags, size), the
/// payload the request takes and the number of file descriptors that came with it.
/// </summary>
internal struct VhostUserMessage
{
    /// <summary>Size of the header: request, flags, size (u32 each).</summary>
    internal const int HeaderSize = 12;

    /// <summary>Largest payload any accepted request carries (a memory table of 8 regions).</summary>
    internal const int MaxPayloadSize = 8 + (GuestMemory.MaxRegions * RegionSize);

    /// <summary>Size of one memory region entry.</summary>
    internal const int RegionSize = 32;

    /// <summary>Version 1 in bits 0..1 of the flags.</summary>
    internal const uint FlagVersion = 1;

    /// <summary>Bit 2: this is a reply.</summary>
    internal const uint FlagReply = 4;

    /// <summary>Bit 3: the frontend wants a reply (with REPLY_ACK).</summary>
    internal const uint FlagNeedReply = 8;

    /// <summary>Bit 8 of a kick/call/err payload: no file descriptor (polling).</summary>
    internal const ulong NoFdBit = 0x100;

    /// <summary>The request.</summary>
    public VhostUserRequest Request;

    /// <summary>The payload size from the header.</summary>
    public int PayloadSize;

    /// <summary>Whether the need-reply flag was set.</summary>
    public bool NeedReply;

    /// <summary>u64 payload (features), or the index/no-fd word of kick/call/err.</summary>
    public ulong Value;

    /// <summary>Vring index (vring state, address, kick/call/err).</summary>
    public uint Index;

    /// <summary>Vring state number.</summary>
    public uint Number;

    /// <summary>Vring address flags.</summary>
    public uint AddressFlags;

    /// <summary>Descriptor table address.</summary>
    public ulong DescriptorAddress;

    /// <summary>Used ring (packed: device area) address.</summary>
    public ulong UsedAddress;

    /// <summary>Available ring (packed: driver area) address.</summary>
    public ulong AvailAddress;

    /// <summary>Whether a kick/call/err message has no descriptor.</summary>
    public bool NoFd;

    /// <summary>Number of memory regions.</summary>
    public int RegionCount;

    /// <summary>The memory regions.</summary>
    public RegionArray Regions;

    /// <summary>Checks a header; on success <paramref name="message"/> has the request, size and flags.</summary>
    internal static VhostUserProtocolError TryParseHeader(ReadOnlySpan<byte> header, out VhostUserMessage message)
    {
        message = default;
        if (header.Length < HeaderSize)
        {
            return VhostUserProtocolError.Truncated;
        }

        uint request = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if ((flags & ~FlagNeedReply) != FlagVersion)
        {
            return VhostUserProtocolError.BadFlags;
        }

        message.Request = (VhostUserRequest)request;
        message.NeedReply = (flags & FlagNeedReply) != 0;
        int expected = ExpectedSize(message.Request);
        if (expected < 0)
        {
            return VhostUserProtocolError.UnsupportedRequest;
        }

        bool sizeOk = message.Request == VhostUserRequest.SetMemTable
            ? size >= 8 + RegionSize && size <= MaxPayloadSize && (size - 8) % RegionSize == 0
            : size == (uint)expected;
        if (!sizeOk)
        {
            return VhostUserProtocolError.BadSize;
        }

        message.PayloadSize = (int)size;
        return VhostUserProtocolError.None;
    }

    /// <summary>Checks the payload of a message whose header passed <see cref="TryParseHeader"/>, and its descriptor count.</summary>
    internal static VhostUserProtocolError TryParsePayload(ref VhostUserMessage message, ReadOnlySpan<byte> payload, int fdCount)
    {
        if (payload.Length != message.PayloadSize)
        {
            return VhostUserProtocolError.Truncated;
        }

        int expectedFds = 0;
        switch (message.Request)
        {
            case VhostUserRequest.SetFeatures or VhostUserRequest.SetProtocolFeatures:
                message.Value = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                break;
            case VhostUserRequest.SetVringNum or VhostUserRequest.SetVringBase or VhostUserRequest.GetVringBase or VhostUserRequest.SetVringEnable:
                message.Index = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                message.Number = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
                break;
            case VhostUserRequest.SetVringAddr:
                message.Index = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                message.AddressFlags = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
                message.DescriptorAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
                message.UsedAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]);
                message.AvailAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]);

                // The log address (payload[32..40]) is ignored: logging is never negotiated, and flags must be 0.
                if (message.AddressFlags != 0)
                {
                    return VhostUserProtocolError.BadValue;
                }

                break;
            case VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr:
                message.Value = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                if ((message.Value & ~(NoFdBit | 0xFF)) != 0)
                {
                    return VhostUserProtocolError.BadValue;
                }

                message.Index = (uint)(message.Value & 0xFF);
                message.NoFd = (message.Value & NoFdBit) != 0;
                expectedFds = message.NoFd ? 0 : 1;
                break;
            case VhostUserRequest.SetMemTable:
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                if (count == 0 || count > GuestMemory.MaxRegions || payload.Length != 8 + ((int)count * RegionSize))
                {
                    return VhostUserProtocolError.BadValue;
                }

                message.RegionCount = (int)count;
                for (int i = 0; i < message.RegionCount; i++)
                {
                    ReadOnlySpan<byte> r = payload.Slice(8 + (i * RegionSize), RegionSize);
                    message.Regions[i] = new GuestMemoryRegion(
                        GuestPhysicalAddress: BinaryPrimitives.ReadUInt64LittleEndian(r),
                        Size: BinaryPrimitives.ReadUInt64LittleEndian(r[8..]),
                        UserAddress: BinaryPrimitives.ReadUInt64LittleEndian(r[16..]),
                        MmapOffset: BinaryPrimitives.ReadUInt64LittleEndian(r[24..]));
                }

                expectedFds = message.RegionCount;
                break;
        }

        return fdCount == expectedFds ? VhostUserProtocolError.None : VhostUserProtocolError.BadFileDescriptorCount;
    }

    /// <summary>The payload size a request takes, or -1 for a request not accepted (SetMemTable: its minimum).</summary>
    private static int ExpectedSize(VhostUserRequest request) => request switch
    {
        VhostUserRequest.GetFeatures or VhostUserRequest.SetOwner or VhostUserRequest.ResetOwner
            or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum => 0,
        VhostUserRequest.SetFeatures or VhostUserRequest.SetProtocolFeatures
            or VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr => 8,
        VhostUserRequest.SetVringNum or VhostUserRequest.SetVringBase or VhostUserRequest.GetVringBase or VhostUserRequest.SetVringEnable => 8,
        VhostUserRequest.SetVringAddr => 40,
        VhostUserRequest.SetMemTable => 8 + RegionSize,
        _ => -1,
    };

    /// <summary>Room for the regions of one memory table.</summary>
    [InlineArray(GuestMemory.MaxRegions)]
    internal struct RegionArray
    {
        private GuestMemoryRegion _first;
    }
}

using System.Buffers.Binary;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Virtio;

/// <summary>
/// A fake virtio driver written in the test: one memfd region shared as guest memory (guest physical base
/// <see cref="GuestBase"/>, frontend user base <see cref="UserBase"/>), with ring areas at fixed offsets and
/// a data area, and helpers that write descriptors and publish buffers as a driver would.
/// </summary>
internal sealed class FakeGuest : IDisposable
{
    public const ulong GuestBase = 0x4000_0000;
    public const ulong UserBase = 0x7F00_0000_0000;
    public const int MemorySize = 1 << 20;
    public const int DescOffset = 0;
    public const int AvailOffset = 0x4000;
    public const int UsedOffset = 0x8000;
    public const int IndirectOffset = 0xC000;
    public const int DataOffset = 0x10000;

    private ushort _availIdx;
    private int _packedSlot;
    private bool _packedWrap = true;

    public FakeGuest(int size = 256, uint start = 0)
    {
        Size = size;
        Region = DmaRegion.Create(MemorySize, PageKind.Small, lockMemory: false, name: "rn-vhost-fake-guest");
        Memory = GuestMemory.Map([new GuestMemoryRegion(GuestBase, MemorySize, UserBase, 0)], [Region.FileDescriptor]);
        _availIdx = (ushort)start;
    }

    public int Size { get; }

    public DmaRegion Region { get; }

    public GuestMemory Memory { get; }

    public Span<byte> Bytes => Region.GetSpan(0, MemorySize);

    public SplitVirtqueue Split(bool indirect = false, bool eventIndex = false, ushort start = 0) =>
        SplitVirtqueue.Create(Memory, Size, UserBase + DescOffset, UserBase + AvailOffset, UserBase + UsedOffset, start, indirect, eventIndex)!;

    public PackedVirtqueue Packed(bool indirect = false, bool eventIndex = false) =>
        PackedVirtqueue.Create(Memory, Size, UserBase + DescOffset, UserBase + AvailOffset, UserBase + UsedOffset, 0x8000, indirect, eventIndex)!;

    public static ulong Gpa(int offset) => GuestBase + (ulong)offset;

    /// <summary>Writes a split descriptor into the table at <paramref name="tableOffset"/>.</summary>
    public void WriteSplit(int index, ulong address, uint length, ushort flags, ushort next, int tableOffset = DescOffset)
    {
        Span<byte> d = Bytes.Slice(tableOffset + (index * 16), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
    }

    /// <summary>Puts a head in the available ring and publishes the new index.</summary>
    public void PublishSplit(ushort head)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Bytes[(AvailOffset + 4 + (2 * (_availIdx % Size)))..], head);
        _availIdx++;
        SetAvailIndex(_availIdx);
    }

    public void SetAvailIndex(ushort index) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes[(AvailOffset + 2)..], index);

    public ushort UsedIndex => BinaryPrimitives.ReadUInt16LittleEndian(Bytes[(UsedOffset + 2)..]);

    public (uint Id, uint Length) Used(int slot) => (
        BinaryPrimitives.ReadUInt32LittleEndian(Bytes[(UsedOffset + 4 + (8 * (slot % Size)))..]),
        BinaryPrimitives.ReadUInt32LittleEndian(Bytes[(UsedOffset + 8 + (8 * (slot % Size)))..]));

    /// <summary>Sets <c>used_event</c> (split, event index).</summary>
    public void SetUsedEvent(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes[(AvailOffset + 4 + (2 * Size))..], value);

    /// <summary>Writes a packed chain at the driver's next slots, the head's flags last, as a driver must.</summary>
    public int PublishPacked(ushort id, params (ulong Address, uint Length, ushort Flags)[] chain)
    {
        int headSlot = _packedSlot;
        ushort headFlags = 0;
        for (int i = 0; i < chain.Length; i++)
        {
            ushort flags = (ushort)(chain[i].Flags | (i < chain.Length - 1 ? 1 : 0) | (_packedWrap ? 1 << 7 : 1 << 15));
            Span<byte> d = Bytes.Slice(DescOffset + (_packedSlot * 16), 16);
            BinaryPrimitives.WriteUInt64LittleEndian(d, chain[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], chain[i].Length);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], id);
            if (i == 0)
            {
                headFlags = flags;
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(d[14..], flags);
            }

            if (++_packedSlot == Size)
            {
                _packedSlot = 0;
                _packedWrap = !_packedWrap;
            }
        }

        BinaryPrimitives.WriteUInt16LittleEndian(Bytes[(DescOffset + (headSlot * 16) + 14)..], headFlags);
        return headSlot;
    }

    public (ushort Id, uint Length, ushort Flags) PackedAt(int slot)
    {
        Span<byte> d = Bytes.Slice(DescOffset + (slot * 16), 16);
        return (BinaryPrimitives.ReadUInt16LittleEndian(d[12..]), BinaryPrimitives.ReadUInt32LittleEndian(d[8..]), BinaryPrimitives.ReadUInt16LittleEndian(d[14..]));
    }

    /// <summary>Writes ASCII text into the data area at <paramref name="offset"/>.</summary>
    public static void DataOffsetBytes(FakeGuest guest, int offset, string text) =>
        System.Text.Encoding.ASCII.GetBytes(text).CopyTo(guest.Bytes[(DataOffset + offset)..]);

    public void Dispose()
    {
        Memory.Dispose();
        Region.Dispose();
    }
}

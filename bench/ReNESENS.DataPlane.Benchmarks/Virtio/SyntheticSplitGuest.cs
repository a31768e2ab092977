using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// The guest side of one vhost-user queue pair, played in-process over a memfd shared as guest memory: two split
/// rings of <see cref="RingSize"/> descriptors, one descriptor per packet as DPDK's virtio PMD lays them out (the
/// virtio-net header pushed in front of the frame), packet buffers 2 KiB apart like mbufs. It stands in for
/// testpmd's virtio-user txonly generator (<see cref="PostTransmit"/>) and rxonly sink (<see cref="PostReceive"/>):
/// descriptors are written once, each burst only republishes heads and reads the used index.
/// </summary>
internal sealed class SyntheticSplitGuest : IDisposable
{
    /// <summary>Descriptors per ring (virtio-user's default queue size).</summary>
    public const int RingSize = 256;

    /// <summary>Frame bytes per packet, without the virtio-net header.</summary>
    public const int FrameLength = 64;

    private const ulong Base = 0x1_0000_0000;
    private const int Stride = 2048;
    private const int TxRing = 0;
    private const int RxRing = 0x4000;
    private const int AvailOffset = 0x1000;
    private const int UsedOffset = 0x2000;
    private const int TxData = 0x10_0000;
    private const int RxData = 0x20_0000;
    private const int MemorySize = 0x30_0000;

    private readonly DmaRegion _region;
    private readonly GuestMemory _memory;
    private ushort _txAvail;
    private ushort _txUsedSeen;
    private ushort _rxAvail;
    private ushort _rxUsedSeen;

    public SyntheticSplitGuest(BufferPool pool, bool mergeable)
    {
        _region = DmaRegion.Create(MemorySize, PageKind.Small, lockMemory: false, name: "rn-bench-guest");
        _memory = GuestMemory.Map([new GuestMemoryRegion(Base, MemorySize, Base, 0)], [_region.FileDescriptor]);
        Span<byte> bytes = _region.GetSpan(0, MemorySize);
        for (int i = 0; i < RingSize; i++)
        {
            // Guest transmit: header (all zero: no offload) then a 64-byte frame, device-readable.
            int tx = TxData + (i * Stride);
            bytes.Slice(tx, VirtioNetHeader.Size).Clear();
            for (int b = 0; b < FrameLength; b++)
            {
                bytes[tx + VirtioNetHeader.Size + b] = (byte)(i + b);
            }

            WriteDescriptor(bytes, TxRing, i, Base + (ulong)tx, VirtioNetHeader.Size + FrameLength, 0);

            // Guest receive: one device-writable buffer per descriptor, as a PMD posts its mbufs.
            WriteDescriptor(bytes, RxRing, i, Base + (ulong)(RxData + (i * Stride)), 1536, 2);
        }

        Port = new VhostUserPort("bench", 0, pool, 9000, NullLogger.Instance);
        Port.Configure(VirtioNetHeader.Size, mergeable, PortOffloads.None, RingSize);
        Port.Attach(true, SplitVirtqueue.Create(_memory, RingSize, Base + TxRing, Base + TxRing + AvailOffset, Base + TxRing + UsedOffset, 0, indirect: false, eventIndex: false)!);
        Port.Attach(false, SplitVirtqueue.Create(_memory, RingSize, Base + RxRing, Base + RxRing + AvailOffset, Base + RxRing + UsedOffset, 0, indirect: false, eventIndex: false)!);
    }

    /// <summary>The backend's port over the two rings.</summary>
    public VhostUserPort Port { get; }

    /// <summary>Reclaims what the device used and makes up to <paramref name="count"/> more packets available to <see cref="IPacketPort.ReceiveBurst"/>.</summary>
    public void PostTransmit(int count) => Post(TxRing, ref _txAvail, ref _txUsedSeen, count);

    /// <summary>Reclaims what the device filled and posts up to <paramref name="count"/> more receive buffers for <see cref="IPacketPort.TransmitBurst"/>.</summary>
    public void PostReceive(int count) => Post(RxRing, ref _rxAvail, ref _rxUsedSeen, count);

    public void Dispose()
    {
        Port.Detach(true);
        Port.Detach(false);
        _memory.Dispose();
        _region.Dispose();
    }

    private static void WriteDescriptor(Span<byte> bytes, int ring, int index, ulong address, uint length, ushort flags)
    {
        Span<byte> d = bytes.Slice(ring + (index * 16), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], 0);
    }

    private void Post(int ring, ref ushort avail, ref ushort usedSeen, int count)
    {
        Span<byte> bytes = _region.GetSpan(ring, 0x3000);
        ushort used = Volatile.Read(ref System.Runtime.CompilerServices.Unsafe.As<byte, ushort>(ref bytes[UsedOffset + 2]));
        usedSeen = used;
        int free = RingSize - (ushort)(avail - usedSeen);
        count = Math.Min(count, free);

        // Buffers come back in order, so the head for slot n is always n: the available ring entries never change.
        for (int i = 0; i < count; i++)
        {
            int slot = (avail + i) & (RingSize - 1);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[(AvailOffset + 4 + (2 * slot))..], (ushort)slot);
        }

        avail += (ushort)count;
        Volatile.Write(ref System.Runtime.CompilerServices.Unsafe.As<byte, ushort>(ref bytes[AvailOffset + 2]), avail);
    }
}

using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>vringchain</c>: the descriptor-chain walkers of split and packed virtqueues on rings a hostile
/// driver wrote. Byte 0: bit 0 packed, bit 1 indirect negotiated, bit 2 the device writes, bit 3 event index;
/// byte 1: the queue size (split: 2^(b % 9), packed: 1 + b). The rest is copied over the descriptor table
/// and the available ring (or driver area) of a 64 KiB guest memory region.
/// </summary>
/// <remarks>
/// Up to 64 buffers are taken, each used and published. Every segment handed out must lie inside the
/// guest's memory and no chain may be longer than the queue; an error must stop the queue for good.
/// </remarks>
public static unsafe class VirtqueueChainTarget
{
    private const ulong GuestBase = 0x1000_0000;
    private const ulong UserBase = 0x2000_0000;
    private const int MemorySize = 64 * 1024;
    private const int AvailOffset = 0x2000;
    private const int UsedOffset = 0x3000;

    private static readonly Lazy<(DmaRegion Region, GuestMemory Memory)> Guest = new(() =>
    {
        DmaRegion region = DmaRegion.Create(MemorySize, PageKind.Small, lockMemory: false, name: "rn-fuzz-guest");
        return (region, GuestMemory.Map([new GuestMemoryRegion(GuestBase, MemorySize, UserBase, 0)], [region.FileDescriptor]));
    });

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        (DmaRegion region, GuestMemory memory) = Guest.Value;
        bool packed = (input[0] & 1) != 0;
        bool indirect = (input[0] & 2) != 0;
        bool deviceWrites = (input[0] & 4) != 0;
        bool eventIndex = (input[0] & 8) != 0;
        int size = packed ? 1 + input[1] : 1 << (input[1] % 9);
        Span<byte> bytes = region.GetSpan(0, MemorySize);
        bytes[..(UsedOffset + 0x1000)].Clear();
        input[2..Math.Min(input.Length, UsedOffset + 2)].CopyTo(bytes);

        Virtqueue? created = packed
            ? PackedVirtqueue.Create(memory, size, UserBase, UserBase + AvailOffset, UserBase + UsedOffset, 0x8000, indirect, eventIndex)
            : SplitVirtqueue.Create(memory, size, UserBase, UserBase + AvailOffset, UserBase + UsedOffset, 0, indirect, eventIndex);
        Virtqueue queue = created ?? throw new FuzzFailureException("a valid ring was refused");
        byte* guestStart = memory.TranslateGuest(GuestBase, MemorySize);
        for (int i = 0; i < 64; i++)
        {
            queue.ResetSegments();
            if (!queue.TryTake(deviceWrites, out VirtqueueBuffer buffer))
            {
                break;
            }

            ReadOnlySpan<BufferSegment> segments = queue.GetSegments(buffer);
            Check(segments.Length <= size, $"a chain of {segments.Length} segments in a ring of {size}");
            long total = 0;
            foreach (BufferSegment s in segments)
            {
                // The walker's mapping and ours are two views of one file: compare offsets, not addresses.
                long offset = s.Pointer - guestStart;
                Check(offset >= 0 && s.Length > 0 && offset + s.Length <= MemorySize, $"segment at {offset} + {s.Length} outside guest memory");
                total += s.Length;
            }

            Check(total == buffer.Length, "segment lengths do not add up");
            Check(buffer.Id < size, $"buffer id {buffer.Id} in a ring of {size}");
            queue.AddUsed(buffer, 0);
            queue.Flush();
        }

        if (queue.Error != VirtqueueError.None)
        {
            Check(!queue.TryTake(deviceWrites, out _), "a stopped queue handed out a buffer");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException(what);
        }
    }
}

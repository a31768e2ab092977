using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>mppacompletion</c>: completion records from a device — a board runtime the host does not
/// control — fed to the MPPA engine's completion handling (<see cref="MppaSlots.Accept"/>, which checks the
/// cookie against the slots in flight and maps the record with <see cref="MppaCompletionMap"/>), exactly as
/// <c>MppaQueuePair</c> does for every record <c>rn_dpu_poll</c> returns.
/// </summary>
/// <remarks>
/// <para>Byte 0: the number of operations in flight, 1 + (b % 32). Then 4 bytes per operation: its kind
/// (1 + b % 13), its region (bit 0) and chain steps (bits 1..3), its buffer sizes, and its PI format. Then
/// 48-byte completion records: mode, operation index, region, PI field (bit 7: take the status as is, else
/// modulo 12), status, bytes, PI block, cookie, result, PI expected, PI actual (little-endian). Mode 0 uses the cookie the operation was submitted
/// with (repeated, it is a duplicate), 1 its slot with the record's sequence, 2 the record's cookie as is.</para>
/// <para>Invariants: every operation ends exactly once (mapped, or a device failure that software redoes),
/// a stale record ends nothing and changes nothing, a mapped completion names its operation and has a
/// status its kind can have, bytes within what the operation's destination holds (so a caller may slice it),
/// a CRC within its width and a PI error block inside the run; afterwards every slot is free again.</para>
/// </remarks>
public static class MppaCompletionTarget
{
    /// <summary>Bytes of one completion record in the input.</summary>
    public const int RecordSize = 48;

    /// <summary>Bytes describing one operation in the input.</summary>
    public const int OpSize = 4;

    private const int Capacity = 32;

    private static readonly int[] Sizes = [0, 1, 16, 100, 512, 4096, 4104, 65536];

    private static readonly Lazy<DmaRegion> Region = new(() => DmaRegion.Create(1 << 20, PageKind.Small, lockMemory: false));

    /// <summary>The operation 4 input bytes describe (buffers in one region; nothing is read or written through them).</summary>
    public static OffloadOp Operation(ReadOnlySpan<byte> b, ulong userData)
    {
        DmaRegion region = Region.Value;
        var kind = (OffloadOpKind)(1 + (b[0] % 13));
        var steps = (OffloadChainSteps)((b[1] >> 1) & 7);
        int src = Sizes[b[2] & 7];
        int dst = Sizes[(b[2] >> 3) & 7];
        var guard = (b[3] & 1) != 0 ? ProtectionInformationGuard.Crc64 : ProtectionInformationGuard.Crc16;
        int metadata = (guard == ProtectionInformationGuard.Crc64 ? 16 : 8) + (((b[3] >> 1) & 1) * 8);
        var format = new ProtectionInformationFormat((b[3] & 4) != 0 ? 4096 : 512, metadata, guard, (ProtectionInformationType)(1 + ((b[3] >> 3) % 3)),
            PiFirst: (b[3] & 32) != 0, Interleaved: (b[3] & 64) != 0);
        return new OffloadOp
        {
            Kind = kind,
            UserData = userData,
            Steps = steps,
            Source = src == 0 ? default : new DmaSlice(region, 0, src),
            Destination = dst == 0 ? default : new DmaSlice(region, 1 << 17, dst),
            Metadata = new DmaSlice(region, 1 << 18, kind is OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen ? 16 : 64),
            Auxiliary = kind is OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen ? new DmaSlice(region, 1 << 19, 12 + b[3]) : default,
            BlockSize = 512,
            PiFormat = format,
            PiTags = new ProtectionInformationTags(0, 0, 0x1234),
            PiChecks = ProtectionInformationChecks.All,
        };
    }

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1)
        {
            return;
        }

        int count = 1 + (input[0] % Capacity);
        if (input.Length < 1 + (count * OpSize))
        {
            return;
        }

        var slots = new MppaSlots(Capacity);
        var ops = new OffloadOp[count];
        var cookies = new ulong[count];
        var regions = new int[count];
        var opOfSlot = new int[Capacity];
        var ended = new bool[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> d = input.Slice(1 + (i * OpSize), OpSize);
            ops[i] = Operation(d, 1000 + (ulong)i);
            int slot = slots.Take(ops[i], out cookies[i]);
            regions[i] = d[1] & 1;
            opOfSlot[slot] = i;
            slots.MarkSubmitted(slot, regions[i], 0);
        }

        Check(slots.InFlight == count, "not every operation is in flight");
        for (ReadOnlySpan<byte> rest = input[(1 + (count * OpSize))..]; rest.Length >= RecordSize; rest = rest[RecordSize..])
        {
            ReadOnlySpan<byte> r = rest[..RecordSize];
            int index = r[1] % count;
            ulong cookie = BinaryPrimitives.ReadUInt64LittleEndian(r[16..]);
            cookie = (r[0] % 3) switch
            {
                0 => cookies[index],
                1 => (cookie & 0xFFFF_FFFF_0000_0000UL) | (uint)cookies[index],
                _ => cookie,
            };
            int status = BinaryPrimitives.ReadInt32LittleEndian(r[4..]);
            var c = new DpuCompletion
            {
                Cookie = cookie,
                Status = (r[3] & 0x80) == 0 ? (int)((uint)status % 12) : status, // mostly ABI statuses; any value with bit 7 of the field byte
                Bytes = BinaryPrimitives.ReadUInt32LittleEndian(r[8..]),
                PiErrorBlock = BinaryPrimitives.ReadUInt32LittleEndian(r[12..]),
                PiErrorField = (byte)(r[3] & 0x7F),
                Result = BinaryPrimitives.ReadUInt64LittleEndian(r[24..]),
                PiExpected = BinaryPrimitives.ReadUInt64LittleEndian(r[32..]),
                PiActual = BinaryPrimitives.ReadUInt64LittleEndian(r[40..]),
            };
            int region = r[2] & 1;
            int inFlight = slots.InFlight;
            MppaCompletionOutcome outcome = slots.Accept(region, c, out int accepted, out OffloadCompletion done);
            if (outcome == MppaCompletionOutcome.Stale)
            {
                Check(slots.InFlight == inFlight, "a stale completion changed what is in flight");
                continue;
            }

            int op = opOfSlot[accepted];
            Check(!ended[op], $"operation {op} completed twice");
            Check(cookie == cookies[op] && region == regions[op], "a completion was accepted for a cookie or region that was never submitted");
            ended[op] = true;
            if (outcome == MppaCompletionOutcome.Mapped)
            {
                CheckMapped(ops[op], done);
            }

            slots.Release(accepted);
        }

        // The rest never completed: the engine's timeout fails them over.
        for (int i = 0; i < count; i++)
        {
            if (!ended[i])
            {
                int slot = (int)(uint)cookies[i];
                Check(slots.RegionOf(slot) == regions[i], $"operation {i} is no longer in flight but never ended");
                slots.Release(slot);
            }
        }

        Check(slots.InFlight == 0, "slots still in flight after every operation ended");
        for (int i = 0; i < Capacity; i++)
        {
            slots.Take(ops[0], out _);
        }
    }

    /// <summary>What a caller may rely on in a completion the engine hands over for <paramref name="op"/>.</summary>
    private static void CheckMapped(in OffloadOp op, in OffloadCompletion done)
    {
        Check(done.UserData == op.UserData && done.Kind == op.Kind, "a completion names another operation");
        OffloadOpKind kind = op.Kind;
        bool compressed = (op.Steps & OffloadChainSteps.Compression) != 0;
        switch (done.Status)
        {
            case OffloadStatus.Success:
                int most = kind switch
                {
                    OffloadOpKind.Crc32C or OffloadOpKind.Crc64Nvme or OffloadOpKind.Crc16T10Dif or OffloadOpKind.PiGenerate or OffloadOpKind.PiVerify => 0,
                    OffloadOpKind.Lz4Compress or OffloadOpKind.Lz4Decompress or OffloadOpKind.ReadChain => op.Destination.Length,
                    OffloadOpKind.WriteChain when compressed => op.Destination.Length,
                    _ => op.Source.Length,
                };
                Check(done.BytesProduced >= 0 && done.BytesProduced <= most, $"{kind} produced {done.BytesProduced} bytes, at most {most} fit");
                Check(kind != OffloadOpKind.Crc32C || done.Value <= uint.MaxValue, "a CRC32C wider than 32 bits");
                Check(kind != OffloadOpKind.Crc16T10Dif || done.Value <= ushort.MaxValue, "a CRC16 wider than 16 bits");
                Check(kind != OffloadOpKind.WriteChain || !compressed || (done.Value > 0 && done.Value <= (ulong)done.BytesProduced), "an LZ4 block longer than the stored payload");
                Check(done.ErrorBlockIndex == -1, "a PI error block on a success");
                break;
            case OffloadStatus.DestinationTooSmall:
                Check(kind is OffloadOpKind.Lz4Compress or OffloadOpKind.WriteChain, $"{kind} cannot run out of room");
                break;
            case OffloadStatus.CorruptData:
                Check(kind is OffloadOpKind.Lz4Decompress or OffloadOpKind.ReadChain, $"{kind} has no compressed input");
                break;
            case OffloadStatus.AuthenticationFailed:
                Check(kind == OffloadOpKind.GcmOpen, $"{kind} checks no tag");
                break;
            case OffloadStatus.PiGuardError or OffloadStatus.PiAppTagError or OffloadStatus.PiRefTagError:
                Check(kind == OffloadOpKind.PiVerify || (kind == OffloadOpKind.ReadChain && (op.Steps & OffloadChainSteps.ProtectionInformation) != 0), $"{kind} verifies no PI");
                int length = kind == OffloadOpKind.PiVerify ? op.Source.Length : op.Destination.Length;
                Check(done.ErrorBlockIndex >= 0 && done.ErrorBlockIndex < length / op.PiFormat.DataStride, $"PI error in block {done.ErrorBlockIndex} of a {length}-byte run");
                break;
            default:
                throw new FuzzFailureException($"status {done.Status} from a device completion for {kind}");
        }

        Check(done.Status == OffloadStatus.Success || done.BytesProduced == 0, "bytes produced by a failed operation");
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzFailureException(message);
        }
    }
}

using System.Buffers.Binary;
using ReNESENS.DataPlane.Fuzz.Targets;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>
/// Starting inputs for <see cref="MppaCompletionTarget"/>: every operation kind in flight with the
/// completion a correct device gives it, then the records a broken or hostile one might send — each
/// status, duplicates, a wrong sequence, invented cookies, a completion on the other region, bytes past
/// the destination, a CRC too wide, a PI error outside the run.
/// </summary>
internal static class MppaCompletionSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        // 13 operations, one per kind: 4 KiB source and 4104-byte destination (size index 5, 6), region 0,
        // all chain steps, the 16b guard with 512-byte blocks.
        var ops = new List<byte>();
        for (int k = 0; k < 13; k++)
        {
            ops.AddRange([(byte)k, 7 << 1, 5 | (6 << 3), 0]);
        }

        byte[] Input(params byte[][] records) => [12, .. ops, .. records.SelectMany(r => r)];

        byte[][] correct = [.. Enumerable.Range(0, 13).Select(k => Record(0, k, status: 0, bytes: Bytes(k), result: k == 11 ? 100UL : 0x1234))];
        yield return ("all-kinds-correct", Input(correct));
        yield return ("all-kinds-twice", Input([.. correct, .. correct]));
        yield return ("every-status", Input([.. Enumerable.Range(0, 13).Select(k => Record(0, k, status: k % 12, bytes: 0, result: 0))]));
        yield return ("corrupt-status", Input(Record(0, 0, status: 0x5A5A5A5A, raw: true)));
        yield return ("wrong-sequence", Input(Record(1, 0, status: 0, cookie: 5UL << 32)));
        yield return ("invented-cookies", Input(Record(2, 0, status: 0, cookie: 0xFFFF_FFFF_FFFF_FFFF), Record(2, 0, status: 0, cookie: 31), Record(2, 0, status: 0, cookie: 1UL << 32)));
        yield return ("other-region", Input(Record(0, 3, status: 0, region: 1, bytes: 4096)));
        yield return ("bytes-past-destination", Input(Record(0, 5, status: 0, bytes: 100_000), Record(0, 6, status: 0, bytes: 0xFFFF_FFFF), Record(0, 11, status: 0, bytes: 5000, result: 10)));
        yield return ("crc-too-wide", Input(Record(0, 0, status: 0, result: 1UL << 40), Record(0, 2, status: 0, result: 0x10000)));
        yield return ("pi-error-outside-run", Input(Record(0, 4, status: 5, field: 1, block: 8), Record(0, 4, status: 5, field: 3, block: 7), Record(0, 12, status: 5, field: 2, block: 0, expected: 0x1_0000)));
        yield return ("lz4-block-longer-than-payload", Input(Record(0, 11, status: 0, bytes: 16, result: 17)));
    }

    /// <summary>What a correct device reports as bytes for the kind at index k (kind k + 1) with these sizes.</summary>
    private static uint Bytes(int k) => (k + 1) switch
    {
        6 or 7 => 2000,     // LZ4 compress / decompress
        8 or 9 or 10 or 11 => 4096, // XTS, GCM: the source length
        12 => 2048,         // write chain, compressed
        13 => 4104,         // read chain: the destination
        _ => 0,
    };

    private static byte[] Record(int mode, int op, int status, uint bytes = 0, ulong result = 0, ulong cookie = 0, int region = 0,
        byte field = 0, uint block = 0, ulong expected = 0, ulong actual = 0, bool raw = false)
    {
        byte[] r = new byte[MppaCompletionTarget.RecordSize];
        r[0] = (byte)mode;
        r[1] = (byte)op;
        r[2] = (byte)region;
        r[3] = (byte)(field | (raw ? 0x80 : 0));
        BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(4), status);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), block);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(16), cookie);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), result);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(32), expected);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(40), actual);
        return r;
    }
}

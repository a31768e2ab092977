using ReNESENS.DataPlane.Fuzz.Targets;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>Valid starting inputs for <see cref="ByteRingTarget"/>, laid out by the real producer.</summary>
internal static class ByteRingSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        yield return ("image-empty-256", Image(256, (_, _) => { }));
        yield return ("image-three-256", Image(256, (p, _) =>
        {
            p.TryWrite("one"u8);
            p.TryWrite(""u8);
            p.TryWrite("three"u8);
        }));
        yield return ("image-padding-256", Image(256, (p, c) =>
        {
            // Move the positions near the end, then write a record that must wrap behind padding.
            for (int i = 0; i < 3; i++)
            {
                p.TryWrite(new byte[56]);
                c.TryRead(out _);
                c.Release();
            }

            p.TryWrite(new byte[40]);
            p.TryWrite("after"u8);
        }));
        yield return ("image-full-512", Image(512, (p, _) =>
        {
            while (p.TryWrite(new byte[p.MaxRecordLength / 3]))
            {
            }
        }));
        yield return ("image-free-running-1024", Image(1024, (p, c) =>
        {
            for (int i = 0; i < 40; i++)
            {
                p.TryWrite(new byte[(i * 37) % 200]);
                c.TryRead(out _);
                c.Release();
            }

            p.TryWrite("pending"u8);
        }));

        // Operation mode: [1][capacity selector][ops...]; see ByteRingTarget.RunOperations.
        yield return ("ops-write-read", [1, 0, 0, 10, 0, 0, 3, 0, 6, 20, 4, 0, 4, 0]);
        yield return ("ops-wrap", [1, 0, 0, 100, 0, 0, 0, 100, 0, 0, 3, 0, 3, 0, 0, 100, 0, 0, 3, 0, 0, 60, 0, 1, 7, 3, 0]);
        yield return ("ops-peer-tail", [1, 1, 0, 16, 0, 2, 0, 5, 0, 3, 1, 1, 8, 0, 3, 0]);
        yield return ("ops-peer-record", [1, 2, 6, 30, 7, 2, 0, 0, 0, 1, 0, 0, 3, 0]);
    }

    private static byte[] Image(long capacity, Action<ByteRing, ByteRing> fill)
    {
        using DmaRegion region = DmaRegion.Create(ByteRingTarget.RegionSize, PageKind.Small, lockMemory: false);
        int offset = ByteRingTarget.OffsetFor(capacity);
        ByteRing producer = ByteRing.Create(region, offset, capacity);
        ByteRing consumer = ByteRing.Attach(region, offset);
        fill(producer, consumer);
        int length = ByteRingTarget.RegionSize - offset;
        byte[] seed = new byte[1 + length];
        region.GetSpan(offset, length).CopyTo(seed.AsSpan(1));
        return seed;
    }
}

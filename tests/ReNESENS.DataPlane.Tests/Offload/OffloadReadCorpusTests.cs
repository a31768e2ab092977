using System.Buffers.Binary;
using ReNESENS.DataPlane.Fuzz.Targets;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>The offloadread fuzz seeds are what the write chain stores: each reads back cleanly, and a flipped byte does not.</summary>
public sealed class OffloadReadCorpusTests
{
    public static TheoryData<string> Seeds()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus", "offloadread");
        return [.. Directory.EnumerateFiles(dir).Where(f => !Path.GetFileName(f).StartsWith("afl", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SeedReadsBackThroughTheEngineAndACorruptedCopyDoesNot(string file)
    {
        byte[] input = File.ReadAllBytes(file);
        Assert.Equal(OffloadStatus.Success, Read(input));

        byte[] flipped = (byte[])input.Clone();
        flipped[^1] ^= 0x01; // the last payload byte
        Assert.NotEqual(OffloadStatus.Success, Read(flipped));
    }

    private static OffloadStatus Read(byte[] input)
    {
        (OffloadChainSteps steps, ProtectionInformationFormat format, int blocks, _) = OffloadReadTarget.Layout(input[0], input[1]);
        int mdLength = format.Interleaved ? 0 : blocks * format.MetadataSize;
        using var mem = new OffloadTestRegion(1 << 18);
        using var engine = new SoftwareEngine();
        using IOffloadQueuePair qp = engine.CreateQueuePair(1);
        OffloadKey key = engine.LoadKey(OffloadKeyKind.AesXts256, OffloadReadTarget.XtsKey);
        DmaSlice md = mdLength == 0 ? default : mem.Put(input.AsSpan(4, mdLength));
        DmaSlice payload = mem.Put(input.AsSpan(4 + mdLength));
        DmaSlice back = mem.Alloc(blocks * format.DataStride);
        qp.Submit([OffloadOp.Read(steps, key, payload, BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(2)), back, md, 0, format, default, ProtectionInformationChecks.All, 0)]);
        var done = new OffloadCompletion[1];
        Assert.Equal(1, qp.Poll(done));
        return done[0].Status;
    }
}

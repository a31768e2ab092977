using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Kernels;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>The software engine inline (every operation runs during Submit).</summary>
public sealed class SoftwareEngineInlineTests() : SoftwareEngineTests(workers: 0);

/// <summary>The same cases on the software engine with two worker threads (Submit queues, a later Poll collects).</summary>
public sealed class SoftwareEngineWorkerModeTests() : SoftwareEngineTests(workers: 2);

/// <summary>The software engine's cases, run in each mode by the two classes above.</summary>
public abstract class SoftwareEngineTests : IDisposable
{
    private static readonly ProtectionInformationFormat Pi4K = new(4096, 16, ProtectionInformationGuard.Crc64, ProtectionInformationType.Type1);

    private readonly OffloadTestRegion _mem = new();
    private readonly int _workers;
    private readonly SoftwareEngine _engine;
    private readonly IOffloadQueuePair _qp;
    private readonly byte[] _xtsKey = CrcReference.RandomBytes(64, 42);
    private readonly OffloadKey _xts;

    protected SoftwareEngineTests(int workers)
    {
        _workers = workers;
        _engine = new SoftwareEngine(Options());
        _qp = _engine.CreateQueuePair(32);
        _xts = _engine.LoadKey(OffloadKeyKind.AesXts256, _xtsKey);
    }

    public void Dispose()
    {
        _qp.Dispose();
        _engine.Dispose();
        _mem.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void CrcOperationsAgreeWithSystemIoHashingAndTheBitwiseDefinition()
    {
        byte[] data = CrcReference.RandomBytes(4096 + 17, 1);
        DmaSlice src = _mem.Put(data);
        Span<OffloadOp> ops =
        [
            OffloadOp.Crc(OffloadOpKind.Crc32C, src, 1),
            OffloadOp.Crc(OffloadOpKind.Crc64Nvme, src, 2),
            OffloadOp.Crc(OffloadOpKind.Crc16T10Dif, src, 3),
        ];
        Dictionary<ulong, OffloadCompletion> done = EngineHarness.Run(_qp, ops);
        Assert.Equal(new OffloadCompletion(1, OffloadOpKind.Crc32C, OffloadStatus.Success, 0, Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data), -1, 0, 0), done[1]);
        Assert.Equal(Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data), done[2].Value);
        Assert.Equal(CrcReference.Crc16T10Dif(data), done[3].Value);
        Assert.Equal(0, _qp.Outstanding);
    }

    [Fact]
    public void XtsOperationsMatchLibgcrypt()
    {
        byte[] plain = CrcReference.RandomBytes(8 * 512, 2);
        byte[] expected = new byte[plain.Length];
        LibgcryptXts.Transform(_xtsKey, plain, expected, 0x1234, 512, encrypt: true);

        DmaSlice src = _mem.Put(plain);
        DmaSlice dst = _mem.Alloc(plain.Length);
        OffloadCompletion c = Run(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, src, dst, 0x1234, 512, 7));
        Assert.Equal((OffloadStatus.Success, 4096, 7UL), (c.Status, c.BytesProduced, c.UserData));
        Assert.Equal(expected, dst.Span.ToArray());

        // Decrypt in place.
        c = Run(OffloadOp.Xts(OffloadOpKind.XtsDecrypt, _xts, dst, dst, 0x1234, 512, 8));
        Assert.True(c.IsSuccess);
        Assert.Equal(plain, dst.Span.ToArray());
    }

    [Fact]
    public void GcmSealMatchesDotNetAesGcmAndOpenRejectsATamperedTag()
    {
        byte[] key = CrcReference.RandomBytes(32, 3);
        byte[] nonce = CrcReference.RandomBytes(12, 4);
        byte[] aad = "header"u8.ToArray();
        byte[] plain = CrcReference.RandomBytes(1000, 5);
        byte[] expectedCipher = new byte[plain.Length];
        byte[] expectedTag = new byte[16];
        using (var reference = new AesGcm(key, 16))
        {
            reference.Encrypt(nonce, plain, expectedCipher, expectedTag, aad);
        }

        OffloadKey gcm = _engine.LoadKey(OffloadKeyKind.AesGcm256, key);
        DmaSlice nonceAndAad = _mem.Put([.. nonce, .. aad]);
        DmaSlice src = _mem.Put(plain);
        DmaSlice dst = _mem.Alloc(plain.Length);
        DmaSlice tag = _mem.Alloc(16);
        Assert.True(Run(OffloadOp.Gcm(OffloadOpKind.GcmSeal, gcm, src, dst, tag, nonceAndAad, 1)).IsSuccess);
        Assert.Equal(expectedCipher, dst.Span.ToArray());
        Assert.Equal(expectedTag, tag.Span.ToArray());

        DmaSlice back = _mem.Alloc(plain.Length);
        Assert.True(Run(OffloadOp.Gcm(OffloadOpKind.GcmOpen, gcm, dst, back, tag, nonceAndAad, 2)).IsSuccess);
        Assert.Equal(plain, back.Span.ToArray());

        tag.Span[5] ^= 1;
        OffloadCompletion c = Run(OffloadOp.Gcm(OffloadOpKind.GcmOpen, gcm, dst, back, tag, nonceAndAad, 3));
        Assert.Equal(OffloadStatus.AuthenticationFailed, c.Status);
        Assert.True(back.Span.IndexOfAnyExcept((byte)0) < 0, "a failed open leaves no plaintext");
    }

    [Fact]
    public void Lz4CompressOutputDecompressesWithLiblz4AndLiblz4OutputDecompressesHere()
    {
        byte[] text = Lz4Corpus(16384);
        DmaSlice src = _mem.Put(text);
        DmaSlice packed = _mem.Alloc(Lz4Block.MaxCompressedLength(text.Length));
        OffloadCompletion c = Run(OffloadOp.Lz4(OffloadOpKind.Lz4Compress, src, packed, 1));
        Assert.True(c.IsSuccess);
        Assert.InRange(c.BytesProduced, 1, text.Length / 2);
        byte[] back = new byte[text.Length];
        Assert.Equal(text.Length, Liblz4Peer.Decompress(packed.Span[..c.BytesProduced], back));
        Assert.Equal(text, back);

        byte[] theirs = new byte[Lz4Block.MaxCompressedLength(text.Length)];
        int n = Liblz4Peer.Compress(text, theirs);
        DmaSlice theirSlice = _mem.Put(theirs.AsSpan(0, n));
        DmaSlice unpacked = _mem.Alloc(text.Length);
        c = Run(OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, theirSlice, unpacked, 2));
        Assert.Equal((OffloadStatus.Success, text.Length), (c.Status, c.BytesProduced));
        Assert.Equal(text, unpacked.Span.ToArray());
    }

    public static TheoryData<OffloadChainSteps, bool> ChainCases() => new()
    {
        { OffloadChainSteps.All, false },
        { OffloadChainSteps.All, true },
        { OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Encryption, false },
        { OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Compression, false },
        { OffloadChainSteps.Compression | OffloadChainSteps.Encryption, false },
        { OffloadChainSteps.Encryption, true },
    };

    [Theory]
    [MemberData(nameof(ChainCases))]
    public void WriteChainOutputIsWhatTheRulesSayAndTheReadChainUndoesIt(OffloadChainSteps steps, bool interleaved)
    {
        const ulong Lba = 0x10_0000;
        ProtectionInformationFormat format = Pi4K with { Interleaved = interleaved };
        var tags = new ProtectionInformationTags(0, 0, 0x4242);
        bool pi = (steps & OffloadChainSteps.ProtectionInformation) != 0;
        bool lz4 = (steps & OffloadChainSteps.Compression) != 0;
        bool xts = (steps & OffloadChainSteps.Encryption) != 0;
        const int Blocks = 4;
        byte[] original = Lz4Corpus(Blocks * format.DataStride);
        DmaSlice data = _mem.Put(original);
        DmaSlice md = interleaved ? default : _mem.Alloc(Blocks * format.MetadataSize);
        DmaSlice stored = _mem.Alloc(Lz4Block.MaxCompressedLength(original.Length) + 16);

        OffloadCompletion w = Run(OffloadOp.Write(steps, _xts, data, md, stored, Lba, format, tags, 11));
        Assert.Equal(OffloadStatus.Success, w.Status);

        // Rebuild the expected payload from the rules with independent code: the PI kernel's output
        // (itself checked against the spec), libgcrypt XTS and liblz4.
        byte[] blocks = data.Span.ToArray();
        if (pi)
        {
            Assert.True(ProtectionInformation.Verify(blocks, md.Span, format, tags with { FirstLba = Lba }).IsValid);
        }
        else
        {
            Assert.Equal(original, blocks);
        }

        byte[] payload = stored.Span[..w.BytesProduced].ToArray();
        if (xts)
        {
            int unit = lz4 ? payload.Length : format.DataStride;
            LibgcryptXts.Transform(_xtsKey, payload.ToArray(), payload, Lba, unit, encrypt: false);
        }

        if (lz4)
        {
            Assert.Equal(Math.Max((int)w.Value, 16), w.BytesProduced);
            Assert.True(payload.AsSpan((int)w.Value).IndexOfAnyExcept((byte)0) < 0, "padding is zeros");
            byte[] unpacked = new byte[blocks.Length];
            Assert.Equal(blocks.Length, Liblz4Peer.Decompress(payload.AsSpan(0, (int)w.Value), unpacked));
            Assert.Equal(blocks, unpacked);
        }
        else
        {
            Assert.Equal(blocks, payload);
        }

        // Read it back through the engine.
        DmaSlice back = _mem.Alloc(blocks.Length);
        OffloadCompletion r = Run(OffloadOp.Read(steps, _xts, stored.Slice(0, w.BytesProduced), lz4 ? (int)w.Value : 0, back, md, Lba, format, tags, ProtectionInformationChecks.All, 12));
        Assert.Equal((OffloadStatus.Success, blocks.Length, 12UL), (r.Status, r.BytesProduced, r.UserData));
        Assert.Equal(blocks, back.Span.ToArray());
    }

    [Fact]
    public void ReadChainNamesThePiFieldAndBlockThatFailed()
    {
        const int Blocks = 4;
        byte[] original = Lz4Corpus(Blocks * 4096);
        DmaSlice data = _mem.Put(original);
        DmaSlice md = _mem.Alloc(Blocks * 16);
        DmaSlice stored = _mem.Alloc(Lz4Block.MaxCompressedLength(original.Length) + 16);
        var tags = new ProtectionInformationTags(0, 0, 0x0A0A);
        OffloadCompletion w = Run(OffloadOp.Write(OffloadChainSteps.All, _xts, data, md, stored, 500, Pi4K, tags, 1));
        DmaSlice payload = stored.Slice(0, w.BytesProduced);
        DmaSlice back = _mem.Alloc(original.Length);

        OffloadCompletion Read(ulong lba, ProtectionInformationTags t) =>
            Run(OffloadOp.Read(OffloadChainSteps.All, _xts, payload, (int)w.Value, back, md, lba, Pi4K, t, ProtectionInformationChecks.All, 2));

        // The right tweak, but PI expected for another LBA.
        OffloadCompletion r = Run(OffloadOp.Read(OffloadChainSteps.All, _xts, payload, (int)w.Value, back, md, 500, Pi4K, tags, ProtectionInformationChecks.All, 2) with { PiTags = tags with { FirstLba = 501 } });
        Assert.Equal((OffloadStatus.PiRefTagError, 0, 501UL, 500UL), (r.Status, r.ErrorBlockIndex, r.Expected, r.Actual));

        // The tweak is the LBA: a wrong LBA decrypts to garbage, which LZ4 rejects or PI catches.
        Assert.NotEqual(OffloadStatus.Success, Run(OffloadOp.Read(OffloadChainSteps.All, _xts, payload, (int)w.Value, back, md, 501, Pi4K, tags with { FirstLba = 501 }, ProtectionInformationChecks.All, 2)).Status);

        r = Read(500, tags with { ApplicationTag = 0x0B0A });
        Assert.Equal((OffloadStatus.PiAppTagError, 0, 0x0B0AUL, 0x0A0AUL), (r.Status, r.ErrorBlockIndex, r.Expected, r.Actual));

        md.Span[(2 * 16) + 3] ^= 0x40; // the guard of block 2
        r = Read(500, tags);
        Assert.Equal((OffloadStatus.PiGuardError, 2), (r.Status, r.ErrorBlockIndex));
        Assert.NotEqual(r.Expected, r.Actual);
    }

    [Fact]
    public void EveryKindOfBadInputIsThatOperationsStatusAndTheNextBatchIsServed()
    {
        DmaSlice four = _mem.Put(CrcReference.RandomBytes(4096, 9));
        DmaSlice out4 = _mem.Alloc(4096);
        DmaSlice small = _mem.Alloc(10);
        OffloadKey gcm = _engine.LoadKey(OffloadKeyKind.AesGcm256, CrcReference.RandomBytes(32, 10));
        OffloadKey gone = _engine.LoadKey(OffloadKeyKind.AesXts256, CrcReference.RandomBytes(64, 11));
        _engine.UnloadKey(gone);
        DmaSlice corrupt = _mem.Put([0xF0, 0x00, 0x10, 0x20]); // 15+ literals announced, 3 present
        DmaSlice nonce = _mem.Put(new byte[12]);
        DmaSlice badTag = _mem.Alloc(16);
        var md = _mem.Alloc(8 * 8);
        var pi512 = new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type2);

        (OffloadOp Op, OffloadStatus Expected)[] cases =
        [
            (default, OffloadStatus.InvalidArgument),
            (new OffloadOp { Kind = (OffloadOpKind)99, Source = four }, OffloadStatus.InvalidArgument),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, four, small, 0, 512, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, four, out4, 0, 1000, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, four, out4, 0, 8, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, four, four.Slice(16, 4080) , 0, 16, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, gone, four, out4, 0, 512, 0), OffloadStatus.InvalidKey),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, gcm, four, out4, 0, 512, 0), OffloadStatus.InvalidKey),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, default, four, out4, 0, 512, 0), OffloadStatus.InvalidKey),
            (OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts with { Generation = _xts.Generation + 5 }, four, out4, 0, 512, 0), OffloadStatus.InvalidKey),
            (OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, corrupt, out4, 0), OffloadStatus.CorruptData),
            (OffloadOp.Lz4(OffloadOpKind.Lz4Compress, four, small, 0), OffloadStatus.DestinationTooSmall),
            (OffloadOp.Gcm(OffloadOpKind.GcmOpen, gcm, four, out4, badTag, nonce, 0), OffloadStatus.AuthenticationFailed),
            (OffloadOp.Gcm(OffloadOpKind.GcmOpen, gcm, four, out4, small, nonce, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Gcm(OffloadOpKind.GcmSeal, _xts, four, out4, badTag, nonce, 0), OffloadStatus.InvalidKey),
            (OffloadOp.ProtectionInformation(OffloadOpKind.PiGenerate, four.Slice(0, 4000), md, pi512, default, default, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, four, md.Slice(0, 60), pi512, default, default, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, four, md, pi512 with { MetadataSize = 4 }, default, default, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, four, md, pi512, default, ProtectionInformationChecks.Guard, 0), OffloadStatus.PiGuardError),
            (OffloadOp.Write(OffloadChainSteps.ProtectionInformation, _xts, four, md, out4, 0, pi512, default, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Write(OffloadChainSteps.All, gone, four, md, out4, 0, pi512, default, 0), OffloadStatus.InvalidKey),
            (OffloadOp.Write(OffloadChainSteps.Compression, _xts, four, default, small, 0, pi512, default, 0), OffloadStatus.DestinationTooSmall),
            (OffloadOp.Read(OffloadChainSteps.Compression, _xts, corrupt, 0, out4, default, 0, pi512, default, default, 0), OffloadStatus.CorruptData),
            (OffloadOp.Read(OffloadChainSteps.Compression, _xts, corrupt, 5, out4, default, 0, pi512, default, default, 0), OffloadStatus.InvalidArgument),
            (OffloadOp.Read(OffloadChainSteps.All, _xts, small, 0, out4, md, 0, pi512, default, default, 0), OffloadStatus.InvalidArgument),
        ];

        for (int i = 0; i < cases.Length; i++)
        {
            OffloadOp op = cases[i].Op with { UserData = (ulong)i + 100 };
            OffloadCompletion c = Run(op);
            Assert.True(cases[i].Expected == c.Status, $"case {i}: expected {cases[i].Expected}, got {c.Status}");
            Assert.Equal((ulong)i + 100, c.UserData);

            // The queue pair keeps serving: a good operation right after each bad one.
            OffloadCompletion good = Run(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, _xts, four, out4, 3, 512, 1));
            Assert.Equal(OffloadStatus.Success, good.Status);
        }
    }

    [Fact]
    public void ADisposedRegionIsAnInvalidArgument()
    {
        var other = new OffloadTestRegion(8192);
        DmaSlice src = other.Alloc(4096);
        other.Dispose();
        Assert.Equal(OffloadStatus.InvalidArgument, Run(OffloadOp.Crc(OffloadOpKind.Crc32C, src, 0)).Status);
    }

    [Fact]
    public void AFullQueueAcceptsWhatFitsAndPollFreesRoom()
    {
        using IOffloadQueuePair qp = _engine.CreateQueuePair(4);
        DmaSlice src = _mem.Put(CrcReference.RandomBytes(100, 12));
        var ops = new OffloadOp[10];
        for (int i = 0; i < ops.Length; i++)
        {
            ops[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, src, (ulong)i);
        }

        Assert.Equal(4, qp.Submit(ops));
        Assert.Equal(0, qp.Submit(ops.AsSpan(4)));
        Assert.Equal(4, qp.Outstanding);
        OffloadCompletion[] done = EngineHarness.PollExactly(qp, 3);
        ulong[] first = [.. done.Select(d => d.UserData)];
        Assert.Equal(1, qp.Outstanding);
        Assert.Equal(3, qp.Submit(ops.AsSpan(4)));
        Assert.Equal(0, qp.Submit(ops.AsSpan(7)));
        OffloadCompletion[] rest = EngineHarness.PollExactly(qp, 4);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (ulong)i), first.Concat(rest.Select(d => d.UserData)).Order());
        Assert.Equal(0, qp.Outstanding);
        Assert.Equal(0, qp.Poll(new OffloadCompletion[10]));
        if (_workers == 0)
        {
            Assert.Equal([0UL, 1UL, 2UL], first); // inline completions come back in submission order
        }
    }

    [Fact]
    public void SteadyStateAllocatesNothingPerOperation()
    {
        byte[] original = Lz4Corpus(4096);
        DmaSlice data = _mem.Put(original);
        DmaSlice md = _mem.Alloc(16);
        DmaSlice stored = _mem.Alloc(Lz4Block.MaxCompressedLength(4096) + 16);
        DmaSlice back = _mem.Alloc(4096);
        var write = OffloadOp.Write(OffloadChainSteps.All, _xts, data, md, stored, 9, Pi4K, default, 1);
        var done = new OffloadCompletion[4];
        OffloadCompletion first = EngineHarness.Run(_qp, [write])[1];
        OffloadOp[] batch =
        [
            OffloadOp.Crc(OffloadOpKind.Crc32C, data, 0),
            write,
            OffloadOp.Read(OffloadChainSteps.All, _xts, stored.Slice(0, first.BytesProduced), (int)first.Value, back, md, 9, Pi4K, default, ProtectionInformationChecks.All, 2),
            OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, _mem.Put([0xF0, 0x00]), back, 3),
        ];
        for (int i = 0; i < 10; i++)
        {
            SubmitAndDrain(batch, done);
        }

        // Steady state: some window of 1000 batches allocates nothing (a per-operation allocation
        // would show in every window; a window may catch a one-off of the runtime's tiered JIT
        // finishing late on a loaded machine).
        long best = long.MaxValue;
        for (int window = 0; window < 5 && best != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                SubmitAndDrain(batch, done);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, best);
        Array.Sort(done, (a, b) => a.UserData.CompareTo(b.UserData));
        Assert.Equal([OffloadStatus.Success, OffloadStatus.Success, OffloadStatus.Success, OffloadStatus.CorruptData], done.Select(d => d.Status));
    }

    [Fact]
    public void LimitsAndKeysAreCheckedOnTheControlPath()
    {
        using var engine = new SoftwareEngine(new OffloadEngineOptions { MaxQueuePairs = 1, MaxQueueDepth = 8, MaxKeys = 1, SoftwareWorkerThreads = _workers });
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.CreateQueuePair(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.CreateQueuePair(9));
        IOffloadQueuePair qp = engine.CreateQueuePair(8);
        Assert.Throws<InvalidOperationException>(() => engine.CreateQueuePair(8));
        qp.Dispose();
        engine.CreateQueuePair(8).Dispose();
        Assert.Throws<ObjectDisposedException>(() => qp.Submit([]));

        Assert.Throws<ArgumentException>(() => engine.LoadKey(OffloadKeyKind.AesXts256, new byte[32]));
        Assert.Throws<ArgumentException>(() => engine.LoadKey(OffloadKeyKind.AesXts256, new byte[64])); // equal halves
        Assert.Throws<ArgumentException>(() => engine.LoadKey(OffloadKeyKind.AesGcm256, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.LoadKey(OffloadKeyKind.None, new byte[32]));
        OffloadKey k = engine.LoadKey(OffloadKeyKind.AesGcm256, new byte[32]);
        Assert.Throws<InvalidOperationException>(() => engine.LoadKey(OffloadKeyKind.AesGcm256, new byte[32]));
        engine.UnloadKey(k);
        OffloadKey again = engine.LoadKey(OffloadKeyKind.AesGcm256, new byte[32]);
        Assert.Equal(k.Slot, again.Slot);
        Assert.NotEqual(k, again);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftwareEngine(new OffloadEngineOptions { MaxDataSize = 64 << 20, SoftwareWorkerThreads = _workers }));
    }

    [Fact]
    public void AReloadedKeySlotNeverServesAnOldHandle()
    {
        byte[] plain = CrcReference.RandomBytes(512, 13);
        DmaSlice src = _mem.Put(plain);
        DmaSlice dst = _mem.Alloc(512);
        OffloadKey first = _engine.LoadKey(OffloadKeyKind.AesXts256, CrcReference.RandomBytes(64, 14));
        Assert.True(Run(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, first, src, dst, 0, 512, 0)).IsSuccess);
        _engine.UnloadKey(first);
        byte[] secondKey = CrcReference.RandomBytes(64, 15);
        OffloadKey second = _engine.LoadKey(OffloadKeyKind.AesXts256, secondKey);
        Assert.Equal(first.Slot, second.Slot);
        Assert.Equal(OffloadStatus.InvalidKey, Run(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, first, src, dst, 0, 512, 0)).Status);
        Assert.True(Run(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, second, src, dst, 0, 512, 0)).IsSuccess);
        byte[] expected = new byte[512];
        LibgcryptXts.Transform(secondKey, plain, expected, 0, 512, encrypt: true);
        Assert.Equal(expected, dst.Span.ToArray()); // the queue pair rebuilt its cipher for the new key
    }

    [Fact]
    public void CapabilitiesListEveryKindAndAreHonestAboutTheHardware()
    {
        OffloadCapabilities caps = _engine.Capabilities;
        Assert.False(caps.IsHardware);
        foreach (OffloadOpKind kind in Enum.GetValues<OffloadOpKind>())
        {
            Assert.Equal(kind != OffloadOpKind.None, caps.Supports(kind));
        }

        Assert.StartsWith(_workers == 0 ? "software engine with " : $"software engine ({_workers} worker threads) with ", caps.Description, StringComparison.Ordinal);
        Assert.Equal(_workers, _engine.WorkerThreads);
        Assert.Equal(System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported, caps.CpuFeatures.HasFlag(OffloadCpuFeatures.Pclmulqdq));
        Assert.Equal(System.Runtime.Intrinsics.X86.Pclmulqdq.V512.IsSupported, caps.Description.Contains("VPCLMULQDQ", StringComparison.Ordinal));
    }

    /// <summary>Text-like bytes that LZ4 compresses about 3:1.</summary>
    internal static byte[] Lz4Corpus(int length)
    {
        byte[] words = "the quick brown fox jumps over the lazy dog; block storage offload engine 0123456789 "u8.ToArray();
        var random = new Random(length);
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = random.Next(64) == 0 ? (byte)random.Next(256) : words[i % words.Length];
        }

        return data;
    }

    private OffloadEngineOptions Options() => new() { SoftwareWorkerThreads = _workers };

    private OffloadCompletion Run(OffloadOp op)
    {
        Assert.Equal(1, _qp.Submit([op]));
        return EngineHarness.PollExactly(_qp, 1)[0];
    }

    /// <summary>Submits the whole batch and polls all of it back, with no allocation (the allocation test's loop).</summary>
    private void SubmitAndDrain(OffloadOp[] batch, OffloadCompletion[] done)
    {
        int submitted = _qp.Submit(batch);
        int polled = 0;
        while (polled < batch.Length)
        {
            if (submitted < batch.Length)
            {
                submitted += _qp.Submit(batch.AsSpan(submitted));
            }

            polled += _qp.Poll(done.AsSpan(polled));
        }
    }
}

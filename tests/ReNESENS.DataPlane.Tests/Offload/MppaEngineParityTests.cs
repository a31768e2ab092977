using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Kernels;
using Xunit.Abstractions;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>
/// The same operations on the <see cref="SoftwareEngine"/> and on the <see cref="MppaEngine"/> over
/// the emulated device (ISA-L, liblz4, OpenSSL on the device side), each on its own region filled
/// identically: every completion and every byte of the two regions must agree. LZ4-compressed bytes
/// agree only if our compressor is byte-identical to liblz4's LZ4_compress_default; where it is not,
/// the compressed outputs must decompress (on both engines, by the read chains) to the same data.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class MppaEngineParityTests : IDisposable
{
    private readonly SoftwareEngine _software = new();
    private readonly MppaEngine _mppa = EngineHarness.OpenEmulated();
    private readonly ITestOutputHelper _output;

    public MppaEngineParityTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Scenarios() => ["crc", "pi", "lz4", "xts", "gcm", "chains", "invalid"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void BothEnginesAgree(string scenario)
    {
        using DmaRegion a = EngineHarness.Region(42);
        using DmaRegion b = EngineHarness.Region(42);
        var software = new Recorder(_software, a);
        var mppa = new Recorder(_mppa, b);
        Run(scenario, software);
        Run(scenario, mppa);
        bool lz4Identical = CompressorsAgree(software, mppa);
        _output.WriteLine($"{scenario}: LZ4 compressed bytes identical to liblz4: {lz4Identical}");

        Assert.Equal(software.Completions.Count, mppa.Completions.Count);
        var excluded = new List<(long Offset, int Length)>();
        for (int i = 0; i < software.Completions.Count; i++)
        {
            OffloadOp op = software.Ops[i];
            OffloadCompletion s = software.Completions[i];
            OffloadCompletion m = mppa.Completions[i];
            bool compressing = op.Kind == OffloadOpKind.Lz4Compress
                || (op.Kind == OffloadOpKind.WriteChain && (op.Steps & OffloadChainSteps.Compression) != 0);
            if (!s.IsSuccess && !op.Destination.IsEmpty && ReferenceEquals(op.Destination.Region, a))
            {
                // What a failed operation left in its destination is unspecified (both LZ4 codecs write partial output).
                excluded.Add((op.Destination.Offset, op.Destination.Length));
            }

            if (compressing && !lz4Identical)
            {
                Assert.Equal(s with { BytesProduced = 0, Value = 0 }, m with { BytesProduced = 0, Value = 0 });
                if (ReferenceEquals(op.Destination.Region, a))
                {
                    excluded.Add((op.Destination.Offset, op.Destination.Length));
                }
            }
            else
            {
                Assert.Equal(s, m);
            }
        }

        AssertRegionsEqual(a, b, excluded);
        Assert.Equal(0, _mppa.Counters.FailedOver);
        Assert.Equal(mppa.Completions.Count, _mppa.Counters.DeviceCompleted + _mppa.Counters.Routed);
        if (scenario == "invalid")
        {
            // Every one of these is an operation the device gets no descriptor for: software answers.
            Assert.Equal(0, _mppa.Counters.DeviceCompleted);
        }
        else
        {
            Assert.True(_mppa.Counters.DeviceCompleted > _mppa.Counters.Routed, $"{_mppa.Counters.DeviceCompleted} on the device, {_mppa.Counters.Routed} routed");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GcmNistVectorsOnBothEngines(int index)
    {
        // McGrew-Viega cases 13-16 (AES-256, 96-bit nonces): seal gives the published ciphertext and tag, open
        // gives the plaintext back, and a tag with one bit flipped is refused with a zeroed destination.
        var c = GcmVectors.Cases[index];
        byte[] plain = Convert.FromHexString(c.Plaintext);
        byte[] aux = Convert.FromHexString(c.Nonce + c.Aad);
        foreach (IOffloadEngine engine in new IOffloadEngine[] { _software, _mppa })
        {
            using DmaRegion region = EngineHarness.Region(index);
            OffloadKey key = engine.LoadKey(OffloadKeyKind.AesGcm256, Convert.FromHexString(c.Key));
            plain.CopyTo(region.GetSpan(0, plain.Length));
            aux.CopyTo(region.GetSpan(8192, aux.Length));
            var nonceAndAad = new DmaSlice(region, 8192, aux.Length);
            var tag = new DmaSlice(region, 12288, 16);
            var sealedText = new DmaSlice(region, 4096, plain.Length);
            using IOffloadQueuePair qp = engine.CreateQueuePair(8);
            Dictionary<ulong, OffloadCompletion> done = EngineHarness.Run(qp,
                [OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, new DmaSlice(region, 0, plain.Length), sealedText, tag, nonceAndAad, 1)]);
            Assert.Equal(new OffloadCompletion(1, OffloadOpKind.GcmSeal, OffloadStatus.Success, plain.Length, 0, -1, 0, 0), done[1]);
            Assert.Equal(c.Ciphertext, Convert.ToHexStringLower(sealedText.Span));
            Assert.Equal(c.Tag, Convert.ToHexStringLower(tag.Span));

            tag.Span.CopyTo(region.GetSpan(20480, 16));
            region.GetSpan(20480, 1)[0] ^= 0x80;
            region.GetSpan(24576, plain.Length).Fill(0xEE);
            done = EngineHarness.Run(qp,
            [
                OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, sealedText, new DmaSlice(region, 16384, plain.Length), tag, nonceAndAad, 2),
                OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, sealedText, new DmaSlice(region, 24576, plain.Length), new DmaSlice(region, 20480, 16), nonceAndAad, 3),
            ]);
            Assert.Equal(OffloadStatus.Success, done[2].Status);
            Assert.Equal(plain, region.GetSpan(16384, plain.Length).ToArray());
            Assert.Equal(OffloadStatus.AuthenticationFailed, done[3].Status);
            Assert.True(region.GetSpan(24576, plain.Length).IndexOfAnyExcept((byte)0) < 0);
        }

        // All three ran on the device, none in software.
        Assert.Equal(3, _mppa.Counters.DeviceCompleted);
        Assert.Equal(0, _mppa.Counters.Routed + _mppa.Counters.FailedOver);
    }

    public void Dispose()
    {
        _mppa.Dispose();
        _software.Dispose();
    }

    private static void Run(string scenario, Recorder r)
    {
        switch (scenario)
        {
            case "crc":
                Crc(r);
                break;
            case "pi":
                Pi(r);
                break;
            case "lz4":
                Lz4(r);
                break;
            case "xts":
                Xts(r);
                break;
            case "gcm":
                Gcm(r);
                break;
            case "chains":
                Chains(r);
                break;
            default:
                Invalid(r);
                break;
        }
    }

    private static void Crc(Recorder r)
    {
        var ops = new List<OffloadOp>();
        foreach (int length in new[] { 0, 1, 15, 16, 63, 64, 65, 128, 1001, 4096, 65536 })
        {
            foreach (OffloadOpKind kind in new[] { OffloadOpKind.Crc32C, OffloadOpKind.Crc64Nvme, OffloadOpKind.Crc16T10Dif })
            {
                ops.Add(OffloadOp.Crc(kind, r.Slice(1000 + length, length), r.NextTag()));
            }
        }

        r.Run(ops);
    }

    private static IEnumerable<ProtectionInformationFormat> PiFormats()
    {
        foreach (ProtectionInformationGuard guard in new[] { ProtectionInformationGuard.Crc16, ProtectionInformationGuard.Crc64 })
        {
            foreach (ProtectionInformationType type in new[] { ProtectionInformationType.Type1, ProtectionInformationType.Type2, ProtectionInformationType.Type3 })
            {
                foreach (bool first in new[] { false, true })
                {
                    foreach (bool interleaved in new[] { false, true })
                    {
                        foreach (int metadata in new[] { guard == ProtectionInformationGuard.Crc64 ? 16 : 8, 32 })
                        {
                            yield return new ProtectionInformationFormat(512, metadata, guard, type, first, interleaved);
                        }
                    }
                }
            }
        }
    }

    private static void Pi(Recorder r)
    {
        const int Blocks = 4;
        var tags = new ProtectionInformationTags(FirstLba: 0x1_0000_0005, InitialReferenceTag: 0xFFFF_FFFE, ApplicationTag: 0x4242, ApplicationTagMask: 0xFF0F);
        long at = 0;
        var generate = new List<OffloadOp>();
        var layouts = new List<(ProtectionInformationFormat Format, DmaSlice Data, DmaSlice Metadata)>();
        foreach (ProtectionInformationFormat f in PiFormats())
        {
            DmaSlice data = r.Slice(at, Blocks * f.DataStride);
            DmaSlice md = f.Interleaved ? default : r.Slice(at + (Blocks * f.DataStride), Blocks * f.MetadataSize);
            at += (Blocks * (f.DataSize + f.MetadataSize)) + 64;
            layouts.Add((f, data, md));
            generate.Add(OffloadOp.ProtectionInformation(OffloadOpKind.PiGenerate, data, md, f, tags, default, r.NextTag()));
        }

        r.Run(generate);

        // Break one field of one block per layout, in a different way each time, then verify all.
        var verify = new List<OffloadOp>();
        for (int i = 0; i < layouts.Count; i++)
        {
            (ProtectionInformationFormat f, DmaSlice data, DmaSlice md) = layouts[i];
            int block = i % Blocks;
            Span<byte> metadata = f.Interleaved ? data.Span.Slice((block * f.DataStride) + f.DataSize, f.MetadataSize) : md.Span.Slice(block * f.MetadataSize, f.MetadataSize);
            Span<byte> pi = metadata.Slice(f.PiOffset, f.PiSize);
            int appAt = f.Guard == ProtectionInformationGuard.Crc64 ? 8 : 2;
            switch (i % 5)
            {
                case 0:
                    data.Span[block * f.DataStride] ^= 0x01; // guard
                    break;
                case 1:
                    pi[appAt] ^= 0x10; // a masked bit of the application tag
                    break;
                case 2:
                    pi[^1] ^= 0x01; // reference tag (type 3: never checked)
                    break;
                case 3:
                    pi[appAt] = 0xFF; // escape: the block is not checked at all
                    pi[appAt + 1] = 0xFF;
                    pi[^1] ^= 0x01;
                    break;
                default:
                    pi[appAt] ^= 0x01; // an unmasked bit: still passes
                    break;
            }

            verify.Add(OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, data, md, f, tags, ProtectionInformationChecks.All, r.NextTag()));
            verify.Add(OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, data, md, f, tags, ProtectionInformationChecks.ReferenceTag, r.NextTag()));
        }

        r.Run(verify);
    }

    private static void Lz4(Recorder r)
    {
        var inputs = new (int Length, int Seed)[] { (0, 1), (1, 2), (15, 3), (4096, 4), (65536, 5), (200_000, 6) };
        long at = 0;
        var compress = new List<OffloadOp>();
        var decompress = new List<OffloadOp>();
        foreach ((int length, int seed) in inputs)
        {
            byte[] data = Lz4TestData.Mixed(length, seed);
            DmaSlice src = r.Slice(at, length);
            data.CopyTo(src.Span);
            at += length + 64;
            int bound = Lz4Block.MaxCompressedLength(length);
            compress.Add(OffloadOp.Lz4(OffloadOpKind.Lz4Compress, src, r.Slice(at, bound), r.NextTag()));
            at += bound + 64;
            compress.Add(OffloadOp.Lz4(OffloadOpKind.Lz4Compress, src, r.Slice(at, Math.Min(8, bound)), r.NextTag())); // too small (unless tiny)
            at += 64;

            // Decompress what our own codec wrote (both engines get the same block).
            byte[] packed = new byte[bound];
            Assert.True(Lz4Block.TryCompress(data, packed, out int packedLength));
            DmaSlice block = r.Slice(at, packedLength);
            packed.AsSpan(0, packedLength).CopyTo(block.Span);
            at += packedLength + 64;
            decompress.Add(OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, block, r.Slice(at, length), r.NextTag()));
            at += length + 64;
            if (length > 1)
            {
                decompress.Add(OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, block, r.Slice(at, length - 1), r.NextTag())); // too small
                at += length + 64;
                DmaSlice bad = r.Slice(at, packedLength);
                packed.AsSpan(0, packedLength).CopyTo(bad.Span);
                bad.Span[^1] ^= 0xFF;
                bad.Span[0] = 0xFF;
                at += packedLength + 64;
                decompress.Add(OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, bad, r.Slice(at, length), r.NextTag()));
                at += length + 64;
            }
        }

        r.Run(compress);
        r.Run(decompress);
    }

    private static void Xts(Recorder r)
    {
        OffloadKey key = r.Key;
        OffloadKey stale = r.Engine.LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(99));
        r.Engine.UnloadKey(stale);
        var ops = new List<OffloadOp>();
        var inPlace = new List<OffloadOp>();
        long at = 0;
        foreach ((int unit, int units) in new[] { (512, 8), (520, 8), (4096, 4), (16, 3), (100, 5) })
        {
            int length = unit * units;
            DmaSlice src = r.Slice(at, length);
            DmaSlice dst = r.Slice(at + length + 64, length);
            at += (2 * length) + 128;
            ops.Add(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, key, src, dst, (ulong)unit * 1000, unit, r.NextTag()));

            // In place (the LBA wraps past 2^64), in a batch of its own: operations of one batch may run in any order, or at once.
            inPlace.Add(OffloadOp.Xts(OffloadOpKind.XtsDecrypt, key, src, src, ulong.MaxValue - 1, unit, r.NextTag()));
        }

        DmaSlice s = r.Slice(at, 4096);
        ops.Add(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, stale, s, r.Slice(at + 5000, 4096), 1, 512, r.NextTag()));     // stale key
        ops.Add(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, key, s, r.Slice(at + 10000, 4000), 1, 512, r.NextTag()));      // lengths differ
        ops.Add(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, key, s, r.Slice(at + 15000, 4096), 1, 8, r.NextTag()));        // unit too small
        ops.Add(OffloadOp.Xts(OffloadOpKind.XtsEncrypt, key, s, r.Slice(at + 100, 4096), 1, 512, r.NextTag()));        // partial overlap
        r.Run(ops);
        r.Run(inPlace);
    }

    private static void Gcm(Recorder r)
    {
        byte[] keyBytes = EngineHarness.Key(7).AsSpan(0, AesGcmCipher.KeySizeInBytes).ToArray();
        OffloadKey key = r.Engine.LoadKey(OffloadKeyKind.AesGcm256, keyBytes);
        var seal = new List<OffloadOp>();
        var open = new List<OffloadOp>();
        var inPlace = new List<OffloadOp>();
        var copies = new List<(DmaSlice From, DmaSlice To, int FlipAt)>();
        var authentic = new List<bool>();
        long at = 0;
        DmaSlice Take(int length)
        {
            DmaSlice slice = r.Slice(at, length);
            at += length + 64;
            return slice;
        }

        foreach ((int length, int aad) in new[] { (0, 0), (0, 7), (1, 0), (15, 13), (16, 16), (17, 1), (4096, 20), (65536, 1001), (100_000, 0) })
        {
            DmaSlice src = Take(length);
            DmaSlice dst = Take(length);
            DmaSlice tag = Take(16);
            DmaSlice aux = Take(12 + aad);
            seal.Add(OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, src, dst, tag, aux, r.NextTag()));
            seal.Add(OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, Take(length), Take(length), Take(16), aux, r.NextTag())); // other data, same nonce
            open.Add(OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, dst, Take(length), tag, aux, r.NextTag()));
            authentic.Add(true);

            // Copies of the ciphertext, the tag and the nonce + AAD with one bit flipped: each open fails.
            DmaSlice badText = Take(length);
            DmaSlice badTag = Take(16);
            DmaSlice badAux = Take(12 + aad);
            if (length > 0)
            {
                copies.Add((dst, badText, length / 2));
                open.Add(OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, badText, Take(length), tag, aux, r.NextTag()));
                authentic.Add(false);
            }

            copies.Add((tag, badTag, 15));
            copies.Add((aux, badAux, 12 + aad - 1));
            open.Add(OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, dst, Take(length), badTag, aux, r.NextTag()));
            open.Add(OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, dst, Take(length), tag, badAux, r.NextTag()));
            authentic.AddRange([false, false]);

            // In place, in a batch of its own: operations of one batch may run in any order, or at once.
            inPlace.Add(OffloadOp.Gcm(OffloadOpKind.GcmOpen, key, dst, dst, tag, aux, r.NextTag()));
        }

        Assert.All(r.Run(seal), c => Assert.Equal(OffloadStatus.Success, c.Status));
        foreach ((DmaSlice from, DmaSlice to, int flipAt) in copies)
        {
            from.Span.CopyTo(to.Span);
            to.Span[flipAt] ^= 0x04;
        }

        IReadOnlyList<OffloadCompletion> opened = r.Run(open);
        for (int i = 0; i < opened.Count; i++)
        {
            Assert.Equal(authentic[i] ? OffloadStatus.Success : OffloadStatus.AuthenticationFailed, opened[i].Status);
        }

        Assert.All(r.Run(inPlace), c => Assert.Equal(OffloadStatus.Success, c.Status));

        // What the software engine refuses, or the device's rules keep in software: a short nonce, a short tag,
        // lengths that differ, partial overlap, an XTS key, the tag inside the destination or over the nonce.
        DmaSlice s = Take(4096);
        DmaSlice d = Take(4096);
        DmaSlice t = Take(16);
        DmaSlice n = Take(40);
        r.Run(
        [
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, d, t, n.Slice(0, 11), r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, d, t.Slice(0, 15), n, r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, d.Slice(0, 4000), t, n, r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, r.Slice(s.Offset + 100, 4096), t, n, r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, r.Key, s, d, t, n, r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, d, d.Slice(100, 16), n, r.NextTag()),
            OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, s, d, n.Slice(4, 16), n, r.NextTag()),
        ]);
    }

    private static void Chains(Recorder r)
    {
        OffloadKey key = r.Key;
        var writes = new List<OffloadOp>();
        var reads = new List<(OffloadOp Write, DmaSlice Back, int Seed)>();
        long at = 0;
        var tags = new ProtectionInformationTags(0, InitialReferenceTag: 7, ApplicationTag: 0x1234);
        OffloadChainSteps[] combos =
        [
            OffloadChainSteps.All,
            OffloadChainSteps.Compression | OffloadChainSteps.Encryption,
            OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Compression,
            OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Encryption,
            OffloadChainSteps.Compression,
            OffloadChainSteps.Encryption,
        ];
        int seed = 0;
        foreach (OffloadChainSteps steps in combos)
        {
            foreach (ProtectionInformationFormat f in new[]
            {
                new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1, PiFirst: false, Interleaved: true),
                new ProtectionInformationFormat(4096, 16, ProtectionInformationGuard.Crc64, ProtectionInformationType.Type2, PiFirst: true, Interleaved: false),
            })
            {
                int blocks = f.DataSize == 512 ? 8 : 2;
                DmaSlice data = r.Slice(at, blocks * f.DataStride);
                Lz4TestData.Mixed(data.Length, ++seed).CopyTo(data.Span);
                DmaSlice md = f.Interleaved || (steps & OffloadChainSteps.ProtectionInformation) == 0 ? default : r.Slice(at + data.Length, blocks * f.MetadataSize);
                at += data.Length + (blocks * f.MetadataSize) + 64;
                DmaSlice payload = r.Slice(at, Lz4Block.MaxCompressedLength(data.Length) + 16);
                at += payload.Length + 64;
                var write = OffloadOp.Write(steps, key, data, md, payload, 5000 + (ulong)seed, f, tags, r.NextTag());
                writes.Add(write);
                DmaSlice back = r.Slice(at, data.Length);
                at += data.Length + 64;
                reads.Add((write, back, seed));
            }
        }

        // Too small a destination, and a chain without compression or encryption.
        DmaSlice small = r.Slice(at, 4096);
        writes.Add(OffloadOp.Write(OffloadChainSteps.Encryption, key, small, default, r.Slice(at + 5000, 2048), 1, new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1), tags, r.NextTag()));
        writes.Add(OffloadOp.Write(OffloadChainSteps.Compression, key, small, default, r.Slice(at + 10000, 8), 1, new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1), tags, r.NextTag()));
        writes.Add(OffloadOp.Write(OffloadChainSteps.ProtectionInformation, key, small, default, r.Slice(at + 15000, 8192), 1, new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1), tags, r.NextTag()));
        IReadOnlyList<OffloadCompletion> written = r.Run(writes);

        var readOps = new List<OffloadOp>();
        for (int i = 0; i < reads.Count; i++)
        {
            (OffloadOp w, DmaSlice back, _) = reads[i];
            OffloadCompletion c = written[i];
            Assert.Equal(OffloadStatus.Success, c.Status);
            DmaSlice stored = w.Destination.Slice(0, c.BytesProduced);
            int compressed = (w.Steps & OffloadChainSteps.Compression) != 0 ? (int)c.Value : 0;
            ProtectionInformationChecks checks = ProtectionInformationChecks.All;
            readOps.Add(OffloadOp.Read(w.Steps, w.Key, stored, compressed, back, w.Metadata, w.Lba, w.PiFormat, tags, checks, r.NextTag()));
            if (i % 3 == 0)
            {
                // The wrong LBA: XTS turns the payload into noise (corrupt LZ4, or bad PI).
                readOps.Add(OffloadOp.Read(w.Steps, w.Key, stored, compressed, r.Slice(at + 20000 + (i * 40000), back.Length), w.Metadata, w.Lba + 1, w.PiFormat, tags, checks, r.NextTag()));
            }
        }

        r.Run(readOps);

        // The read-back data equals what the write chains read (after PI generation), on both engines alike.
        for (int i = 0; i < reads.Count; i++)
        {
            Assert.Equal(reads[i].Write.Source.Span.ToArray(), reads[i].Back.Span.ToArray());
        }

        // A bad separate-metadata PI after a clean read: the first bad block is named.
        (OffloadOp bad, DmaSlice badBack, _) = reads[1];
        bad.Metadata.Span[16 + 9] ^= 0x20;
        OffloadCompletion stored1 = written[1];
        r.Run([OffloadOp.Read(bad.Steps, bad.Key, bad.Destination.Slice(0, stored1.BytesProduced), (int)stored1.Value, badBack, bad.Metadata, bad.Lba, bad.PiFormat, tags, ProtectionInformationChecks.All, r.NextTag())]);
    }

    private static void Invalid(Recorder r)
    {
        var ops = new List<OffloadOp>
        {
            new() { Kind = OffloadOpKind.None, Source = r.Slice(0, 10), UserData = r.NextTag() },
            new() { Kind = (OffloadOpKind)99, Source = r.Slice(0, 10), UserData = r.NextTag() },
            OffloadOp.Crc(OffloadOpKind.Crc32C, r.Slice(0, 2 << 20), r.NextTag()),
            OffloadOp.ProtectionInformation(OffloadOpKind.PiGenerate, r.Slice(0, 1000), default, new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1, Interleaved: true), default, default, r.NextTag()),
            OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, r.Slice(0, 1024), r.Slice(2048, 8), new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1), default, ProtectionInformationChecks.All, r.NextTag()),
            OffloadOp.Read(OffloadChainSteps.All, r.Key, r.Slice(0, 8), 0, r.Slice(4096, 4096), default, 0, new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1, Interleaved: true), default, ProtectionInformationChecks.All, r.NextTag()),
            OffloadOp.Read(OffloadChainSteps.Compression, r.Key, r.Slice(0, 100), 200, r.Slice(4096, 4096), default, 0, default, default, default, r.NextTag()),
            new() { Kind = OffloadOpKind.WriteChain, Steps = (OffloadChainSteps)8, Source = r.Slice(0, 100), Destination = r.Slice(4096, 200), UserData = r.NextTag() },
            OffloadOp.Lz4(OffloadOpKind.Lz4Compress, r.Slice(0, 4096), r.Slice(2048, 8192), r.NextTag()), // overlapping buffers
        };
        r.Run(ops);
        using DmaRegion other = EngineHarness.Region(5);
        r.Run([OffloadOp.Lz4(OffloadOpKind.Lz4Compress, r.Slice(0, 4096), new DmaSlice(other, 0, 8192), r.NextTag())]);
    }

    /// <summary>True when the compress outputs of the two engines are byte-identical (liblz4 vs our compressor).</summary>
    private static bool CompressorsAgree(Recorder s, Recorder m)
    {
        for (int i = 0; i < s.Ops.Count; i++)
        {
            OffloadOp op = s.Ops[i];
            if (op.Kind == OffloadOpKind.Lz4Compress && s.Completions[i].IsSuccess && m.Completions[i].IsSuccess
                && ReferenceEquals(op.Destination.Region, s.Region))
            {
                var mine = new DmaSlice(m.Region, op.Destination.Offset, m.Completions[i].BytesProduced);
                if (!op.Destination.Span[..s.Completions[i].BytesProduced].SequenceEqual(mine.Span))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void AssertRegionsEqual(DmaRegion a, DmaRegion b, List<(long Offset, int Length)> excluded)
    {
        foreach ((long offset, int length) in excluded)
        {
            a.GetSpan(offset, length).Clear();
            b.GetSpan(offset, length).Clear();
        }

        const int Chunk = 1 << 16;
        for (long at = 0; at < EngineHarness.RegionSize; at += Chunk)
        {
            if (!a.GetSpan(at, Chunk).SequenceEqual(b.GetSpan(at, Chunk)))
            {
                int first = a.GetSpan(at, Chunk).CommonPrefixLength(b.GetSpan(at, Chunk));
                Assert.Fail($"the regions differ at byte {at + first}");
            }
        }
    }

    /// <summary>Runs a scenario on one engine and one region, recording every operation and its completion in order.</summary>
    private sealed class Recorder
    {
        private readonly IOffloadQueuePair _qp;
        private ulong _tag;

        internal Recorder(IOffloadEngine engine, DmaRegion region)
        {
            Engine = engine;
            Region = region;
            Key = engine.LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(1));
            _qp = engine.CreateQueuePair(64);
        }

        internal IOffloadEngine Engine { get; }

        internal DmaRegion Region { get; }

        internal OffloadKey Key { get; }

        internal List<OffloadOp> Ops { get; } = [];

        internal List<OffloadCompletion> Completions { get; } = [];

        internal ulong NextTag() => ++_tag;

        internal DmaSlice Slice(long offset, int length) => new(Region, offset, length);

        internal IReadOnlyList<OffloadCompletion> Run(List<OffloadOp> ops)
        {
            Dictionary<ulong, OffloadCompletion> done = EngineHarness.Run(_qp, ops.ToArray());
            var ordered = new List<OffloadCompletion>(ops.Count);
            foreach (OffloadOp op in ops)
            {
                Ops.Add(op);
                Completions.Add(done[op.UserData]);
                ordered.Add(done[op.UserData]);
            }

            return ordered;
        }
    }
}

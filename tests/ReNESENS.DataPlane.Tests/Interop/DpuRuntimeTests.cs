using System.IO.Hashing;
using System.Text;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Kernels;

namespace ReNESENS.DataPlane.Tests.Interop;

/// <summary>The runtime binding against the emulated device, and its refusals of bad runtimes.</summary>
[Collection(ReNESENS.DataPlane.Tests.Offload.DeviceCollection.Name)]
public class DpuRuntimeTests
{
    private const ulong All = MppaEngine.RequiredOps;

    [Fact]
    public void EmulatedDeviceOpensAndSaysItIsEmulated()
    {
        Assert.True(DpuRuntime.TryOpen(TestRuntimes.Emulated, "workers=2", All, out DpuRuntime? runtime, out string reason), reason);
        using (runtime)
        {
            Assert.True(runtime.IsEmulated);
            Assert.Equal("ReNESENS emulated DPU (2 workers)", runtime.Name);
            Assert.Equal(DpuAbi.Version, runtime.Info.AbiVersion);
            Assert.Equal(All | DpuAbi.Bit(DpuOp.Nop) | MppaEngine.GcmOps, runtime.Info.OpMask);
            Assert.Equal(1u << 20, runtime.Query().MaxDataSize);
        }
    }

    [Theory]
    [InlineData("workers=0")]
    [InlineData("workers=17")]
    [InlineData("speed=fast")]
    [InlineData("fault=lose:2/3")]
    [InlineData("fault=slow:5parsecs")]
    [InlineData("workers")]
    public void EmulatedDeviceRefusesABadConfig(string config)
    {
        Assert.False(DpuRuntime.TryOpen(TestRuntimes.Emulated, config, All, out _, out string reason));
        Assert.Contains("could not open the device (rn_dpu_open: errno 22)", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongAbiVersionIsRefused()
    {
        Assert.False(DpuRuntime.TryOpen(TestRuntimes.WrongVersion, "", All, out _, out string reason));
        Assert.Contains("implements ABI version 1, this host needs 2", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSymbolIsRefused()
    {
        Assert.False(DpuRuntime.TryOpen(TestRuntimes.MissingSymbol, "", All, out _, out string reason));
        Assert.Contains("lacks rn_dpu_reset", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCapabilityIsRefused()
    {
        Assert.False(DpuRuntime.TryOpen(TestRuntimes.MissingCapability, "", All, out _, out string reason));
        Assert.Contains("the device lacks XtsEncrypt, XtsDecrypt", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnloadableLibraryIsRefused()
    {
        Assert.False(DpuRuntime.TryOpen("librn-dpu-no-such-runtime.so", "", All, out _, out string reason));
        Assert.Contains("is not loadable", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CrcsMatchTheCheckValuesAndOurKernels()
    {
        using var device = new Device("workers=1");
        byte[] check = Encoding.ASCII.GetBytes("123456789");
        byte[] random = Lz4TestData.Random(70_000, 7);
        check.CopyTo(device.Region.GetSpan(0, 9));
        random.CopyTo(device.Region.GetSpan(4096, random.Length));
        int[] lengths = [0, 1, 15, 16, 63, 64, 65, 128, 1001, 4096, 65536, 70_000];
        var descriptors = new List<DpuDescriptor>
        {
            new() { Cookie = 1, Op = DpuOp.Crc32C, SrcLength = 9 },
            new() { Cookie = 2, Op = DpuOp.Crc64Nvme, SrcLength = 9 },
            new() { Cookie = 3, Op = DpuOp.Crc16T10Dif, SrcLength = 9 },
        };
        foreach (int length in lengths)
        {
            foreach (DpuOp op in new[] { DpuOp.Crc32C, DpuOp.Crc64Nvme, DpuOp.Crc16T10Dif })
            {
                descriptors.Add(new() { Cookie = (ulong)(((length + 1) << 8) | (int)op), Op = op, SrcOffset = 4096, SrcLength = (uint)length });
            }
        }

        Dictionary<ulong, DpuCompletion> done = device.Run([.. descriptors]);
        Assert.Equal(0xE3069283UL, done[1].Result);          // RFC 3720 check value
        Assert.Equal(0xAE8B14860A799888UL, done[2].Result);  // CRC-64/NVME check value
        Assert.Equal(0xD0DBUL, done[3].Result);              // CRC-16/T10-DIF check value
        foreach (int length in lengths)
        {
            ReadOnlySpan<byte> data = random.AsSpan(0, length);
            Assert.Equal(Crc32C.Compute(data), done[(ulong)(((length + 1) << 8) | 1)].Result);
            Assert.Equal(Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data), done[(ulong)(((length + 1) << 8) | 2)].Result);
            Assert.Equal(Crc16T10Dif.Compute(data), done[(ulong)(((length + 1) << 8) | 3)].Result);
        }
    }

    [Fact]
    public void CrcSeedContinuesAPreviousResult()
    {
        using var device = new Device("workers=1");
        byte[] data = Lz4TestData.Mixed(3000, 3);
        data.CopyTo(device.Region.GetSpan(0, data.Length));
        uint first = Crc32C.Compute(data.AsSpan(0, 1000));
        Dictionary<ulong, DpuCompletion> done = device.Run(
            [new DpuDescriptor { Cookie = 9, Op = DpuOp.Crc32C, SrcOffset = 1000, SrcLength = 2000, CrcSeed = first }]);
        Assert.Equal(Crc32C.Compute(data), done[9].Result);
    }

    [Fact]
    public void XtsMatchesOurCipher()
    {
        using var device = new Device("workers=2");
        byte[] key = Key();
        uint handle = device.Runtime.LoadKey(DpuKeyType.AesXts256, key);
        byte[] plain = Lz4TestData.Random(8 * 520, 11);
        plain.CopyTo(device.Region.GetSpan(0, plain.Length));
        Dictionary<ulong, DpuCompletion> done = device.Run(
        [
            new DpuDescriptor { Cookie = 1, Op = DpuOp.XtsEncrypt, SrcLength = (uint)plain.Length, DstOffset = 65536, DstCapacity = (uint)plain.Length, KeyHandle = handle, Lba = 77, CryptoUnit = 520 },
            new DpuDescriptor { Cookie = 2, Op = DpuOp.XtsEncrypt, SrcLength = 100, DstOffset = 131072, DstCapacity = 100, KeyHandle = handle, Lba = ulong.MaxValue, CryptoUnit = 0 },
            new DpuDescriptor { Cookie = 3, Op = DpuOp.XtsEncrypt, SrcLength = 100, DstOffset = 131072, DstCapacity = 100, KeyHandle = handle + 1, CryptoUnit = 0 },
        ]);
        Assert.Equal(DpuStatus.Ok, (DpuStatus)done[1].Status);
        Assert.Equal(DpuStatus.Ok, (DpuStatus)done[2].Status);
        Assert.Equal(DpuStatus.Key, (DpuStatus)done[3].Status);
        using var xts = new AesXts(key);
        byte[] expected = new byte[plain.Length];
        xts.Encrypt(plain, expected, 77, 520);
        Assert.Equal(expected, device.Region.GetSpan(65536, plain.Length).ToArray());
        // One 100-byte unit whose tweak is the largest 64-bit LBA (ciphertext stealing included).
        byte[] one = new byte[100];
        xts.Encrypt(plain.AsSpan(0, 100), one, ulong.MaxValue, 100);
        Assert.Equal(one, device.Region.GetSpan(131072, 100).ToArray());
    }

    [Fact]
    public void GcmMatchesTheNistVectorAndChecksTheTag()
    {
        // McGrew-Viega test case 16 (AES-256, 60-byte plaintext, 20 bytes of AAD), then the answers about bad descriptors.
        using var device = new Device("workers=2");
        var c = GcmVectors.Cases[3];
        byte[] plain = Convert.FromHexString(c.Plaintext);
        byte[] aux = Convert.FromHexString(c.Nonce + c.Aad);
        uint key = device.Runtime.LoadKey(DpuKeyType.AesGcm256, Convert.FromHexString(c.Key));
        uint xts = device.Runtime.LoadKey(DpuKeyType.AesXts256, Key());
        plain.CopyTo(device.Region.GetSpan(0, plain.Length));
        aux.CopyTo(device.Region.GetSpan(8192, aux.Length));
        uint n = (uint)plain.Length;
        DpuDescriptor Gcm(ulong cookie, DpuOp op, ulong src, ulong dst, ulong tag, uint handle) => new()
        {
            Cookie = cookie, Op = op, SrcOffset = src, SrcLength = n, DstOffset = dst, DstCapacity = n,
            MetaOffset = tag, MetaLength = 16, AuxOffset = 8192, AuxLength = (uint)aux.Length, KeyHandle = handle,
        };

        Dictionary<ulong, DpuCompletion> sealedDone = device.Run([Gcm(1, DpuOp.GcmEncrypt, 0, 4096, 12288, key)]);
        Assert.Equal(DpuStatus.Ok, (DpuStatus)sealedDone[1].Status);
        Assert.Equal(n, sealedDone[1].Bytes);
        Assert.Equal(c.Ciphertext, Convert.ToHexStringLower(device.Region.GetSpan(4096, plain.Length)));
        Assert.Equal(c.Tag, Convert.ToHexStringLower(device.Region.GetSpan(12288, 16)));

        device.Region.GetSpan(12288, 16).CopyTo(device.Region.GetSpan(20480, 16));
        device.Region.GetSpan(20480 + 15, 1)[0] ^= 1;
        device.Region.GetSpan(24576, plain.Length).Fill(0xEE);
        Dictionary<ulong, DpuCompletion> done = device.Run(
        [
            Gcm(2, DpuOp.GcmDecrypt, 4096, 16384, 12288, key),
            Gcm(3, DpuOp.GcmDecrypt, 4096, 24576, 20480, key),                                  // a tag off by one bit
            Gcm(4, DpuOp.GcmDecrypt, 4096, 28672, 12288, xts),                                  // an XTS key
            Gcm(5, DpuOp.GcmEncrypt, 0, 30000, 12288, key) with { DstCapacity = n - 1 },        // lengths differ
            Gcm(6, DpuOp.GcmEncrypt, 0, 30000, 12288, key) with { AuxLength = 11 },             // no whole nonce
            Gcm(7, DpuOp.GcmEncrypt, 0, 30000, 12288, key) with { MetaLength = 15 },            // a short tag
            Gcm(8, DpuOp.GcmEncrypt, 0, 30, 12288, key),                                        // dst partly over src
            Gcm(9, DpuOp.GcmEncrypt, 0, 30000, 30010, key),                                     // tag inside dst
            Gcm(10, DpuOp.GcmEncrypt, 0, 30000, 8192 + 4, key),                                 // tag over the nonce
            Gcm(11, DpuOp.GcmEncrypt, 0, 30000, 12288, key) with { AuxOffset = (ulong)device.Region.Length - 8 },
        ]);
        Assert.Equal(DpuStatus.Ok, (DpuStatus)done[2].Status);
        Assert.Equal(plain, device.Region.GetSpan(16384, plain.Length).ToArray());
        Assert.Equal(DpuStatus.Authentication, (DpuStatus)done[3].Status);
        Assert.Equal(0u, done[3].Bytes);
        Assert.True(device.Region.GetSpan(24576, plain.Length).IndexOfAnyExcept((byte)0) < 0, "a failed open leaves its destination zeroed");
        Assert.Equal(DpuStatus.Key, (DpuStatus)done[4].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[5].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[6].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[7].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[8].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[9].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[10].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[11].Status);

        // In place: the ciphertext decrypted over itself.
        Assert.Equal(DpuStatus.Ok, (DpuStatus)device.Run([Gcm(12, DpuOp.GcmDecrypt, 4096, 4096, 12288, key)])[12].Status);
        Assert.Equal(plain, device.Region.GetSpan(4096, plain.Length).ToArray());
    }

    [Fact]
    public void KeysAreTypedAndCheckedWhenLoaded()
    {
        using var device = new Device("workers=1");
        Assert.Throws<NativeCallException>(() => device.Runtime.LoadKey(DpuKeyType.AesGcm256, new byte[64]));
        Assert.Throws<NativeCallException>(() => device.Runtime.LoadKey(DpuKeyType.AesXts256, new byte[32]));
        Assert.Throws<NativeCallException>(() => device.Runtime.LoadKey(DpuKeyType.AesXts256, new byte[64])); // equal halves
        Assert.Throws<NativeCallException>(() => device.Runtime.LoadKey((DpuKeyType)3, new byte[32]));
        uint gcm = device.Runtime.LoadKey(DpuKeyType.AesGcm256, new byte[32]);
        byte[] data = Lz4TestData.Random(512, 3);
        data.CopyTo(device.Region.GetSpan(0, 512));
        Dictionary<ulong, DpuCompletion> done = device.Run(
            [new DpuDescriptor { Cookie = 1, Op = DpuOp.XtsEncrypt, SrcLength = 512, DstOffset = 4096, DstCapacity = 512, KeyHandle = gcm, CryptoUnit = 512 }]);
        Assert.Equal(DpuStatus.Key, (DpuStatus)done[1].Status);
    }

    [Fact]
    public void Lz4AgreesWithOurBlockCodecBothWays()
    {
        using var device = new Device("workers=1");
        byte[] text = Lz4TestData.Mixed(60_000, 5);
        text.CopyTo(device.Region.GetSpan(0, text.Length));
        byte[] ours = new byte[Lz4Block.MaxCompressedLength(text.Length)];
        Assert.True(Lz4Block.TryCompress(text, ours, out int oursLength));
        ours.AsSpan(0, oursLength).CopyTo(device.Region.GetSpan(200_000, oursLength));
        byte[] garbage = Lz4TestData.Random(5000, 1);
        garbage[0] = 0xF0;
        garbage.CopyTo(device.Region.GetSpan(500_000, garbage.Length));
        Dictionary<ulong, DpuCompletion> done = device.Run(
        [
            new DpuDescriptor { Cookie = 1, Op = DpuOp.Lz4Compress, SrcLength = (uint)text.Length, DstOffset = 100_000, DstCapacity = 90_000 },
            new DpuDescriptor { Cookie = 2, Op = DpuOp.Lz4Decompress, SrcOffset = 200_000, SrcLength = (uint)oursLength, DstOffset = 300_000, DstCapacity = 70_000 },
            new DpuDescriptor { Cookie = 3, Op = DpuOp.Lz4Decompress, SrcOffset = 500_000, SrcLength = 5000, DstOffset = 600_000, DstCapacity = 70_000 },
            new DpuDescriptor { Cookie = 4, Op = DpuOp.Lz4Compress, SrcLength = (uint)text.Length, DstOffset = 700_000, DstCapacity = 10 },
        ]);
        byte[] back = new byte[text.Length];
        Assert.True(Lz4Block.TryDecompress(device.Region.GetSpan(100_000, (int)done[1].Bytes), back, out int written));
        Assert.Equal(text.Length, written);
        Assert.Equal(text, back);
        Assert.Equal((uint)text.Length, done[2].Bytes);
        Assert.Equal(text, device.Region.GetSpan(300_000, text.Length).ToArray());
        Assert.Equal(DpuStatus.Corrupt, (DpuStatus)done[3].Status);
        Assert.Equal(DpuStatus.NoSpace, (DpuStatus)done[4].Status);
    }

    [Fact]
    public void EveryBufferIsCheckedAgainstTheRegion()
    {
        using var device = new Device("workers=1");
        ulong size = (ulong)device.Region.Length;
        Dictionary<ulong, DpuCompletion> done = device.Run(
        [
            new DpuDescriptor { Cookie = 1, Op = DpuOp.Crc32C, SrcOffset = size - 10, SrcLength = 11 },
            new DpuDescriptor { Cookie = 2, Op = DpuOp.Crc32C, SrcOffset = ulong.MaxValue - 5, SrcLength = 10 },
            new DpuDescriptor { Cookie = 3, Op = DpuOp.Lz4Compress, SrcLength = 100, DstOffset = size - 50, DstCapacity = 100 },
            new DpuDescriptor { Cookie = 4, Op = DpuOp.PiVerify, SrcLength = 512, MetaOffset = size, MetaLength = 8, BlockSize = 512, MetaSize = 8, PiFormat = DpuPiFormat.Guard16, PiType = 1, MetaMode = DpuAbi.MetaSeparate },
            new DpuDescriptor { Cookie = 5, Op = DpuOp.Lz4Compress, SrcLength = 100, DstOffset = 50, DstCapacity = 100 },
            new DpuDescriptor { Cookie = 6, Op = DpuOp.Crc32C, SrcLength = 10, Reserved120 = 1 },
            new DpuDescriptor { Cookie = 7, Op = (DpuOp)42, SrcLength = 10 },
            new DpuDescriptor { Cookie = 8, Op = DpuOp.Crc32C, SrcLength = 2 << 20 },
            new DpuDescriptor { Cookie = 9, Op = DpuOp.Chain, ChainLength = 5, SrcLength = 10 },
            new DpuDescriptor { Cookie = 10, Op = DpuOp.Nop },
        ]);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[1].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[2].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[3].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[4].Status);
        Assert.Equal(DpuStatus.Range, (DpuStatus)done[5].Status); // src and dst overlap
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[6].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[7].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[8].Status);
        Assert.Equal(DpuStatus.Invalid, (DpuStatus)done[9].Status);
        Assert.Equal(DpuStatus.Ok, (DpuStatus)done[10].Status);
    }

    [Fact]
    public void AFullQueueAcceptsOnlyItsDepth()
    {
        using var device = new Device("workers=1;fault=slow:20ms", depth: 4);
        var batch = new DpuDescriptor[10];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = new DpuDescriptor { Cookie = (ulong)i, Op = DpuOp.Nop };
        }

        Assert.Equal(4, device.Queue.Submit(batch));
        Assert.Equal(0, device.Queue.Submit(batch.AsSpan(4)));
        Assert.Equal(4, device.Drain(4).Count);
        Assert.Equal(4, device.Queue.Submit(batch.AsSpan(4)));
        Assert.Equal(4, device.Drain(4).Count);
    }

    [Fact]
    public void FaultsAreExactAndResetIsReportedOnce()
    {
        using (var lose = new Device("workers=2;fault=lose:1/10"))
        {
            Assert.Equal(100, lose.Queue.Submit(Nops(100)));
            Assert.Equal(90, lose.Drain(90).Count);
            Thread.Sleep(50);
            Assert.Equal(0, lose.Queue.Poll(new DpuCompletion[8]));
        }

        using (var corrupt = new Device("fault=corrupt-status:1/25"))
        {
            Assert.Equal(100, corrupt.Queue.Submit(Nops(100)));
            List<DpuCompletion> all = corrupt.Drain(100);
            Assert.Equal(4, all.Count(c => c.Status == 0x5A5A5A5A));
            Assert.Equal(96, all.Count(c => c.Status == 0));
        }

        using var reset = new Device("workers=2;fault=reset-after:37");
        Assert.Equal(36, reset.Queue.Submit(Nops(36)));
        Assert.Equal(36, reset.Drain(36).Count);
        Assert.Equal(64, reset.Queue.Submit(Nops(64)));
        int rc;
        var buffer = new DpuCompletion[64];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((rc = reset.Queue.Poll(buffer)) == 0 && clock.ElapsedMilliseconds < 5000)
        {
            Thread.Yield();
        }

        Assert.Equal(DpuAbi.ConnectionReset, rc);
        Assert.Equal(0, reset.Queue.Poll(buffer));
        Assert.Equal(5, reset.Queue.Submit(Nops(5)));
        Assert.Equal(5, reset.Drain(5).Count);
    }

    [Fact]
    public void HostResetDropsEverythingAndIsReportedBySubmit()
    {
        using var device = new Device("workers=1;fault=slow:30ms");
        Assert.Equal(16, device.Queue.Submit(Nops(16)));
        device.Runtime.Reset();
        Assert.Equal(DpuAbi.ConnectionReset, device.Queue.Submit(Nops(1)));
        Assert.Equal(3, device.Queue.Submit(Nops(3)));
        Assert.Equal(3, device.Drain(3).Count);
    }

    internal static byte[] Key()
    {
        byte[] key = new byte[64];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = (byte)((i * 37) + 5);
        }

        return key;
    }

    private static DpuDescriptor[] Nops(int n)
    {
        var d = new DpuDescriptor[n];
        for (int i = 0; i < n; i++)
        {
            d[i] = new DpuDescriptor { Cookie = (ulong)i, Op = DpuOp.Nop };
        }

        return d;
    }

    /// <summary>An emulated device with one queue pair over a fresh 1 MiB region.</summary>
    private sealed class Device : IDisposable
    {
        internal Device(string config, uint depth = 256)
        {
            Assert.True(DpuRuntime.TryOpen(TestRuntimes.Emulated, config, All, out DpuRuntime? runtime, out string reason), reason);
            Runtime = runtime;
            Region = DmaRegion.Create(1 << 20, PageKind.Small, lockMemory: false);
            Queue = runtime.CreateQueuePair(Region, depth);
        }

        internal DpuRuntime Runtime { get; }

        internal DmaRegion Region { get; }

        internal DpuQueuePair Queue { get; }

        internal Dictionary<ulong, DpuCompletion> Run(DpuDescriptor[] descriptors)
        {
            Assert.Equal(descriptors.Length, Queue.Submit(descriptors));
            return Drain(descriptors.Length).ToDictionary(c => c.Cookie);
        }

        internal List<DpuCompletion> Drain(int expected)
        {
            var all = new List<DpuCompletion>();
            var buffer = new DpuCompletion[32];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (all.Count < expected && clock.ElapsedMilliseconds < 10_000)
            {
                int n = Queue.Poll(buffer);
                Assert.True(n >= 0, $"poll failed: {n}");
                all.AddRange(buffer.AsSpan(0, n).ToArray());
                if (n == 0)
                {
                    Thread.Yield();
                }
            }

            Assert.Equal(expected, all.Count);
            return all;
        }

        public void Dispose()
        {
            Queue.Dispose();
            Runtime.Dispose();
            Region.Dispose();
        }
    }
}

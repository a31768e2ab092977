using System.Buffers.Binary;
using System.Text;
using ReNESENS.DataPlane.Nvme;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Kernels;
using ReNESENS.DataPlane.Tests.Offload;
using Xunit.Abstractions;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// The transform namespace (PI + LZ4 + XTS at rest through the offload engine) end to end through our
/// initiator, its at-rest bytes against libgcrypt and liblz4, and its PI checks against corruption.
/// </summary>
public class TransformNamespaceTests(ITestOutputHelper output)
{
    private const long Size = 1L << 20;

    [Theory]
    [InlineData(512, false)]
    [InlineData(512, true)]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    public async Task WritesZeroesAndDeallocate_ReadBackAsTheModel(int blockSize, bool compressible)
    {
        byte[] key = NewKey(1);
        await using NvmeTestTarget target = Start(blockSize, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(queues: 2));
        byte[] model = new byte[Size];
        var random = new Random(blockSize + (compressible ? 1 : 0));

        // Whole chunks, a run crossing chunk boundaries at odd blocks (partial chunks: read-modify-write), a large R2T write.
        (int Lba, int Blocks)[] writes = [(0, 8), (3, 3), (13, 11), (40, 1), (64, 64), (100, 37)];
        foreach ((int lba, int blocks) in writes)
        {
            byte[] data = Payload(random, blocks * blockSize, compressible);
            await host.WriteAsync(1, (ulong)lba, data, blockSize);
            data.CopyTo(model, lba * blockSize);
        }

        await host.WriteZeroesAsync(1, 5, 9);
        Array.Clear(model, 5 * blockSize, 9 * blockSize);
        await host.DeallocateAsync(1, 66, 30);
        Array.Clear(model, 66 * blockSize, 30 * blockSize);
        await host.FlushAsync(1);

        byte[] back = new byte[200 * blockSize];
        await host.ReadAsync(1, 0, back, blockSize);
        Assert.Equal(model.AsSpan(0, back.Length).ToArray(), back);

        // Odd single blocks inside chunks, and a never-written area (zeros).
        foreach (int lba in new[] { 1, 7, 15, 41, 199 })
        {
            byte[] one = new byte[blockSize];
            await host.ReadAsync(1, (ulong)lba, one, blockSize);
            Assert.Equal(model.AsSpan(lba * blockSize, blockSize).ToArray(), one);
        }

        byte[] tail = new byte[8 * blockSize];
        await host.ReadAsync(1, (ulong)((Size / blockSize) - 8), tail, blockSize);
        Assert.All(tail, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task ParallelWritesOnTwoQueues_ReadBackIdentical()
    {
        byte[] key = NewKey(2);
        await using NvmeTestTarget target = Start(512, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(queues: 2));
        byte[][] data = [.. Enumerable.Range(0, 32).Select(i => Payload(new Random(i), 3 * 512, i % 2 == 0))];

        // Three-block writes at a stride of 3 blocks: neighbours share chunks, so chunk locks and read-modify-write race.
        await Task.WhenAll(data.Select((d, i) => host.WriteAsync(1, (ulong)(i * 3), d).AsTask()));
        for (int i = 0; i < data.Length; i++)
        {
            byte[] back = new byte[3 * 512];
            await host.ReadAsync(1, (ulong)(i * 3), back);
            Assert.Equal(data[i], back);
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task AtRest_IsXtsOfLz4OfBlocksWithSpecPi(int blockSize)
    {
        byte[] key = NewKey(3);
        await using NvmeTestTarget target = Start(blockSize, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        TransformNamespaceBackend backend = Backend(target);
        int chunkBlocks = backend.BlocksPerChunk;
        byte[] data = Payload(new Random(3), 4 * 4096, compressible: true);
        await host.WriteAsync(1, 0, data, blockSize);

        for (long chunk = 0; chunk < 4; chunk++)
        {
            ulong lba = (ulong)(chunk * chunkBlocks);
            Assert.True(backend.Store.TryGet(chunk, out DmaSlice payload, out int compressedLength));
            byte[] stored = payload.Span.ToArray();
            byte[] plainChunk = data.AsSpan((int)chunk * 4096, 4096).ToArray();
            Assert.True(stored.AsSpan().IndexOf(plainChunk.AsSpan(0, 32)) < 0, "plaintext visible at rest");

            // libgcrypt: the whole payload is one XTS data unit, tweak = the chunk's first LBA.
            byte[] lz4 = new byte[stored.Length];
            LibgcryptXts.Transform(key, stored, lz4, lba, stored.Length, encrypt: false);
            int stride = blockSize + 8;
            byte[] extended = new byte[chunkBlocks * stride];
            Assert.Equal(extended.Length, Liblz4Peer.Decompress(lz4.AsSpan(0, compressedLength), extended));
            for (int i = 0; i < chunkBlocks; i++)
            {
                ReadOnlySpan<byte> block = extended.AsSpan(i * stride, blockSize);
                ReadOnlySpan<byte> pi = extended.AsSpan((i * stride) + blockSize, 8);
                Assert.Equal(plainChunk.AsSpan(i * blockSize, blockSize).ToArray(), block.ToArray());

                // NVM Command Set 5.2.1.1: guard = CRC-16 T10-DIF of the data, big-endian; type 1 reference tag = low 32 bits of the LBA.
                Assert.Equal(CrcReference.Crc16T10Dif(block), BinaryPrimitives.ReadUInt16BigEndian(pi));
                Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(pi[2..]));
                Assert.Equal((uint)(lba + (ulong)i), BinaryPrimitives.ReadUInt32BigEndian(pi[4..]));
            }
        }
    }

    [Theory]
    [InlineData(0, 0x282)]
    [InlineData(2, 0x283)]
    [InlineData(4, 0x284)]
    public async Task CorruptPi_ReadFailsWithTheEndToEndStatus_OtherReadsServed(int piOffset, int expected)
    {
        byte[] key = NewKey(4);
        await using NvmeTestTarget target = Start(512, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        TransformNamespaceBackend backend = Backend(target);
        byte[] data = Payload(new Random(4), 16 * 512, compressible: false);
        await host.WriteAsync(1, 0, data);

        // Re-encode chunk 0 with independent code: decrypt (libgcrypt), decompress (liblz4), flip one PI byte of block 2, recompress, re-encrypt.
        Assert.True(backend.Store.TryGet(0, out DmaSlice payload, out int compressedLength));
        byte[] lz4 = new byte[payload.Length];
        LibgcryptXts.Transform(key, payload.Span, lz4, 0, payload.Length, encrypt: false);
        byte[] extended = new byte[8 * 520];
        Assert.Equal(extended.Length, Liblz4Peer.Decompress(lz4.AsSpan(0, compressedLength), extended));
        extended[(2 * 520) + 512 + piOffset] ^= 0x01;
        byte[] packed = new byte[Liblz4.CompressBound(extended.Length) + 16];
        int packedLength = Liblz4Peer.Compress(extended, packed);
        int storedLength = Math.Max(packedLength, 16);
        byte[] cipher = new byte[storedLength];
        LibgcryptXts.Transform(key, packed.AsSpan(0, storedLength), cipher, 0, storedLength, encrypt: true);
        Assert.True(backend.Store.TryPut(0, cipher, packedLength));

        NvmeCommandException error = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(1, 0, new byte[512]));
        Assert.Equal(expected, error.StatusCode);
        byte[] back = new byte[8 * 512];
        await host.ReadAsync(1, 8, back);
        Assert.Equal(data.AsSpan(8 * 512).ToArray(), back);

        // A partial write into the corrupt chunk needs its old blocks: it fails the same way; a whole-chunk write heals it.
        error = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(1, 1, new byte[512]));
        Assert.Equal(expected, error.StatusCode);
        await host.WriteAsync(1, 0, data.AsMemory(0, 8 * 512));
        await host.ReadAsync(1, 0, back);
        Assert.Equal(data.AsSpan(0, 8 * 512).ToArray(), back);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(-1)]
    public async Task FlippedCiphertextByte_ReadFailsWithAMediaIntegrityStatus_OtherReadsServed(int position)
    {
        byte[] key = NewKey(5);
        await using NvmeTestTarget target = Start(512, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        TransformNamespaceBackend backend = Backend(target);
        byte[] data = Payload(new Random(5), 16 * 512, compressible: true);
        await host.WriteAsync(1, 0, data);
        Assert.True(backend.Store.TryGet(1, out DmaSlice payload, out _));
        payload.Span[position < 0 ? payload.Length + position : position] ^= 0x40;

        NvmeCommandException error = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(1, 8, new byte[8 * 512]));
        Assert.Equal(2, error.StatusCode >> 8);
        Assert.Contains(error.StatusCode, new[] { 0x281, 0x282, 0x283, 0x284 });
        byte[] back = new byte[8 * 512];
        await host.ReadAsync(1, 0, back);
        Assert.Equal(data.AsSpan(0, 8 * 512).ToArray(), back);
    }

    [Fact]
    public async Task CompressibleData_TakesLessRoom_RandomDoesNot()
    {
        byte[] key = NewKey(6);
        await using NvmeTestTarget target = Start(512, key);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        TransformNamespaceBackend backend = Backend(target);
        byte[] text = Payload(new Random(6), 512 * 1024, compressible: true);
        await host.WriteAsync(1, 0, text);
        double textRatio = (double)text.Length / backend.Store.AllocatedBytes;
        long before = backend.Store.AllocatedBytes;
        byte[] noise = Payload(new Random(7), 256 * 1024, compressible: false);
        await host.WriteAsync(1, 1024, noise);
        double noiseRatio = (double)noise.Length / (backend.Store.AllocatedBytes - before);
        output.WriteLine($"logical/allocated: text {textRatio:F2}x, random {noiseRatio:F3}x; store stored bytes {backend.Store.StoredBytes}");
        Assert.True(textRatio > 2, $"text compressed only {textRatio:F2}x");
        Assert.True(noiseRatio < 1, $"random data took less room than its size ({noiseRatio:F3}x)");
    }

    [Fact]
    public async Task FullStore_WriteFailsWithCapacityExceeded_DataKept()
    {
        byte[] key = NewKey(7);
        await using NvmeTestTarget target = NvmeTestTarget.Start(
            o => o.Subsystems[0].Namespaces[0].Transform = new NvmeNamespaceTransformOptions { Key = Convert.ToHexString(key), StoreSizeBytes = 16 * 1024 },
            size: Size);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        byte[] noise = Payload(new Random(8), 8 * 4096, compressible: false);
        NvmeCommandException error = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(1, 0, noise));
        Assert.Equal(0x081, error.StatusCode);

        // The chunks that fit read back; a deallocate frees room for the next write.
        byte[] back = new byte[4096];
        await host.ReadAsync(1, 0, back);
        Assert.Equal(noise.AsSpan(0, 4096).ToArray(), back);
        await host.DeallocateAsync(1, 0, 64);
        await host.WriteAsync(1, 200, noise.AsMemory(0, 3 * 4096));
        byte[] again = new byte[3 * 4096];
        await host.ReadAsync(1, 200, again);
        Assert.Equal(noise.AsSpan(0, 3 * 4096).ToArray(), again);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("not hex at all")]
    [InlineData("")]
    public void BadKey_IsRejectedAtStart(string hexKey)
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = NvmeTestTarget.Nqn };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { SizeBytes = Size, Transform = new NvmeNamespaceTransformOptions { Key = hexKey } });
        options.Subsystems.Add(subsystem);
        Assert.Throws<ArgumentException>(() => new NvmeTcpTarget(options));
    }

    [Fact]
    public void TransformAndFile_AreExclusive()
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = NvmeTestTarget.Nqn };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { SizeBytes = Size, FilePath = "/dev/null", Transform = new NvmeNamespaceTransformOptions { Key = Convert.ToHexString(NewKey(9)) } });
        options.Subsystems.Add(subsystem);
        Assert.Throws<ArgumentException>(() => new NvmeTcpTarget(options));
    }

    private static NvmeTestTarget Start(int blockSize, byte[] key) => NvmeTestTarget.Start(
        o => o.Subsystems[0].Namespaces[0].Transform = new NvmeNamespaceTransformOptions { Key = Convert.ToHexString(key) },
        size: Size,
        blockSize: blockSize);

    private static TransformNamespaceBackend Backend(NvmeTestTarget target)
        => Assert.IsType<TransformNamespaceBackend>(target.Target.Core.Subsystems[0].Namespaces[0].Backend);

    /// <summary>A 64-byte XTS key whose two halves differ.</summary>
    private static byte[] NewKey(int seed)
    {
        byte[] key = new byte[64];
        new Random(seed).NextBytes(key);
        return key;
    }

    private static byte[] Payload(Random random, int length, bool compressible)
    {
        byte[] data = new byte[length];
        if (!compressible)
        {
            random.NextBytes(data);
            return data;
        }

        var text = new StringBuilder();
        while (text.Length < length)
        {
            text.Append("block ").Append(random.Next(1000)).Append(" of a log line that repeats; ");
        }

        Encoding.ASCII.GetBytes(text.ToString(), 0, length, data, 0);
        return data;
    }
}

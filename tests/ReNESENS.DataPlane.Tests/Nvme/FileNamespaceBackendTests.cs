using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Nvme;
using ReNESENS.DataPlane.Tests.Offload;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// The file back-end on a real ext4 file (/var/tmp, not tmpfs) and on a ramfs mount, which refuses O_DIRECT with
/// EINVAL (tmpfs accepts it since Linux 6.6, so it no longer shows the fallback): the kernel's own view of the
/// descriptors (/proc/self/fdinfo flags) and of the file's bytes is the independent checker.
/// </summary>
public sealed class FileNamespaceBackendTests : IDisposable
{
    /// <summary>O_DIRECT and O_DSYNC on x86-64 (asm-generic/fcntl.h), as fdinfo prints them in octal.</summary>
    private const int ODirect = 0x4000;
    private const int ODsync = 0x1000;

    private readonly string _disk = Path.Combine("/var/tmp", $"rn-nvme-odirect-{Guid.NewGuid():N}.img");
    private readonly RamfsMount _ramfs = new();
    private readonly string _shm;

    public FileNamespaceBackendTests() => _shm = Path.Combine(_ramfs.Path, "ns.img");

    public void Dispose()
    {
        File.Delete(_disk);
        _ramfs.Dispose();
    }

    [Fact]
    public void OnExt4_OpensWithODirect_FuaDescriptorWithODsync()
    {
        using var backend = new FileNamespaceBackend(_disk, 4L << 20, 4096, NvmeDirectIoMode.Auto, NullLogger.Instance);
        Assert.True(backend.IsDirect);
        Assert.True(backend.NeedsWholeCommands);
        Assert.False(backend.IsBlockDevice);
        int flags = FdInfoFlags(backend.Handle);
        Assert.Equal(ODirect, flags & ODirect);
        Assert.Equal(0, flags & ODsync);
        Assert.Equal(ODirect | ODsync, FdInfoFlags(backend.DurableHandle) & (ODirect | ODsync));
        Assert.Equal(4L << 20, new FileInfo(_disk).Length);
    }

    [Theory]
    [InlineData(512, 0)]
    [InlineData(512, 1)]
    [InlineData(4096, 3)]
    [InlineData(4096, 64)]
    public void UnalignedBuffers_GoThroughStaging_AndLandWhereTheKernelReadsThem(int blockSize, int misalignment)
    {
        using var backend = new FileNamespaceBackend(_disk, 4L << 20, blockSize, NvmeDirectIoMode.Required, NullLogger.Instance);
        byte[] backing = new byte[(3 * FileNamespaceBackend.SlotSize) + blockSize + misalignment];
        Span<byte> data = backing.AsSpan(misalignment, (3 * FileNamespaceBackend.SlotSize) + blockSize);
        Random.Shared.NextBytes(data);
        long offset = 7L * blockSize;
        Assert.Equal(NvmeStatus.Success, backend.Write(offset, data, forceUnitAccess: false));
        backend.Flush();

        byte[] onDisk = ReadThroughKernel(_disk, offset, data.Length);
        Assert.True(onDisk.AsSpan().SequenceEqual(data));

        byte[] back = new byte[data.Length + 1];
        Assert.Equal(NvmeStatus.Success, backend.Read(offset, back.AsSpan(1)));
        Assert.True(back.AsSpan(1).SequenceEqual(data));
        Assert.True(backend.StagedCommands >= 1);
    }

    [Fact]
    public void AlignedBuffers_AreUsedInPlace_NotStaged()
    {
        using var backend = new FileNamespaceBackend(_disk, 4L << 20, 4096, NvmeDirectIoMode.Required, NullLogger.Instance);
        using DmaRegion region = DmaRegion.Create(1 << 20, PageKind.Small, lockMemory: false);
        Span<byte> buffer = region.GetSpan(0, 1 << 20);
        Random.Shared.NextBytes(buffer);
        byte[] expected = buffer.ToArray();
        Assert.Equal(NvmeStatus.Success, backend.Write(1 << 20, buffer, forceUnitAccess: true));
        buffer.Clear();
        Assert.Equal(NvmeStatus.Success, backend.Read(1 << 20, buffer));
        Assert.True(buffer.SequenceEqual(expected));
        Assert.Equal(0, backend.StagedCommands);
        Assert.True(ReadThroughKernel(_disk, 1 << 20, 1 << 20).AsSpan().SequenceEqual(expected));
    }

    [Fact]
    public void SteadyStateIo_AllocatesNothing_StagedOrInPlace()
    {
        using var backend = new FileNamespaceBackend(_disk, 4L << 20, 4096, NvmeDirectIoMode.Required, NullLogger.Instance);
        using DmaRegion region = DmaRegion.Create(64 * 1024, PageKind.Small, lockMemory: false);
        byte[] unaligned = new byte[(64 * 1024) + 1];
        int failures = 0;
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            // Statuses are counted, not asserted, inside the round: xunit's Assert.Equal allocates.
            for (int i = 0; i < 50; i++)
            {
                long offset = (i % 32) * 64 * 1024L;
                failures += backend.Write(offset, unaligned.AsSpan(1), forceUnitAccess: i % 8 == 0) == NvmeStatus.Success ? 0 : 1;
                failures += backend.Read(offset, unaligned.AsSpan(1)) == NvmeStatus.Success ? 0 : 1;
                failures += backend.Write(offset, region.GetSpan(0, 64 * 1024), forceUnitAccess: false) == NvmeStatus.Success ? 0 : 1;
                failures += backend.Read(offset, region.GetSpan(0, 64 * 1024)) == NvmeStatus.Success ? 0 : 1;
                failures += backend.WriteZeroes(offset, 4096) == NvmeStatus.Success ? 0 : 1;
            }

            backend.Flush();
        });
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void WriteZeroes_ReadsBackZeros_WhereverTheKernelLooks()
    {
        using var backend = new FileNamespaceBackend(_disk, 4L << 20, 512, NvmeDirectIoMode.Auto, NullLogger.Instance);
        byte[] data = new byte[64 * 1024];
        Random.Shared.NextBytes(data);
        Assert.Equal(NvmeStatus.Success, backend.Write(0, data, forceUnitAccess: false));
        Assert.Equal(NvmeStatus.Success, backend.WriteZeroes(4096, 8192));
        backend.Flush();
        byte[] onDisk = ReadThroughKernel(_disk, 0, data.Length);
        Assert.True(onDisk.AsSpan(0, 4096).SequenceEqual(data.AsSpan(0, 4096)));
        Assert.True(onDisk.AsSpan(4096, 8192).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(onDisk.AsSpan(12288).SequenceEqual(data.AsSpan(12288)));
    }

    [Fact]
    public void OnRamfs_AutoFallsBackToThePageCache_AndSaysSo()
    {
        var logs = new ListLoggerFactory();
        using var backend = new FileNamespaceBackend(_shm, 1L << 20, 512, NvmeDirectIoMode.Auto, logs.CreateLogger("test"));
        Assert.False(backend.IsDirect);
        Assert.False(backend.NeedsWholeCommands);
        Assert.Equal(0, FdInfoFlags(backend.Handle) & ODirect);
        Assert.Equal(ODsync, FdInfoFlags(backend.DurableHandle) & ODsync);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("O_DIRECT", StringComparison.Ordinal) && l.Contains(_shm, StringComparison.Ordinal));

        // Buffered writes may come in any pieces.
        byte[] data = new byte[3000];
        Random.Shared.NextBytes(data);
        Assert.Equal(NvmeStatus.Success, backend.Write(100, data.AsSpan(0, 1000), forceUnitAccess: false));
        Assert.Equal(NvmeStatus.Success, backend.Write(1100, data.AsSpan(1000), forceUnitAccess: true));
        Assert.True(ReadThroughKernel(_shm, 100, 3000).AsSpan().SequenceEqual(data));
        Assert.Equal(NvmeStatus.Success, backend.WriteZeroes(0, 4096));
        Assert.True(ReadThroughKernel(_shm, 0, 4096).AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void OnRamfs_RequiredRefuses_WithTheKernelsReason()
    {
        IOException e = Assert.Throws<IOException>(() => new FileNamespaceBackend(_shm, 1L << 20, 512, NvmeDirectIoMode.Required, NullLogger.Instance));
        Assert.Contains("O_DIRECT", e.Message, StringComparison.Ordinal);
        Assert.Contains("errno 22", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheNamespaceSaysHowItsFileIsOpened()
    {
        var logs = new ListLoggerFactory();
        using (new NvmeNamespace("nqn.2026-11.io.renesens:log", new NvmeNamespaceOptions { NamespaceId = 3, SizeBytes = 1 << 20, FilePath = _disk }, logs.CreateLogger("test")))
        {
        }

        using (new NvmeNamespace("nqn.2026-11.io.renesens:log", new NvmeNamespaceOptions { NamespaceId = 4, SizeBytes = 1 << 20, FilePath = _shm }, logs.CreateLogger("test")))
        {
        }

        Assert.Contains($"Information: Namespace 3 of nqn.2026-11.io.renesens:log: {_disk}, 1048576 bytes, O_DIRECT", logs.Lines);
        Assert.Contains($"Information: Namespace 4 of nqn.2026-11.io.renesens:log: {_shm}, 1048576 bytes, page cache", logs.Lines);
    }

    [Fact]
    public void OffUsesThePageCacheEvenWhereODirectWorks()
    {
        using var backend = new FileNamespaceBackend(_disk, 1L << 20, 512, NvmeDirectIoMode.Off, NullLogger.Instance);
        Assert.False(backend.IsDirect);
        Assert.Equal(0, FdInfoFlags(backend.Handle) & ODirect);
    }

    [Fact]
    public void SizeZero_ExportsTheFileAsItIs_AndAnEmptyFileIsRefused()
    {
        File.WriteAllBytes(_disk, new byte[(3 << 20) + 100]);
        using (var backend = new FileNamespaceBackend(_disk, 0, 4096, NvmeDirectIoMode.Auto, NullLogger.Instance))
        {
            Assert.Equal(3L << 20, backend.Capacity);
        }

        File.WriteAllBytes(_disk, []);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new FileNamespaceBackend(_disk, 0, 4096, NvmeDirectIoMode.Auto, NullLogger.Instance));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resize_GrowsAndTruncatesTheFile_NewBlocksReadZero()
    {
        using var ns = new NvmeNamespace("nqn.2026-11.io.renesens:resize", new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 1 << 20, BlockSize = 4096, FilePath = _disk });
        byte[] block = new byte[4096];
        Random.Shared.NextBytes(block);
        Assert.Equal(NvmeStatus.Success, ns.Backend.Write((1 << 20) - 4096, block, false));
        ns.BeginShrink(128);
        Assert.False(ns.Contains(128, 1));
        Assert.False(ns.StillAccepts((1 << 20) - 4096, 4096));
        ns.CompleteShrink();
        Assert.Equal(128L * 4096, new FileInfo(_disk).Length);
        ns.Grow(512);
        Assert.Equal(512L * 4096, new FileInfo(_disk).Length);
        Assert.True(ns.Contains(511, 1));
        byte[] back = new byte[4096];
        Assert.Equal(NvmeStatus.Success, ns.Backend.Read((1 << 20) - 4096, back));
        Assert.True(back.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void RamResize_GrowsUpToItsReservation_ShrinkGivesTheTailBack()
    {
        using var ns = new NvmeNamespace("nqn.2026-11.io.renesens:resize", new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 1 << 20, MaxSizeBytes = 4 << 20, BlockSize = 512 });
        byte[] block = new byte[512];
        Random.Shared.NextBytes(block);
        Assert.Equal(NvmeStatus.Success, ns.Backend.Write((1 << 20) - 512, block, false));
        ns.BeginShrink(1024);
        ns.CompleteShrink();
        ns.Grow(8192);
        Assert.Equal(4L << 20, ns.Backend.Capacity);
        byte[] back = new byte[512];
        Assert.Equal(NvmeStatus.Success, ns.Backend.Read((1 << 20) - 512, back));
        Assert.True(back.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ns.Grow(8193));
        Assert.Equal(8192, ns.BlockCount);
    }

    [Fact]
    public void TransformNamespaces_SayTheyCannotBeResized()
    {
        byte[] key = new byte[64];
        Random.Shared.NextBytes(key);
        key[0] = 1;
        key[32] = 2;
        using var ns = new NvmeNamespace("nqn.2026-11.io.renesens:resize", new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 1 << 20, BlockSize = 4096, Transform = new NvmeNamespaceTransformOptions { Key = Convert.ToHexString(key) } });
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => ns.Grow(512));
        Assert.Contains("Transform", e.Message, StringComparison.Ordinal);
        Assert.Equal(256, ns.BlockCount);
    }

    [Theory]
    [InlineData(0L, null, "SizeBytes")]
    [InlineData(1L << 20, 4096L, "MaxSizeBytes")]
    [InlineData(1L << 20, (1L << 20) + 100, "MaxSizeBytes")]
    public void BadSizes_AreRefusedByName(long size, long? max, string field)
    {
        var options = new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = size, MaxSizeBytes = max ?? 0 };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new NvmeNamespace("nqn.2026-11.io.renesens:bad", options));
        Assert.Contains(field + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUndefinedDirectIoMode_IsRefusedByName()
    {
        var options = new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 1 << 20, FilePath = _disk, DirectIo = (NvmeDirectIoMode)7 };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new NvmeNamespace("nqn.2026-11.io.renesens:bad", options));
        Assert.Contains("DirectIo: 7", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_disk));
    }

    /// <summary>The open flags the kernel keeps for the descriptor (octal "flags:" line of /proc/self/fdinfo).</summary>
    private static int FdInfoFlags(SafeFileHandle handle)
    {
        string line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    /// <summary>Reads through an ordinary buffered descriptor of our own: what any other program would see.</summary>
    private static byte[] ReadThroughKernel(string path, long offset, int length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = offset;
        byte[] data = new byte[length];
        stream.ReadExactly(data);
        return data;
    }
}

using System.Diagnostics;
using System.IO.Hashing;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>
/// What only the software engine's worker mode has: queue pairs on several threads sharing the
/// workers, results identical to the inline engine, a full submission ring, Dispose with operations
/// in flight, and idle workers that park.
/// </summary>
public sealed class SoftwareWorkerTests
{
    private const int Slot = 8192;
    private const int OpsPerThread = 48;
    private const long OutAt = 1 << 20;
    private const long BackAt = 2 << 20;
    private const long MetadataAt = 3 << 20;
    private const long AuxAt = (3 << 20) + (1 << 19);

    private static readonly ProtectionInformationFormat Pi4K = new(4096, 16, ProtectionInformationGuard.Crc64, ProtectionInformationType.Type1);

    private static readonly OffloadChainSteps[] Chains =
    [
        OffloadChainSteps.All,
        OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Encryption,
        OffloadChainSteps.ProtectionInformation | OffloadChainSteps.Compression,
        OffloadChainSteps.Compression | OffloadChainSteps.Encryption,
        OffloadChainSteps.Compression,
        OffloadChainSteps.Encryption,
    ];

    [Fact]
    public async Task QueuePairsOnSeveralThreadsGetWhatTheInlineEngineGivesForEveryOpAndChain()
    {
        const int Threads = 4;
        using var inline = new SoftwareEngine();
        using var workers = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 2 });
        var keys = new (OffloadKey Xts, OffloadKey Gcm, OffloadKey Gone)[2];
        SoftwareEngine[] engines = [inline, workers];
        for (int e = 0; e < 2; e++)
        {
            OffloadKey gone = engines[e].LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(3));
            engines[e].UnloadKey(gone);
            keys[e] = (engines[e].LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(1)), engines[e].LoadKey(OffloadKeyKind.AesGcm256, EngineHarness.Key(2).AsSpan(0, 32)), gone);
        }

        Assert.Equal(keys[0], keys[1]); // the same handles, so the operations are the same values

        var regions = new DmaRegion[2, Threads];
        try
        {
            // The inline engine on this thread: the expected results.
            var expected = new (Dictionary<ulong, OffloadCompletion> Write, Dictionary<ulong, OffloadCompletion> Read)[Threads];
            using (IOffloadQueuePair qp = inline.CreateQueuePair(16))
            {
                for (int t = 0; t < Threads; t++)
                {
                    regions[0, t] = Prepare(t);
                    expected[t] = RunBoth(qp, regions[0, t], keys[0]);
                }
            }

            // The worker engine: one queue pair per thread, all at once.
            var actual = new (Dictionary<ulong, OffloadCompletion> Write, Dictionary<ulong, OffloadCompletion> Read)[Threads];
            Task[] tasks = new Task[Threads];
            for (int t = 0; t < Threads; t++)
            {
                regions[1, t] = Prepare(t);
                int thread = t;
                tasks[t] = Task.Factory.StartNew(
                    () =>
                    {
                        using IOffloadQueuePair qp = workers.CreateQueuePair(16);
                        actual[thread] = RunBoth(qp, regions[1, thread], keys[1]);
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);
            }

            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
            for (int t = 0; t < Threads; t++)
            {
                Assert.Equal(expected[t].Write, actual[t].Write);
                Assert.Equal(expected[t].Read, actual[t].Read);
                Assert.True(regions[0, t].GetSpan(0, EngineHarness.RegionSize).SequenceEqual(regions[1, t].GetSpan(0, EngineHarness.RegionSize)), $"thread {t}: the buffers differ");
                Assert.Contains(expected[t].Write.Values, c => c.Status == OffloadStatus.InvalidKey);
                Assert.True(expected[t].Read.Values.All(c => c.IsSuccess), "every chain read back");
            }
        }
        finally
        {
            foreach (DmaRegion? region in regions)
            {
                region?.Dispose();
            }
        }
    }

    [Fact]
    public void AFullSubmissionRingAcceptsWhatFitsAndEveryOperationStillCompletesOnce()
    {
        // A two-token shared ring: one Submit can publish two operations however deep the queue pair is.
        using var engine = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 1 }, maxSubmissionRing: 2);
        using DmaRegion region = EngineHarness.Region(5);
        using IOffloadQueuePair qp = engine.CreateQueuePair(64);
        var ops = new OffloadOp[64];
        for (int i = 0; i < ops.Length; i++)
        {
            ops[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(region, i * 65536L, 65536), (ulong)i);
        }

        Assert.Equal(2, qp.Submit(ops));
        Assert.Equal(2, qp.Outstanding);
        var done = new Dictionary<ulong, OffloadCompletion>();
        var buffer = new OffloadCompletion[8];
        int submitted = 2;
        var clock = Stopwatch.StartNew();
        while (done.Count < ops.Length && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            int accepted = qp.Submit(ops.AsSpan(submitted));
            Assert.InRange(accepted, 0, 2);
            submitted += accepted;
            int n = qp.Poll(buffer);
            for (int i = 0; i < n; i++)
            {
                Assert.True(done.TryAdd(buffer[i].UserData, buffer[i]), $"operation {buffer[i].UserData} completed twice");
            }
        }

        Assert.Equal(ops.Length, done.Count);
        Assert.Equal(0, qp.Outstanding);
        for (int i = 0; i < ops.Length; i++)
        {
            Assert.Equal(Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, region.GetSpan(i * 65536L, 65536)), done[(ulong)i].Value);
        }
    }

    [Fact]
    public void DisposingAQueuePairWithOperationsInFlightLeavesTheirBuffersAloneAndTheEngineServing()
    {
        using var engine = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 1 });
        using DmaRegion region = EngineHarness.Region(6);
        OffloadKey key = engine.LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(6));
        IOffloadQueuePair qp = engine.CreateQueuePair(64);
        Assert.Equal(64, qp.Submit(HeavyWrites(region, key)));
        qp.Dispose();
        AssertUntouchedAfterwards(region);

        // The engine serves the next queue pair, with the same worker.
        using IOffloadQueuePair next = engine.CreateQueuePair(4);
        Assert.Equal(
            Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, region.GetSpan(0, 4096)),
            EngineHarness.Run(next, [OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(region, 0, 4096), 9)])[9].Value);
    }

    [Fact]
    public void DisposingTheEngineWithOperationsInFlightJoinsTheWorkersAndDropsTheRest()
    {
        var engine = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 2 });
        using DmaRegion region = EngineHarness.Region(7);
        OffloadKey key = engine.LoadKey(OffloadKeyKind.AesXts256, EngineHarness.Key(7));
        IOffloadQueuePair qp = engine.CreateQueuePair(64);
        Assert.Equal(64, qp.Submit(HeavyWrites(region, key)));
        IReadOnlyList<Thread> threads = engine.Workers!.Threads;
        engine.Dispose();
        Assert.All(threads, t => Assert.False(t.IsAlive));
        AssertUntouchedAfterwards(region);
        Assert.Throws<ObjectDisposedException>(() => qp.Submit([]));
        Assert.Throws<ObjectDisposedException>(() => qp.Poll(new OffloadCompletion[1]));
        qp.Dispose(); // returns although its operations never ran
    }

    [Fact]
    public void IdleWorkersParkAndTheNextSubmitWakesThem()
    {
        using var engine = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 2 });
        using DmaRegion region = EngineHarness.Region(8);
        using IOffloadQueuePair qp = engine.CreateQueuePair(4);
        var op = OffloadOp.Crc(OffloadOpKind.Crc64Nvme, new DmaSlice(region, 0, 4096), 1);
        ulong crc = Crc64.HashToUInt64(Crc64ParameterSet.Nvme, region.GetSpan(0, 4096));
        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(crc, EngineHarness.Run(qp, [op])[1].Value);
            var clock = Stopwatch.StartNew();
            while (engine.Workers!.Parked < 2 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }

            Assert.Equal(2, engine.Workers!.Parked);
            while (!engine.Workers!.Threads.All(Blocked) && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }

            Assert.All(engine.Workers!.Threads, t => Assert.True(Blocked(t), $"{t.Name} is {t.ThreadState}"));
            Thread.Sleep(50);
            Assert.Equal(2, engine.Workers!.Parked); // parked for good: only a Submit wakes them
        }

        static bool Blocked(Thread t) => (t.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0;
    }

    [Fact]
    public void WorkerThreadsAreBoundedAndNamedInTheDescription()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 65 }));
        using (var one = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = 1 }))
        {
            Assert.StartsWith("software engine (1 worker thread) with ", one.Capabilities.Description, StringComparison.Ordinal);
        }

        OffloadEngineSelection selection = OffloadEngines.Open(new OffloadEngineOptions
        {
            SoftwareWorkerThreads = 3,
            SysfsRoot = Path.Combine(Path.GetTempPath(), "rn-swworkers-no-sysfs"),
        });
        using IOffloadEngine engine = selection.Engine;
        SoftwareEngine software = Assert.IsType<SoftwareEngine>(engine);
        Assert.Equal(3, software.WorkerThreads);
        Assert.Contains("; software engine (3 worker threads) with ", selection.Reason, StringComparison.Ordinal);
        Assert.Equal(0, new SoftwareEngine().WorkerThreads);
    }

    /// <summary>A region with the thread's own random bytes and, in its first slots, text LZ4 compresses.</summary>
    private static DmaRegion Prepare(int thread)
    {
        DmaRegion region = EngineHarness.Region(100 + thread);
        for (int i = 0; i < OpsPerThread; i += 2)
        {
            SoftwareEngineTests.Lz4Corpus(4096 + i).AsSpan(0, 4096).CopyTo(region.GetSpan(i * (long)Slot, 4096));
        }

        return region;
    }

    /// <summary>Every kind and every chain over the region (each operation its own buffers, as workers run them at once), then a read chain of each write chain.</summary>
    private static (Dictionary<ulong, OffloadCompletion> Write, Dictionary<ulong, OffloadCompletion> Read) RunBoth(IOffloadQueuePair qp, DmaRegion region, (OffloadKey Xts, OffloadKey Gcm, OffloadKey Gone) keys)
    {
        var ops = new OffloadOp[OpsPerThread];
        var tags = new ProtectionInformationTags(0, 0, 0x5A5A);
        for (int i = 0; i < ops.Length; i++)
        {
            var src = new DmaSlice(region, i * (long)Slot, 4096);
            var dst = new DmaSlice(region, OutAt + (i * (long)Slot), Lz4Block.MaxCompressedLength(4096) + 16);
            var md = new DmaSlice(region, MetadataAt + (i * 64L), 16);
            var aux = new DmaSlice(region, AuxAt + (i * 64L), 20);
            ulong lba = (ulong)i * 8;
            ops[i] = (i % 12) switch
            {
                0 => OffloadOp.Crc(OffloadOpKind.Crc32C, src, (ulong)i),
                1 => OffloadOp.Crc(OffloadOpKind.Crc64Nvme, src, (ulong)i),
                2 => OffloadOp.Crc(OffloadOpKind.Crc16T10Dif, src, (ulong)i),
                3 => OffloadOp.Lz4(OffloadOpKind.Lz4Compress, src, dst, (ulong)i),
                4 => OffloadOp.Xts(OffloadOpKind.XtsEncrypt, keys.Xts, src, dst.Slice(0, 4096), lba, 512, (ulong)i),
                5 => OffloadOp.Gcm(OffloadOpKind.GcmSeal, keys.Gcm, src, dst.Slice(0, 4096), md, aux, (ulong)i),
                6 => OffloadOp.ProtectionInformation(OffloadOpKind.PiGenerate, src, md, Pi4K, tags with { FirstLba = lba }, default, (ulong)i),
                7 => OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, src, dst.Slice(0, 4096), (ulong)i),
                8 => OffloadOp.Xts(OffloadOpKind.XtsEncrypt, keys.Gone, src, dst.Slice(0, 4096), lba, 512, (ulong)i),
                _ => OffloadOp.Write(Chains[i % Chains.Length], keys.Xts, src, md, dst, lba, Pi4K, tags, (ulong)i),
            };
        }

        Dictionary<ulong, OffloadCompletion> written = EngineHarness.Run(qp, ops);
        var reads = new List<OffloadOp>();
        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i].Kind == OffloadOpKind.WriteChain && written[(ulong)i].IsSuccess)
            {
                OffloadChainSteps steps = ops[i].Steps;
                int packed = (steps & OffloadChainSteps.Compression) != 0 ? (int)written[(ulong)i].Value : 0;
                var back = new DmaSlice(region, BackAt + (i * (long)Slot), 4096);
                reads.Add(OffloadOp.Read(steps, keys.Xts, ops[i].Destination.Slice(0, written[(ulong)i].BytesProduced), packed, back, ops[i].Metadata, ops[i].Lba, Pi4K, new ProtectionInformationTags(0, 0, 0x5A5A), ProtectionInformationChecks.All, (ulong)i));
            }
        }

        Assert.NotEmpty(reads);
        return (written, EngineHarness.Run(qp, reads.ToArray()));
    }

    /// <summary>64 write chains of 64 KiB each (compress and encrypt: the sources stay as they are), far more work than one Dispose waits for.</summary>
    private static OffloadOp[] HeavyWrites(DmaRegion region, OffloadKey key)
    {
        var format = new ProtectionInformationFormat(4096, 16, ProtectionInformationGuard.Crc64, ProtectionInformationType.Type1);
        var ops = new OffloadOp[64];
        for (int i = 0; i < ops.Length; i++)
        {
            var src = new DmaSlice(region, (i % 16) * 65536L, 65536);
            var dst = new DmaSlice(region, (1 << 20) + (i * 40000L), 40000);
            ops[i] = OffloadOp.Write(OffloadChainSteps.Compression | OffloadChainSteps.Encryption, key, src, default, dst, (ulong)i, format, default, (ulong)i);
        }

        return ops;
    }

    /// <summary>Nothing writes the region any more once Dispose has returned.</summary>
    private static void AssertUntouchedAfterwards(DmaRegion region)
    {
        byte[] snapshot = region.GetSpan(0, EngineHarness.RegionSize).ToArray();
        Thread.Sleep(100);
        Assert.True(region.GetSpan(0, EngineHarness.RegionSize).SequenceEqual(snapshot), "a buffer changed after Dispose returned");
    }
}

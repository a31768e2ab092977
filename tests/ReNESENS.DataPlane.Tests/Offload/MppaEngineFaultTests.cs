using System.Diagnostics.Metrics;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>
/// Each fault the emulated device can inject ends in a software failover (or a clear status), with
/// exact counts: every operation completes once, with the right result, and the counters add up.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class MppaEngineFaultTests
{
    private const int OpSize = 4096;

    [Fact]
    public void LostCompletionsTimeOutResetTheDeviceAndFailOver()
    {
        using MppaEngine engine = EngineHarness.OpenEmulated("workers=2;fault=lose:1/10", TimeSpan.FromSeconds(1));
        Check(engine, count: 100);
        Assert.Equal(100, engine.Counters.Submitted);
        Assert.Equal(90, engine.Counters.DeviceCompleted);
        Assert.Equal(10, engine.Counters.FailedOver);
        Assert.True(engine.Counters.Resets >= 1);
    }

    [Fact]
    public void CorruptStatusesFailOverOneByOne()
    {
        var factory = new ListLoggerFactory();
        using MppaEngine engine = Open("workers=1;fault=corrupt-status:1/25", factory);
        Check(engine, count: 100);
        Assert.Equal(96, engine.Counters.DeviceCompleted);
        Assert.Equal(4, engine.Counters.FailedOver);
        Assert.Equal(0, engine.Counters.Resets);
        Assert.Equal(4, factory.Lines.Count(l => l.Contains("failed over to software (device status 1515870810 for Crc32C)", StringComparison.Ordinal)));
    }

    [Fact]
    public void ADeviceResetMidBatchFailsOverTheRest()
    {
        var factory = new ListLoggerFactory();
        using MppaEngine engine = Open("workers=2;fault=reset-after:37", factory);
        using IOffloadQueuePair qp = engine.CreateQueuePair(128);
        using DmaRegion region = EngineHarness.Region(9);
        OffloadOp[] ops = Crcs(region, 100);

        // 36 complete; the device resets on reaching the 37th descriptor, dropping the whole batch of
        // 32 it heads (the engine submits 32 descriptors at a time); the next 32 run on the device again.
        Verify(region, ops, EngineHarness.Run(qp, ops.AsSpan(0, 36)));
        Verify(region, ops, EngineHarness.Run(qp, ops.AsSpan(36, 32)));
        Verify(region, ops, EngineHarness.Run(qp, ops.AsSpan(68)));
        Assert.Equal(100, engine.Counters.Submitted);
        Assert.Equal(68, engine.Counters.DeviceCompleted);
        Assert.Equal(32, engine.Counters.FailedOver);
        Assert.Equal(1, engine.Counters.Resets);
        Assert.Contains(factory.Lines, l => l.Contains("32 operation(s) failed over to software (device reset)", StringComparison.Ordinal));
    }

    [Fact]
    public void SlowCompletionsPastTheTimeoutFailOverAndLateOnesAreDropped()
    {
        var factory = new ListLoggerFactory();
        using MppaEngine engine = Open("workers=1;fault=slow:200ms", factory, TimeSpan.FromMilliseconds(20));
        Check(engine, count: 20);
        Assert.Equal(20, engine.Counters.Submitted);
        Assert.Equal(0, engine.Counters.DeviceCompleted);
        Assert.Equal(20, engine.Counters.FailedOver);
        Assert.Contains(factory.Lines, l => l.Contains("is overdue", StringComparison.Ordinal));
    }

    [Fact]
    public void SlowCompletionsWithinTheTimeoutStayOnTheDevice()
    {
        using MppaEngine engine = EngineHarness.OpenEmulated("workers=2;fault=slow:5ms", TimeSpan.FromSeconds(5));
        Check(engine, count: 50);
        Assert.Equal(50, engine.Counters.DeviceCompleted);
        Assert.Equal(0, engine.Counters.FailedOver);
    }

    [Fact]
    public void AFullDeviceQueueIsBackpressure()
    {
        using MppaEngine engine = EngineHarness.OpenEmulated("workers=1;fault=slow:50ms");
        using IOffloadQueuePair qp = engine.CreateQueuePair(8);
        using DmaRegion region = EngineHarness.Region(2);
        OffloadOp[] ops = Crcs(region, 20);
        Assert.Equal(8, qp.Submit(ops));
        Assert.Equal(8, qp.Outstanding);
        Assert.Equal(0, qp.Submit(ops.AsSpan(8)));
        Verify(region, ops, Drain(qp, 8));
        Verify(region, ops, EngineHarness.Run(qp, ops.AsSpan(8)));
        Assert.Equal(20, engine.Counters.DeviceCompleted);
    }

    [Fact]
    public void FailoversAreCountedOnTheMeterAsEmulated()
    {
        var seen = new List<(string Instrument, long Value, string? Engine, string? Reason)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "ReNESENS.DataPlane.Offload" && instrument.Name.StartsWith("renesens.offload.device.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "renesens.offload.failover_reason")
                {
                    reason = (string?)tag.Value;
                }
            }

            string? engine = instrument.Meter.Tags?.FirstOrDefault(t => t.Key == "renesens.offload.engine").Value as string;
            lock (seen)
            {
                seen.Add((instrument.Name, value, engine, reason));
            }
        });
        listener.Start();
        using MppaEngine engine = EngineHarness.OpenEmulated("workers=1;fault=corrupt-status:1/10");
        Check(engine, count: 30);
        lock (seen)
        {
            Assert.Equal(3, seen.Where(s => s.Instrument == "renesens.offload.device.failovers" && s.Reason == "device-error" && s.Engine == "mppa-emulated").Sum(s => s.Value));
            Assert.Equal(27, seen.Where(s => s.Instrument == "renesens.offload.device.completed" && s.Engine == "mppa-emulated").Sum(s => s.Value));
        }
    }

    [Fact]
    public void ALyingDeviceCannotCompleteAnOperationTwiceOrInventOne()
    {
        // The liar answers each descriptor with a device error, then a duplicate "success", then a
        // completion for a cookie nobody submitted: the first fails the op over, the others are stale.
        OffloadEngineSelection selection = OffloadEngines.Open(new OffloadEngineOptions { DeviceRuntime = Interop.TestRuntimes.Liar });
        using MppaEngine engine = Assert.IsType<MppaEngine>(selection.Engine);
        Assert.True(engine.Capabilities.IsHardware); // it does not say it is emulated; the engine cannot know better
        using IOffloadQueuePair qp = engine.CreateQueuePair(64);
        using DmaRegion region = EngineHarness.Region(4);
        OffloadOp[] ops = Crcs(region, 50);
        Verify(region, ops, EngineHarness.Run(qp, ops));
        Assert.Equal(50, engine.Counters.Submitted);
        Assert.Equal(0, engine.Counters.DeviceCompleted);
        Assert.Equal(50, engine.Counters.FailedOver);
        Assert.Equal(100, engine.Counters.Stale);
    }

    [Fact]
    public void GcmRunsInSoftwareOnADeviceWithoutIt()
    {
        // The liar's op mask has no GCM bits: the engine still serves GCM, in software, and says so in its counters.
        OffloadEngineSelection selection = OffloadEngines.Open(new OffloadEngineOptions { DeviceRuntime = Interop.TestRuntimes.Liar });
        using MppaEngine engine = Assert.IsType<MppaEngine>(selection.Engine);
        Assert.False(engine.DeviceHasGcm);
        Assert.True(engine.Capabilities.Supports(OffloadOpKind.GcmSeal));
        var c = Kernels.GcmVectors.Cases[3];
        OffloadKey key = engine.LoadKey(OffloadKeyKind.AesGcm256, Convert.FromHexString(c.Key));
        using IOffloadQueuePair qp = engine.CreateQueuePair(4);
        using DmaRegion region = EngineHarness.Region(1);
        byte[] plain = Convert.FromHexString(c.Plaintext);
        byte[] aux = Convert.FromHexString(c.Nonce + c.Aad);
        plain.CopyTo(region.GetSpan(0, plain.Length));
        aux.CopyTo(region.GetSpan(8192, aux.Length));
        Dictionary<ulong, OffloadCompletion> done = EngineHarness.Run(qp,
            [OffloadOp.Gcm(OffloadOpKind.GcmSeal, key, new DmaSlice(region, 0, plain.Length), new DmaSlice(region, 4096, plain.Length), new DmaSlice(region, 12288, 16), new DmaSlice(region, 8192, aux.Length), 1)]);
        Assert.Equal(OffloadStatus.Success, done[1].Status);
        Assert.Equal(c.Ciphertext, Convert.ToHexStringLower(region.GetSpan(4096, plain.Length)));
        Assert.Equal(c.Tag, Convert.ToHexStringLower(region.GetSpan(12288, 16)));
        Assert.Equal(1, engine.Counters.Routed);
        Assert.Equal(0, engine.Counters.Submitted);
    }

    private static MppaEngine Open(string config, ListLoggerFactory factory, TimeSpan? timeout = null)
    {
        OffloadEngineSelection selection = OffloadEngines.Open(new OffloadEngineOptions
        {
            DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime,
            DeviceConfig = config,
            DeviceTimeout = timeout ?? TimeSpan.FromSeconds(5),
            LoggerFactory = factory,
        });
        Assert.Contains(factory.Lines, l => l.StartsWith("Information: Offload engine: MPPA engine on emulated device", StringComparison.Ordinal));
        return Assert.IsType<MppaEngine>(selection.Engine);
    }

    /// <summary>Runs <paramref name="count"/> CRC32C operations and checks each result against our kernel.</summary>
    private static void Check(MppaEngine engine, int count)
    {
        using IOffloadQueuePair qp = engine.CreateQueuePair(128);
        using DmaRegion region = EngineHarness.Region(count);
        OffloadOp[] ops = Crcs(region, count);
        Verify(region, ops, EngineHarness.Run(qp, ops));
        Assert.Equal(count, engine.Counters.DeviceCompleted + engine.Counters.FailedOver);
    }

    private static OffloadOp[] Crcs(DmaRegion region, int count)
    {
        var ops = new OffloadOp[count];
        for (int i = 0; i < count; i++)
        {
            ops[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(region, (long)i * OpSize, OpSize), (ulong)i);
        }

        return ops;
    }

    private static void Verify(DmaRegion region, OffloadOp[] ops, Dictionary<ulong, OffloadCompletion> done)
    {
        foreach ((ulong tag, OffloadCompletion c) in done)
        {
            Assert.Equal(OffloadStatus.Success, c.Status);
            Assert.Equal(Crc32C.Compute(region.GetSpan((long)tag * OpSize, OpSize)), c.Value);
            Assert.Equal(ops[tag].Kind, c.Kind);
        }
    }

    private static Dictionary<ulong, OffloadCompletion> Drain(IOffloadQueuePair qp, int expected)
    {
        var done = new Dictionary<ulong, OffloadCompletion>();
        var buffer = new OffloadCompletion[16];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (done.Count < expected && clock.ElapsedMilliseconds < 10_000)
        {
            int n = qp.Poll(buffer);
            for (int i = 0; i < n; i++)
            {
                Assert.True(done.TryAdd(buffer[i].UserData, buffer[i]));
            }
        }

        Assert.Equal(expected, done.Count);
        return done;
    }
}

using System.Diagnostics;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Interop;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>Opens engines for the offload tests and runs batches on them to completion.</summary>
internal static class EngineHarness
{
    internal const int RegionSize = 4 << 20;

    /// <summary>The MPPA engine over the emulated device, chosen the only way it can be: by configuration.</summary>
    internal static MppaEngine OpenEmulated(string config = "workers=2", TimeSpan? timeout = null)
    {
        OffloadEngineSelection selection = OffloadEngines.Open(new OffloadEngineOptions
        {
            DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime,
            DeviceConfig = config,
            DeviceTimeout = timeout ?? TimeSpan.FromSeconds(5),
            SysfsRoot = Path.Combine(Path.GetTempPath(), "rn-dpu-no-sysfs"),
        });
        Assert.Equal(OffloadEngineKind.Mppa, selection.Kind);
        return Assert.IsType<MppaEngine>(selection.Engine);
    }

    internal static DmaRegion Region(int seed)
    {
        var region = DmaRegion.Create(RegionSize, PageKind.Small, lockMemory: false);
        new Random(seed).NextBytes(region.GetSpan(0, RegionSize));
        return region;
    }

    internal static byte[] Key(int seed)
    {
        byte[] key = new byte[64];
        new Random(seed).NextBytes(key);
        key[32] ^= 0x80; // the halves differ even by chance
        return key;
    }

    /// <summary>Polls until exactly <paramref name="count"/> completions have come back (a worker engine completes later than Submit).</summary>
    internal static OffloadCompletion[] PollExactly(IOffloadQueuePair qp, int count)
    {
        var done = new OffloadCompletion[count];
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (n < count && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            int got = qp.Poll(done.AsSpan(n));
            n += got;
            if (got == 0)
            {
                Thread.Yield();
            }
        }

        Assert.Equal(count, n);
        return done;
    }

    /// <summary>Submits every operation (respecting backpressure) and polls until each has completed exactly once.</summary>
    internal static Dictionary<ulong, OffloadCompletion> Run(IOffloadQueuePair qp, ReadOnlySpan<OffloadOp> ops)
    {
        var done = new Dictionary<ulong, OffloadCompletion>();
        var buffer = new OffloadCompletion[64];
        int submitted = 0;
        var clock = Stopwatch.StartNew();
        while ((submitted < ops.Length || done.Count < ops.Length) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (submitted < ops.Length)
            {
                submitted += qp.Submit(ops[submitted..]);
            }

            int n = qp.Poll(buffer);
            for (int i = 0; i < n; i++)
            {
                Assert.True(done.TryAdd(buffer[i].UserData, buffer[i]), $"operation {buffer[i].UserData} completed twice");
            }

            if (n == 0)
            {
                Thread.Yield();
            }
        }

        Assert.Equal(ops.Length, done.Count);
        Assert.Equal(0, qp.Outstanding);
        return done;
    }
}

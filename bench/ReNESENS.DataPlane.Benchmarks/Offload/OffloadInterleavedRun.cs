using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.Benchmarks.Kernels;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// A paired, interleaved run for noisy machines (<c>-- offload-interleaved [rounds]</c>): each round
/// times the anchor and ours back to back (the same <see cref="ProtectionInformationBenchmarks"/>
/// and <see cref="OffloadEngineBenchmarks"/> methods), so outside load hits both alike. Reported:
/// the median time per operation of each side and the median of the per-round time ratios
/// (ours / anchor: below 1.0 = we are faster).
/// </summary>
internal static class OffloadInterleavedRun
{
    /// <summary>Untimed rounds first, so both sides run tier-1 code.</summary>
    private const int Warmup = 10;

    /// <summary>Target length of one timed call.</summary>
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(4);

    public static void Run(int rounds)
    {
        Console.WriteLine($"interleaved offload run, {rounds} rounds (+{Warmup} warmup), ~{Slice.TotalMilliseconds} ms per timed call; ns per operation, median (min)");
        Console.WriteLine("| what | anchor | anchor ns/op | ours ns/op | ours/anchor time (median of per-round ratios) | min..max ratio |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (int blockSize in new[] { 512, 4096 })
        {
            foreach (ProtectionInformationGuard guard in Enum.GetValues<ProtectionInformationGuard>())
            {
                var pi = new ProtectionInformationBenchmarks { BlockSize = blockSize, Guard = guard };
                pi.Setup();
                string run = $"{guard} guard, 64 KiB run of {blockSize} B blocks";
                Report($"PI generate, {run}", "ISA-L CRC per block", rounds, 1, () => (long)pi.IsalGuards(), () => { pi.Generate(); return 0; });
                Report($"PI verify, {run}", "ISA-L CRC per block", rounds, 1, () => (long)pi.IsalGuards(), () => pi.Verify() ? 1 : 0);
                pi.Cleanup();
            }
        }

        var engine = new OffloadEngineBenchmarks();
        engine.Setup();
        Report("CRC32C 4 KiB, engine 1 op per submit+poll", "Crc32C.Compute direct", rounds, 1, () => engine.Crc32CDirect(), () => (long)engine.Crc32CEngineOne());
        Report("CRC32C 4 KiB, engine batch of 32", "Crc32C.Compute direct", rounds, 1, 32, () => engine.Crc32CDirect(), () => (long)engine.Crc32CEngineBatch());
        Report("write chain 4 KiB (PI, LZ4, XTS), engine batch of 64", "the kernels called directly", rounds, 64, () => engine.WriteDirect(), () => engine.WriteEngine());
        Report("read chain 4 KiB (XTS, LZ4, PI), engine batch of 64", "the kernels called directly", rounds, 64, () => engine.ReadDirect() ? 1 : 0, () => (long)engine.ReadEngine());
        engine.Dispose();
    }

    private static void Report(string what, string anchorName, int rounds, int operations, Func<long> anchor, Func<long> ours) =>
        Report(what, anchorName, rounds, operations, operations, anchor, ours);

    /// <summary>Times both sides; <paramref name="anchorOps"/> and <paramref name="oursOps"/> are the operations one call of each does.</summary>
    private static void Report(string what, string anchorName, int rounds, int anchorOps, int oursOps, Func<long> anchor, Func<long> ours)
    {
        int calls = Calibrate(anchor);
        int oursCalls = Math.Max(1, calls * anchorOps / oursOps);
        var a = new List<double>();
        var b = new List<double>();
        var ratios = new List<double>();
        for (int round = 0; round < rounds + Warmup; round++)
        {
            double x = NanosecondsPerCall(anchor, calls) / anchorOps;
            double y = NanosecondsPerCall(ours, oursCalls) / oursOps;
            if (round >= Warmup)
            {
                a.Add(x);
                b.Add(y);
                ratios.Add(y / x);
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {what} | {anchorName} | {Median(a):F0} ({a.Min():F0}) | {Median(b):F0} ({b.Min():F0}) | {Median(ratios):F2} | {ratios.Min():F2}..{ratios.Max():F2} |"));
    }

    /// <summary>
    /// Calls per timed call: doubled until one batch takes <see cref="Slice"/>; the largest of three
    /// tries, so one preempted call cannot leave the batch at a single call (timer-tick resolution).
    /// </summary>
    private static int Calibrate(Func<long> call) => Math.Max(CalibrateOnce(call), Math.Max(CalibrateOnce(call), CalibrateOnce(call)));

    private static int CalibrateOnce(Func<long> call)
    {
        int calls = 1;
        while (calls < (1 << 24))
        {
            long start = Stopwatch.GetTimestamp();
            long check = 0;
            for (int i = 0; i < calls; i++)
            {
                check += call();
            }

            GC.KeepAlive(check);
            if (Stopwatch.GetElapsedTime(start) >= Slice)
            {
                return calls;
            }

            calls *= 2;
        }

        return calls;
    }

    private static double NanosecondsPerCall(Func<long> call, int calls)
    {
        long check = 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            check += call();
        }

        double ns = (Stopwatch.GetTimestamp() - start) * 1e9 / Stopwatch.Frequency;
        GC.KeepAlive(check);
        return ns / calls;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// A paired, interleaved LZ4 run for noisy machines (<c>-- lz4-interleaved [rounds]</c>): each
/// round times liblz4, ours and K4os back to back on the same corpus and chunk length (the same
/// <see cref="Lz4Benchmarks"/> methods), so outside load hits all alike; the ratios reported are
/// the medians of the per-round throughput ratios (x / liblz4: above 1.0 = faster than liblz4)
/// and, for a machine whose load comes and goes, the ratio of each side's best round.
/// </summary>
internal static class Lz4InterleavedRun
{
    /// <summary>Whole-corpus passes per timed call (about 2-10 ms per call: short, so that some rounds fall between bursts of outside load).</summary>
    private const int Passes = 10;

    /// <summary>Untimed rounds first, so both sides run tier-1 code (the JIT needs ~30 calls plus a background recompile).</summary>
    private const int Warmup = 10;

    public static void Run(int rounds)
    {
        Console.WriteLine($"interleaved LZ4 run, {rounds} rounds (+{Warmup} warmup, tiered JIT settles), {Lz4Corpus.Length} B corpus x {Passes} per timed call; MB/s median (max)");
        Console.WriteLine("| op | chunk | liblz4 MB/s | ours MB/s | K4os MB/s | ours/liblz4 (median of per-round ratios) | min..max | best/best | K4os/liblz4 (median) | best/best |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int chunk in Lz4Corpus.ChunkSizes)
        {
            var bench = new Lz4Benchmarks { Chunk = chunk };
            bench.Setup();
            Report("compress", chunk, rounds, () => bench.CompressLiblz4(), () => bench.CompressOurs(), () => bench.CompressK4os());
            Report("decompress", chunk, rounds, () => bench.DecompressLiblz4(), () => bench.DecompressOurs(), () => bench.DecompressK4os());
        }
    }

    private static void Report(string op, int chunk, int rounds, Func<long> liblz4, Func<long> ours, Func<long> k4os)
    {
        var a = new List<double>();
        var b = new List<double>();
        var c = new List<double>();
        var ratios = new List<double>();
        var k4osRatios = new List<double>();
        for (int round = 0; round < rounds + Warmup; round++)
        {
            double x = MegabytesPerSecond(liblz4);
            double y = MegabytesPerSecond(ours);
            double z = MegabytesPerSecond(k4os);
            if (round >= Warmup)
            {
                a.Add(x);
                b.Add(y);
                c.Add(z);
                ratios.Add(y / x);
                k4osRatios.Add(z / x);
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {op} | {chunk} | {Median(a):F0} ({a.Max():F0}) | {Median(b):F0} ({b.Max():F0}) | {Median(c):F0} ({c.Max():F0}) | {Median(ratios):F2} | {ratios.Min():F2}..{ratios.Max():F2} | {b.Max() / a.Max():F2} | {Median(k4osRatios):F2} | {c.Max() / a.Max():F2} |"));
    }

    private static double MegabytesPerSecond(Func<long> pass)
    {
        long check = 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Passes; i++)
        {
            check += pass();
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        GC.KeepAlive(check);
        return (double)Lz4Corpus.Length * Passes / seconds / 1e6;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}

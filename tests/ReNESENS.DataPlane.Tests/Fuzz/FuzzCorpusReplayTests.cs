using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Fuzz.Targets;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Fuzz;

/// <summary>
/// Replays every saved input of every fuzz target: the seed and AFL-grown corpus (inputs that
/// reach new code) and the crashes AFL found (each a bug that must stay fixed). A target throws
/// only for a real bug; a read or write past a guarded region ends the test process.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fuzz");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string folder in new[] { "corpus", "crashes" })
        {
            foreach (string target in FuzzTargets.All.Keys.Order(StringComparer.Ordinal))
            {
                string dir = Path.Combine(Root, folder, target);
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                foreach (string file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                {
                    data.Add(target, Path.GetRelativePath(Root, file));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void SavedInputRunsClean(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Root, file));
        FuzzTargets.All[target](input);
    }

    [Fact]
    public void EveryTargetHasACorpus()
    {
        foreach (string target in FuzzTargets.All.Keys)
        {
            string dir = Path.Combine(Root, "corpus", target);
            Assert.True(Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any(), $"no corpus for fuzz target {target} in {dir}");
        }
    }

    [Fact]
    public unsafe void TheGuardPageIsInaccessible()
    {
        // The targets rely on it to turn a stray read or write into a crash. Checked through the
        // kernel's view of the mapping, since touching it would end this process.
        using DmaRegion region = GuardedRegion.Create(4096);
        Assert.Equal(4096 + GuardedRegion.GuardSize, region.Length);
        region.GetSpan(0, 4096).Fill(1);
        ulong guard = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetReference(region.GetSpan(4096, GuardedRegion.GuardSize)));
        string? line = File.ReadLines("/proc/self/maps")
            .FirstOrDefault(l => Convert.ToUInt64(l[..l.IndexOf('-', StringComparison.Ordinal)], 16) == guard);
        Assert.NotNull(line);
        Assert.StartsWith("---", line.Split(' ')[1], StringComparison.Ordinal);
    }
}

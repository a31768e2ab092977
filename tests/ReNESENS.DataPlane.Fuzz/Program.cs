using ReNESENS.DataPlane.Fuzz.Seeds;
using ReNESENS.DataPlane.Fuzz.Targets;
using SharpFuzz;

// The SharpFuzz harness. Usage:
//   ReNESENS.DataPlane.Fuzz TARGET                  run under afl-fuzz (see fuzz.sh)
//   ReNESENS.DataPlane.Fuzz run TARGET FILE...      run saved inputs once, print what each does
//   ReNESENS.DataPlane.Fuzz seed TARGET DIR         write the target's seed corpus
if (args.Length == 1 && FuzzTargets.All.TryGetValue(args[0], out FuzzTarget? target))
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}

if (args.Length >= 3 && args[0] == "run" && FuzzTargets.All.TryGetValue(args[1], out target))
{
    // After fuzz.sh the library dll here is instrumented: its probes write to the AFL bitmap,
    // which only the fork server sets up. Give them a scratch one so triage runs too.
    unsafe
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }

    int failures = 0;
    foreach (string file in args[2..])
    {
        try
        {
            target(File.ReadAllBytes(file));
            Console.WriteLine($"ok    {file}");
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"FAIL  {file}: {e}");
        }
    }

    return failures == 0 ? 0 : 1;
}

// Seed generators by target; a target without one starts from hand-made files.
var seeds = new Dictionary<string, Func<IEnumerable<(string Name, byte[] Data)>>>(StringComparer.Ordinal)
{
    ["bytering"] = ByteRingSeeds.Create,
    ["lz4block"] = Lz4BlockSeeds.Create,
    ["lz4frame"] = Lz4FrameSeeds.Create,
    ["offloadread"] = OffloadReadSeeds.Create,
    ["virtio-offload"] = VirtioOffloadSeeds.Create,
    ["vhostmsg"] = VirtioSeeds.Messages,
    ["vringchain"] = VirtioSeeds.Chains,
    ["nvmetcp"] = NvmeTcpSeeds.Create,
    ["vhostsettings"] = VhostUserSettingsSeeds.Create,
    ["mppacompletion"] = MppaCompletionSeeds.Create,
    ["nvmeconfig"] = NvmeConfigSeeds.Create,
};

if (args.Length == 3 && args[0] == "seed" && seeds.TryGetValue(args[1], out var createSeeds))
{
    Directory.CreateDirectory(args[2]);
    foreach ((string name, byte[] data) in createSeeds())
    {
        File.WriteAllBytes(Path.Combine(args[2], name), data);
    }

    return 0;
}

Console.Error.WriteLine($"usage: ReNESENS.DataPlane.Fuzz TARGET | run TARGET FILE... | seed TARGET DIR; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
return 2;

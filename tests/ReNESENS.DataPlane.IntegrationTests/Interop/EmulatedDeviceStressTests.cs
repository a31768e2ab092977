namespace ReNESENS.DataPlane.IntegrationTests.Interop;

/// <summary>
/// The emulated device's lock-free rings under stress (Interop/emudpu_stress.c: two host threads, four
/// workers, random batches and poll sizes, device resets from one host while the other keeps going),
/// built from the emulator's own sources twice: optimised as shipped, and with ThreadSanitizer, which
/// fails the run on any data race. Both must end with every descriptor completed once (with its right
/// CRC) or dropped by a reset it was told of.
/// </summary>
public sealed class EmulatedDeviceStressTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rn-emudpu-stress-").FullName;

    public static TheoryData<string, string[], int> Builds() => new()
    {
        { "optimised", ["-O2"], 200_000 },
        { "thread-sanitizer", ["-O1", "-g", "-fsanitize=thread"], 50_000 },
    };

    [Theory]
    [MemberData(nameof(Builds))]
    public async Task EveryDescriptorCompletesOnceOrIsDroppedByAReset(string build, string[] flags, int ops)
    {
        string native = Path.Combine(RepositoryPaths.Root, "src/ReNESENS.Native");
        string exe = Path.Combine(_dir, $"emudpu_stress-{build}");
        var args = new List<string> { "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-I", Path.Combine(native, "include"), "-I", Path.Combine(native, "emudpu") };
        args.AddRange(flags);
        args.AddRange(Directory.GetFiles(Path.Combine(native, "emudpu"), "*.c").Order(StringComparer.Ordinal));
        args.AddRange([Path.Combine(RepositoryPaths.Root, "tests/ReNESENS.DataPlane.IntegrationTests/Interop/emudpu_stress.c"), "-o", exe, "-lcrypto", "-lisal", "-llz4", "-lpthread"]);
        ProcessRunner.Result compiled = await ProcessRunner.RunAsync("gcc", args, timeout: TimeSpan.FromMinutes(2));
        Assert.True(compiled.ExitCode == 0, compiled.Output);

        ProcessRunner.Result run = await ProcessRunner.RunAsync("env",
            ["TSAN_OPTIONS=halt_on_error=1 exitcode=66", exe, ops.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("ThreadSanitizer", run.Output, StringComparison.Ordinal);
        Assert.Contains("host 2:", run.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

using System.Text.RegularExpressions;

namespace ReNESENS.DataPlane.IntegrationTests.Interop;

/// <summary>
/// The worked example of docs/device-abi.md, compiled with gcc against renesens_dpu.h and run on the
/// emulated device: the page for board vendors can never drift from the header or the runtime.
/// </summary>
public sealed partial class DeviceAbiExampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rn-dpu-example-").FullName;

    [Fact]
    public async Task TheWorkedExampleBuildsRunsAndPrintsWhatTheDocsSay()
    {
        string doc = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs/device-abi.md"));
        Match code = CBlock().Match(doc);
        Assert.True(code.Success, "no ```c block in docs/device-abi.md");
        Match printed = OutputBlock().Match(doc, code.Index + code.Length);
        Assert.True(printed.Success, "no output block after the example");
        string source = Path.Combine(_dir, "example.c");
        await File.WriteAllTextAsync(source, code.Groups[1].Value);
        string native = AppContext.BaseDirectory;
        string exe = Path.Combine(_dir, "example");

        ProcessRunner.Result build = await ProcessRunner.RunAsync("gcc",
        [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", Path.Combine(RepositoryPaths.Root, "src/ReNESENS.Native/include"),
            source, "-o", exe, "-L", native, "-l:librenesens_emudpu.so", $"-Wl,-rpath,{native}",
        ]);
        Assert.True(build.ExitCode == 0, build.Output);

        ProcessRunner.Result run = await ProcessRunner.RunAsync(exe, [], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(printed.Groups[1].Value.Trim().Split('\n'), run.Output.Trim().Split('\n'));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"```c\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CBlock();

    [GeneratedRegex(@"```\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex OutputBlock();
}

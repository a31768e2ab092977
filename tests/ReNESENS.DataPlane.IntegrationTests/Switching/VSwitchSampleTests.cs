using System.Diagnostics;
using System.Text;

namespace ReNESENS.DataPlane.IntegrationTests.Switching;

/// <summary>The sample host as a process: its embedded default (no arguments) proves the path and leaves nothing behind.</summary>
public class VSwitchSampleTests
{
    private static readonly string[] Created = ["rn-vsw-a", "rn-vsw-b"];

    [Fact]
    public async Task TheDefaultStartPingsAcrossAndAStopAfterItsDurationRemovesEverything()
    {
        string dll = await EnsureBuiltAsync();
        ProcessRunner.Result run = await ProcessRunner.RunAsync("dotnet", [dll, "--duration", "4", "--stats-interval", "1"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("3 received, 0% packet loss", run.Output, StringComparison.Ordinal);
        Assert.Contains("rx Gbit/s", run.Output, StringComparison.Ordinal);
        await AssertNothingLeftAsync(run.ToString());
    }

    [Fact]
    public async Task SigtermStopsTheSwitchAndRemovesItsNamespacesAndTaps()
    {
        string dll = await EnsureBuiltAsync();
        var info = new ProcessStartInfo("dotnet", [dll, "--stats-interval", "0"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        var output = new StringBuilder();
        var pinged = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.Contains("0% packet loss", StringComparison.Ordinal) == true)
            {
                pinged.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await pinged.Task.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(Directory.Exists("/run/netns") && File.Exists("/run/netns/rn-vsw-a"));
            await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }

        Assert.True(process.ExitCode == 0, log);
        Assert.Contains("Removed namespace rn-vsw-b", log, StringComparison.Ordinal);
        await AssertNothingLeftAsync(log);
    }

    private static async Task AssertNothingLeftAsync(string context)
    {
        ProcessRunner.Result ns = await ProcessRunner.RunAsync("ip", ["netns", "list"]);
        ProcessRunner.Result links = await ProcessRunner.RunAsync("ip", ["-o", "link", "show"]);
        foreach (string name in Created)
        {
            Assert.False(ns.Output.Contains(name, StringComparison.Ordinal), $"{ns.Output}\n{context}");
            Assert.False(links.Output.Contains(name, StringComparison.Ordinal), $"{links.Output}\n{context}");
        }
    }

    internal static async Task<string> EnsureBuiltAsync()
    {
        string project = Path.Combine(RepositoryPaths.Root, "samples", "ReNESENS.VSwitch");
        string dll = Path.Combine(project, "bin", "Release", "net10.0", "ReNESENS.VSwitch.dll");
        if (!File.Exists(dll))
        {
            ProcessRunner.Result build = await ProcessRunner.RunAsync("dotnet", ["build", project, "-c", "Release"], timeout: TimeSpan.FromMinutes(5));
            Assert.True(build.ExitCode == 0, build.ToString());
        }

        return dll;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.IntegrationTests.Nvme;

/// <summary>The sample appliance as its own process: starts on its embedded default, serves I/O, stops on SIGINT.</summary>
public sealed class NvmeTargetSampleTests
{
    [Fact]
    public async Task Sample_ServesIoAndStopsGracefullyOnSigint()
    {
        string dll = Path.Combine(RepositoryPaths.Root, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var info = new ProcessStartInfo("dotnet", [dll, "--port", "0", "--stats-interval", "0.5"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<IPEndPoint>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("Listening on ", StringComparison.Ordinal))
            {
                listening.TrySetResult(IPEndPoint.Parse(e.Data.Split(' ')[2]));
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
            Task started = await Task.WhenAny(listening.Task, Task.Delay(30_000));
            Assert.True(started == listening.Task, $"the sample did not start listening:\n{output}");
            IPEndPoint endPoint = await listening.Task;

            await using (NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(endPoint, new NvmeTcpInitiatorOptions { SubsystemNqn = "nqn.2026-11.io.renesens:ram0", IoQueueCount = 2 }))
            {
                NvmeNamespaceInfo ns = await host.IdentifyNamespaceAsync(1);
                Assert.Equal(1L << 30, ns.BlockCount * ns.BlockSize);
                byte[] data = new byte[128 * 1024];
                Random.Shared.NextBytes(data);
                for (int i = 0; i < 50; i++)
                {
                    await host.WriteAsync(1, (ulong)i * 256, data);
                }

                byte[] back = new byte[128 * 1024];
                await host.ReadAsync(1, 49 * 256, back);
                Assert.Equal(data, back);
                await Task.Delay(1200);
            }

            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            Task exited = process.WaitForExitAsync();
            bool inTime = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(60))) == exited;
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            Assert.True(inTime, $"the sample did not exit within 60 s of SIGINT:\n{text}");
            process.WaitForExit();
            lock (output)
            {
                text = output.ToString();
            }

            Assert.True(process.ExitCode == 0, text);
            Assert.Contains("Stopped", text, StringComparison.Ordinal);
            Assert.Matches(@"write\s+[1-9]\d*\s+IOPS", text);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Sample_ConfigWithATransformNamespace_ServesIo()
    {
        string dll = Path.Combine(RepositoryPaths.Root, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        byte[] key = new byte[64];
        Random.Shared.NextBytes(key);
        string config = Path.Combine(Path.GetTempPath(), $"rn-nvmexform-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Target": { "address": "127.0.0.1", "port": 0,
              "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:xform0", "namespaces": [
                { "namespaceId": 1, "sizeBytes": 16777216, "blockSize": 4096,
                  "transform": { "key": "{{Convert.ToHexString(key)}}", "storeSizeBytes": 4194304 } } ] } ] } }
            """);
        var info = new ProcessStartInfo("dotnet", [dll, "--config", config, "--stats-interval", "0"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<IPEndPoint>();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("Listening on ", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult(IPEndPoint.Parse(e.Data.Split(' ')[2]));
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
            Task started = await Task.WhenAny(listening.Task, Task.Delay(30_000));
            Assert.True(started == listening.Task, $"the sample did not start listening:\n{output}");
            await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(await listening.Task, new NvmeTcpInitiatorOptions { SubsystemNqn = "nqn.2026-11.io.renesens:xform0" });
            NvmeNamespaceInfo ns = await host.IdentifyNamespaceAsync(1);
            Assert.Equal(4096, ns.BlockSize);

            // 8 MiB of text into a 4 MiB store: it fits only because it is stored compressed.
            byte[] data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compressible text, stored encrypted; ", 8 * 1024 * 1024 / 37 + 1)))[..(8 * 1024 * 1024)];
            for (int i = 0; i < 8; i++)
            {
                await host.WriteAsync(1, (ulong)i * 256, data.AsMemory(i * 1024 * 1024, 1024 * 1024), 4096);
            }

            byte[] back = new byte[1024 * 1024];
            await host.ReadAsync(1, 7 * 256, back, 4096);
            Assert.Equal(data.AsSpan(7 * 1024 * 1024).ToArray(), back);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Sample_TwoListenersAndAFileNamespace_ServesBothAndKeepsTheData()
    {
        string dll = SampleDll();
        string image = Path.Combine("/var/tmp", $"rn-sample-ns-{Guid.NewGuid():N}.img");
        string config = Path.Combine(Path.GetTempPath(), $"rn-nvmesample-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Target": {
                "listeners": [ { "address": "127.0.0.1", "port": 0 }, { "address": "::1", "port": 0 } ],
                "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:file0", "namespaces": [
                  { "namespaceId": 1, "sizeBytes": 8388608, "blockSize": 4096, "filePath": "{{image}}", "directIo": "required" } ] } ] },
              "Statistics": { "intervalSeconds": 0 } }
            """);
        var info = new ProcessStartInfo("dotnet", [dll, "--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        var output = new StringBuilder();
        var endPoints = new List<IPEndPoint>();
        var listening = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
                if (e.Data?.StartsWith("Listening on ", StringComparison.Ordinal) == true)
                {
                    endPoints.Add(IPEndPoint.Parse(e.Data.Split(' ')[2]));
                    if (endPoints.Count == 2)
                    {
                        listening.TrySetResult();
                    }
                }
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
            Assert.True(await Task.WhenAny(listening.Task, Task.Delay(30_000)) == listening.Task, $"the sample did not start two listeners:\n{output}");
            byte[] data = new byte[64 * 1024];
            Random.Shared.NextBytes(data);
            await using (NvmeTcpInitiator v4 = await NvmeTcpInitiator.ConnectAsync(endPoints[0], new NvmeTcpInitiatorOptions { SubsystemNqn = "nqn.2026-11.io.renesens:file0" }))
            {
                await v4.WriteAsync(1, 16, data, 4096, forceUnitAccess: true);
            }

            await using (NvmeTcpInitiator v6 = await NvmeTcpInitiator.ConnectAsync(endPoints[1], new NvmeTcpInitiatorOptions { SubsystemNqn = "nqn.2026-11.io.renesens:file0" }))
            {
                Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, endPoints[1].AddressFamily);
                byte[] back = new byte[data.Length];
                await v6.ReadAsync(1, 16, back, 4096);
                Assert.Equal(data, back);
            }

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            Assert.True(await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(60_000)) != null && process.HasExited, $"no exit after SIGTERM:\n{output}");
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, output.ToString());
            byte[] onDisk = new byte[data.Length];
            using (FileStream stream = File.OpenRead(image))
            {
                stream.Position = 16 * 4096;
                stream.ReadExactly(onDisk);
            }

            Assert.Equal(data, onDisk);
            Assert.Contains($"Namespace 1 of nqn.2026-11.io.renesens:file0: {image}, 8388608 bytes, O_DIRECT", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
            File.Delete(config);
            File.Delete(image);
        }
    }

    [Fact]
    public async Task Sample_BadConfiguration_ExitsWithEveryProblemNamedByItsPath()
    {
        string dll = SampleDll();
        string config = Path.Combine(Path.GetTempPath(), $"rn-nvmebad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """
            { "Target": {
                "listeners": [ { "address": "localhost", "port": 70000 } ],
                "maxQueueDepth": "deep",
                "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:bad", "namespaces": [
                  { "namespaceId": 1, "sizeBytes": 1000, "blockSize": 512, "blokSize": 4096 } ] } ] } }
            """);
        try
        {
            ProcessRunner.Result run = await ProcessRunner.RunAsync("dotnet", [dll, "--config", config], timeout: TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("Target:maxQueueDepth: 'deep' is not an integer", run.Output, StringComparison.Ordinal);
            Assert.Contains("Target:subsystems:0:namespaces:0:blokSize: is not a setting here", run.Output, StringComparison.Ordinal);

            // Once the keys are right, the values are checked by meaning.
            await File.WriteAllTextAsync(config, """
                { "Target": {
                    "listeners": [ { "address": "localhost", "port": 70000 } ],
                    "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:bad", "namespaces": [
                      { "namespaceId": 1, "sizeBytes": 1000, "blockSize": 512 } ] } ] } }
                """);
            run = await ProcessRunner.RunAsync("dotnet", [dll, "--config", config], timeout: TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("Listeners:0:Address: 'localhost' is not an IPv4 or IPv6 address.", run.Output, StringComparison.Ordinal);
            Assert.Contains("Listeners:0:Port: 70000", run.Output, StringComparison.Ordinal);
            Assert.Contains("Subsystems:0:Namespaces:0:SizeBytes: 1000", run.Output, StringComparison.Ordinal);

            // Not JSON at all.
            await File.WriteAllTextAsync(config, "{ \"Target\": { \"port\": 44");
            run = await ProcessRunner.RunAsync("dotnet", [dll, "--config", config], timeout: TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("The configuration file cannot be read", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static string SampleDll()
    {
        string dll = Path.Combine(RepositoryPaths.Root, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }
}

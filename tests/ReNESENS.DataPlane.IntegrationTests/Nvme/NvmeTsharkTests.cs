using System.Globalization;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.IntegrationTests.Nvme;

/// <summary>
/// Wireshark's nvme-tcp dissector as an independent reader of our NVMe/TCP: a loopback session
/// between our initiator and our target, captured with tshark, must decode with no malformed PDU
/// (the dissector's known "Dissector bug" on Get Features CQEs counted apart), with header and
/// data digests verified by the dissector, and with the expected sequence of commands.
/// </summary>
public sealed class NvmeTsharkTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LoopbackSession_DecodesCleanly(bool digests)
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = "nqn.2026-11.io.renesens:tshark" };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 8 << 20, BlockSize = 512 });
        options.Subsystems.Add(subsystem);
        await using var target = new NvmeTcpTarget(options);
        target.Start();
        int port = target.LocalEndPoint!.Port;

        await using TsharkCapture capture = await TsharkCapture.StartAsync(port);
        var hostOptions = new NvmeTcpInitiatorOptions { SubsystemNqn = subsystem.Nqn, IoQueueCount = 1, QueueDepth = 8, HeaderDigest = digests, DataDigest = digests };
        NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(target.LocalEndPoint, hostOptions);
        byte[] small = new byte[4096];
        byte[] large = new byte[64 * 1024];
        Random.Shared.NextBytes(small);
        Random.Shared.NextBytes(large);
        await host.IdentifyNamespaceAsync(1);
        await host.WriteAsync(1, 0, small);
        await host.WriteAsync(1, 64, large);
        byte[] back = new byte[64 * 1024];
        await host.ReadAsync(1, 64, back);
        Assert.Equal(large, back);
        await host.ReadAsync(1, 0, back.AsMemory(0, 4096));
        await host.FlushAsync(1);
        await host.KeepAliveAsync();

        // An asynchronous event: Set Features (Async Event Configuration), a held AER completed by a namespace
        // attached at run time, then the Changed Namespace List it points to.
        await host.SetFeatureAsync(0x0B, 1u << 8);
        Task<NvmeAsyncEvent> notice = host.WaitForAsyncEventAsync();
        await target.AttachNamespaceAsync(subsystem.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 1 << 20 });
        NvmeAsyncEvent e = await notice.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, e.LogPageId);
        byte[] changed = await host.GetLogPageAsync(0x04, 4096);
        Assert.Equal(2, changed[0]);
        await host.DisconnectAsync();
        await capture.StopAsync();

        string[] prefs = ["-o", "nvme-tcp.check_hdgst:TRUE", "-o", "nvme-tcp.check_ddgst:TRUE", "-d", $"tcp.port=={port},nvme-tcp"];
        ProcessRunner.Result fields = await ProcessRunner.RunAsync("tshark", ["-r", capture.File, .. prefs, "-Y", "nvme-tcp", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "nvme-tcp.type", "-e", "nvme.cmd.opc", "-e", "nvme.fabrics.cmd.fctype", "-e", "nvme-tcp.hdgst.status", "-e", "nvme-tcp.ddgst.status"]);
        Assert.True(fields.ExitCode == 0, fields.ToString());
        ProcessRunner.Result malformed = await ProcessRunner.RunAsync("tshark", ["-r", capture.File, .. prefs, "-Y", "_ws.malformed || _ws.expert.severity >= \"error\"", "-V"]);
        Assert.True(malformed.ExitCode == 0, malformed.ToString());

        int dissectorBugs = CountOf(malformed.Output, "Dissector bug");
        int malformedPackets = CountOf(malformed.Output, "[Malformed Packet");
        Assert.True(malformedPackets - dissectorBugs <= 0 && CountOf(malformed.Output, "Frame ") == dissectorBugs,
            $"tshark reports malformed NVMe/TCP PDUs (besides {dissectorBugs} known dissector bugs):\n{malformed.Output}");

        var types = new List<int>();
        var opcodes = new List<string>();
        var fabrics = new List<string>();
        foreach (string line in fields.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] columns = line.Split('\t');
            if (columns.Length < 5)
            {
                // tshark's own notices (ProcessRunner merges stderr).
                continue;
            }

            foreach (string type in columns[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                types.Add(int.Parse(type, CultureInfo.InvariantCulture));
            }

            opcodes.AddRange(columns[1].Split(',', StringSplitOptions.RemoveEmptyEntries));
            fabrics.AddRange(columns[2].Split(',', StringSplitOptions.RemoveEmptyEntries));
            if (digests)
            {
                Assert.DoesNotContain("2", columns[3].Split(','));
                Assert.DoesNotContain("2", columns[4].Split(','));
            }
        }

        Assert.True(types.Count(t => t == 0) == 2, $"ICReq count in {string.Join(' ', types)}\n{fields.Output}");
        Assert.True(types.Count(t => t == 1) == 2, $"ICResp count in {string.Join(' ', types)}");
        Assert.Contains(9, types);    // R2T for the 64 KiB write
        Assert.Contains(6, types);    // H2CData
        Assert.Contains(7, types);    // C2HData
        Assert.Equal([0, 1, 4, 5], types[..4]);

        // Every capsule is answered by a response except the two reads on the I/O queue, which
        // connected with SQ flow control disabled and so end with SUCCESS on their last C2HData.
        Assert.True(types.Count(t => t == 4) == types.Count(t => t == 5) + 2, $"capsules vs responses in {string.Join(' ', types)}");
        Assert.Equal(2, fabrics.Count(f => f is "0x01" or "1"));
        Assert.Contains(opcodes, o => o is "0x06" or "6");
        Assert.Contains(opcodes, o => o is "0x01" or "1");
        Assert.Contains(opcodes, o => o is "0x02" or "2");
        Assert.Contains(opcodes, o => o is "0x18" or "24");
        Assert.Contains(opcodes, o => o is "0x09" or "9");    // Set Features
        Assert.Contains(opcodes, o => o is "0x0c" or "0x0C" or "12");  // Asynchronous Event Request
    }

    private static int CountOf(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

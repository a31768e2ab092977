using System.Buffers.Binary;
using System.Text;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>Our initiator against our target over loopback: the command set end to end.</summary>
public class NvmeTcpEndToEndTests
{
    [Theory]
    [InlineData(false, 512)]
    [InlineData(true, 512)]
    [InlineData(false, 4096)]
    [InlineData(true, 4096)]
    public async Task WriteThenRead_InCapsuleAndR2T_RoundTrips(bool digests, int blockSize)
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(blockSize: blockSize);
        await using NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(queues: 2, digests: digests));
        NvmeNamespaceInfo ns = await host.IdentifyNamespaceAsync(1);
        Assert.Equal(blockSize, ns.BlockSize);
        Assert.Equal((16L << 20) / blockSize, ns.BlockCount);

        foreach (int length in new[] { 4096, 8192, 128 * 1024, 1024 * 1024 })
        {
            byte[] data = new byte[length];
            Random.Shared.NextBytes(data);
            ulong lba = (ulong)(length / blockSize);
            await host.WriteAsync(1, lba, data, blockSize);
            byte[] back = new byte[length];
            await host.ReadAsync(1, lba, back, blockSize);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public async Task IdentifyController_ReportsTheConfiguredSubsystem()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        NvmeControllerInfo controller = host.Controller!;
        Assert.Equal("RNTEST0001", controller.SerialNumber);
        Assert.Equal("ReNESENS test", controller.ModelNumber);
        Assert.Equal(NvmeTestTarget.Nqn, controller.SubsystemNqn);
        Assert.Equal(1024u, controller.NamespaceCount); // NN: the largest NSID the subsystem may hold (MaxNamespaceId), as Linux nvmet reports
        Assert.Equal(1, controller.ControllerType);
        Assert.Equal(host.ControllerId, controller.ControllerId);
        Assert.Equal(1024 * 1024, controller.MaxDataTransferSize);

        byte[] active = await host.IdentifyAsync(2);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(active));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(active.AsSpan(4)));

        byte[] descriptors = await host.IdentifyAsync(3, 1);
        NvmeNamespaceInfo ns = await host.IdentifyNamespaceAsync(1);
        Assert.Equal(2, descriptors[0]);
        Assert.Equal(16, descriptors[1]);
        Assert.Equal(ns.Nguid, new Guid(descriptors.AsSpan(4, 16), bigEndian: true));
        Assert.NotEqual(Guid.Empty, ns.Nguid);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ManyConcurrentCommandsOverSeveralQueues_AllLandWhereTheyShould(bool runContinuationsAsynchronously)
    {
        // 256 writers on 4 x 32 slots: callers wait for slots, and every 8th write (64 KiB) takes an R2T,
        // so capsules from pool threads and H2CData from the receive loops share each queue's send side.
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        NvmeTcpInitiatorOptions options = NvmeTestTarget.Host(queues: 4);
        options.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        await using NvmeTcpInitiator host = await target.ConnectAsync(options);
        Assert.Equal(4, host.IoQueueCount);
        var tasks = new List<Task>();
        for (int i = 0; i < 256; i++)
        {
            int n = i;
            tasks.Add(Task.Run(async () =>
            {
                byte[] data = new byte[n % 8 == 0 ? 64 * 1024 : 4096];
                data.AsSpan().Fill((byte)n);
                await host.WriteAsync(1, (ulong)n * 128, data);
            }));
        }

        await Task.WhenAll(tasks);
        for (int i = 0; i < 256; i++)
        {
            byte[] back = new byte[i % 8 == 0 ? 64 * 1024 : 4096];
            await host.ReadAsync(1, (ulong)i * 128, back);
            Assert.All(back, b => Assert.Equal((byte)i, b));
        }
    }

    [Fact]
    public async Task Completions_RunInlineOnTheQueueThread_UnlessAskedToRunAsynchronously()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator inline = await target.ConnectAsync();
        NvmeTcpInitiatorOptions options = NvmeTestTarget.Host();
        options.RunContinuationsAsynchronously = true;
        await using NvmeTcpInitiator pooled = await target.ConnectAsync(options);
        byte[] data = new byte[4096];

        // A completion that beats the caller's await (the reply can arrive while the submitting thread
        // is still returning from its send) resumes on the submitting thread; once a continuation runs
        // on the queue thread, the commands it issues are sent at the end of the batch, so the next
        // completion cannot beat it.
        bool onQueueThread = await Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                await inline.WriteAsync(1, 0, data);
                if (Thread.CurrentThread.Name == InitiatorQueue.ReceiveThreadName)
                {
                    await inline.WriteAsync(1, 0, data);
                    return Thread.CurrentThread.Name == InitiatorQueue.ReceiveThreadName;
                }
            }

            return false;
        });
        Assert.True(onQueueThread);

        // With asynchronous continuations a caller may even block on another command of the same queue.
        await Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                await pooled.WriteAsync(1, 0, data);
                Assert.NotEqual(InitiatorQueue.ReceiveThreadName, Thread.CurrentThread.Name);
            }

            pooled.ReadAsync(1, 0, new byte[4096]).AsTask().Wait();
        }).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WriteZeroesAndDeallocate_ReadBackZeros()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        byte[] ones = new byte[8192];
        ones.AsSpan().Fill(0xFF);
        await host.WriteAsync(1, 100, ones);
        await host.WriteAsync(1, 200, ones);
        await host.WriteZeroesAsync(1, 100, 16);
        await host.DeallocateAsync(1, 200, 8);
        await host.FlushAsync(1);
        await host.FlushAsync(0xFFFFFFFF);
        byte[] back = new byte[8192];
        await host.ReadAsync(1, 100, back);
        Assert.All(back, b => Assert.Equal(0, b));
        await host.ReadAsync(1, 200, back);
        Assert.All(back.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.All(back.AsSpan(4096).ToArray(), b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public async Task LbaPastTheEndAndWrongNamespace_FailWithTheSpecStatus()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(size: 1 << 20);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        byte[] buffer = new byte[4096];
        NvmeCommandException e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(1, 2048 - 7, buffer));
        Assert.Equal(0x080, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(1, ulong.MaxValue - 2, buffer));
        Assert.Equal(0x080, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(1, 2047, new byte[256 * 1024]));
        Assert.Equal(0x080, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(2, 0, buffer));
        Assert.Equal(0x00B, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(7, 0, buffer));
        Assert.Equal(0x00B, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.GetLogPageAsync(0x70, 1024));
        Assert.Equal(0x109, e.StatusCode);

        // The queue still serves after the errors.
        await host.WriteAsync(1, 0, buffer);
        await host.ReadAsync(1, 0, buffer);
    }

    [Fact]
    public async Task Discovery_LogPageListsTheSubsystemsTheHostMayUse()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(options =>
        {
            var hidden = new NvmeSubsystemOptions { Nqn = "nqn.2026-11.io.renesens:hidden" };
            hidden.AllowedHosts.Add("nqn.2014-08.org.example:someone-else");
            hidden.Namespaces.Add(new NvmeNamespaceOptions { SizeBytes = 1 << 20 });
            options.Subsystems.Add(hidden);
        });
        await using NvmeTcpInitiator discovery = await target.ConnectAsync(NvmeTestTarget.Host(nqn: "nqn.2014-08.org.nvmexpress.discovery"));
        Assert.Null(discovery.Controller);
        byte[] header = await discovery.GetLogPageAsync(0x70, 1024);
        long records = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
        Assert.Equal(1, records);
        byte[] page = await discovery.GetLogPageAsync(0x70, 2048);
        Span<byte> entry = page.AsSpan(1024);
        Assert.Equal(3, entry[0]);
        Assert.Equal(1, entry[1]);
        Assert.Equal(2, entry[2]);
        Assert.Equal(target.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(entry.Slice(32, 32)).Trim());
        Assert.Equal(NvmeTestTarget.Nqn, Encoding.ASCII.GetString(entry.Slice(256, 256)).TrimEnd('\0'));
        Assert.Equal("127.0.0.1", Encoding.ASCII.GetString(entry.Slice(512, 256)).Trim());
    }

    [Fact]
    public async Task Connect_UnknownSubsystemOrHostNotAllowed_IsRefusedWithConnectStatus()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(options => options.Subsystems[0].AllowedHosts.Add(NvmeTestTarget.HostNqn));
        NvmeCommandException e = await Assert.ThrowsAsync<NvmeCommandException>(() => target.ConnectAsync(NvmeTestTarget.Host(nqn: "nqn.2026-11.io.renesens:nope")));
        Assert.Equal(0x182, e.StatusCode);
        e = await Assert.ThrowsAsync<NvmeCommandException>(() => target.ConnectAsync(NvmeTestTarget.Host(hostNqn: "nqn.2014-08.org.example:intruder")));
        Assert.Equal(0x184, e.StatusCode);
        await using NvmeTcpInitiator allowed = await target.ConnectAsync();
        await allowed.KeepAliveAsync();
    }

    [Fact]
    public async Task Disconnect_ShutsDownAndFreesTheController()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(queues: 2));
        Assert.Equal(1, target.Target.ControllerCount);
        await host.DisconnectAsync();
        await WaitUntil(() => target.Target.ControllerCount == 0);
    }

    [Fact]
    public async Task SmartLog_CountsTheWrites()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        for (int i = 0; i < 5; i++)
        {
            await host.WriteAsync(1, 0, new byte[512]);
        }

        byte[] smart = await host.GetLogPageAsync(0x02, 512);
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64LittleEndian(smart.AsSpan(80)));
        Assert.Equal(100, smart[3]);
    }

    [Theory]
    [InlineData(false, 512)]
    [InlineData(true, 4096)]
    public async Task TransferLargerThanMdts_IsSplitIntoCommandsWithinIt(bool digests, int blockSize)
    {
        // MDTS 8 KiB (Identify byte 77 = 1): 100 KiB goes as 12 commands of 8 KiB and one of 4 KiB.
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => { o.MaxDataTransferSize = 8192; o.MaxH2CData = 8192; o.InCapsuleDataSize = 4096; }, blockSize: blockSize);
        await using NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(digests: digests));
        Assert.Equal(8192, host.Controller!.MaxDataTransferSize);
        NvmeSubsystem subsystem = target.Target.Core.Subsystems.Single(s => s.Nqn == NvmeTestTarget.Nqn);

        byte[] data = new byte[100 * 1024];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(1, 8, data, blockSize);
        Assert.Equal(13, Interlocked.Read(ref subsystem.WriteCommands));
        Assert.Equal(data.Length, Interlocked.Read(ref subsystem.BytesWritten));

        byte[] back = new byte[data.Length];
        await host.ReadAsync(1, 8, back, blockSize);
        Assert.Equal(13, Interlocked.Read(ref subsystem.ReadCommands));
        Assert.Equal(data, back);

        // Pieces land at their own LBAs: a read of the middle piece alone matches that slice.
        byte[] middle = new byte[8192];
        await host.ReadAsync(1, 8 + (ulong)(5 * 8192 / blockSize), middle, blockSize);
        Assert.Equal(data.AsSpan(5 * 8192, 8192).ToArray(), middle);
    }

    [Fact]
    public async Task SplitTransfer_PieceFailing_FailsTheWholeWithItsStatus()
    {
        // The namespace is 64 KiB: a 96 KiB write from LBA 0 has its later pieces past the end.
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => { o.MaxDataTransferSize = 16384; o.MaxH2CData = 16384; }, size: 64 * 1024);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        NvmeCommandException e = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.WriteAsync(1, 0, new byte[96 * 1024]));
        Assert.Equal(NvmeStatus.LbaOutOfRange, e.StatusCode);

        // The queue is still usable afterwards: every piece was awaited and its slot returned.
        byte[] data = new byte[64 * 1024];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(1, 0, data);
        byte[] back = new byte[data.Length];
        await host.ReadAsync(1, 0, back);
        Assert.Equal(data, back);
    }

    internal static async Task WaitUntil(Func<bool> condition, int milliseconds = 5000)
    {
        for (int waited = 0; !condition(); waited += 20)
        {
            Assert.True(waited < milliseconds, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}

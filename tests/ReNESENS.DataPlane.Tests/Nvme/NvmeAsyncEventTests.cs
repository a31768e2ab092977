using System.Buffers.Binary;
using System.Net;
using System.Text;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// Namespaces attached, detached and resized while hosts use them, subsystems and listeners added and removed, and
/// the asynchronous event notices that tell hosts (NVMe base 2.0 5.2 and 5.16.1.5, NVMe-oF 1.1 5.3 and 5.4).
/// </summary>
public sealed class NvmeAsyncEventTests
{
    private const byte AsyncEventConfiguration = 0x0B;
    private const uint NamespaceAttributeNotices = 1u << 8;
    private const uint DiscoveryLogChangeNotices = 1u << 31;
    private const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AttachDetachResize_RaiseNamespaceAttributeChanged_AndTheChangedListClearsOnRead()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => o.Subsystems[0].Namespaces[0].MaxSizeBytes = 32L << 20);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        Assert.Equal(0u, await host.SetFeatureAsync(AsyncEventConfiguration, NamespaceAttributeNotices | 0xFF | (1u << 31)));
        Assert.Equal(NamespaceAttributeNotices, await host.GetFeatureAsync(AsyncEventConfiguration)); // only what OAES reports is kept

        Task<NvmeAsyncEvent> pending = host.WaitForAsyncEventAsync();
        await Task.Delay(100);
        Assert.False(pending.IsCompleted, "an event completed before anything changed");

        await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 7, SizeBytes = 4 << 20, BlockSize = 4096 });
        NvmeAsyncEvent e = await pending.WaitAsync(Patience);
        Assert.Equal((2, 0x00, 0x04), (e.Type, e.Information, e.LogPageId));   // Notice, Namespace Attribute Changed, log 04h

        byte[] active = await host.IdentifyAsync(2);
        Assert.Equal([1u, 7u, 0u], [BinaryPrimitives.ReadUInt32LittleEndian(active), BinaryPrimitives.ReadUInt32LittleEndian(active.AsSpan(4)), BinaryPrimitives.ReadUInt32LittleEndian(active.AsSpan(8))]);
        NvmeNamespaceInfo seven = await host.IdentifyNamespaceAsync(7);
        Assert.Equal((1024L, 4096), (seven.BlockCount, seven.BlockSize));
        byte[] data = new byte[8192];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(7, 3, data, 4096);
        byte[] back = new byte[8192];
        await host.ReadAsync(7, 3, back, 4096);
        Assert.Equal(data, back);

        // RAE set: the list is read (and cleared) but the notice stays masked, so the next change raises none.
        Assert.Equal(new uint[] { 7u, 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096, retainAsyncEvent: true), 2));
        Assert.Equal(new uint[] { 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096, retainAsyncEvent: true), 1));
        pending = host.WaitForAsyncEventAsync();
        Assert.True(await target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 7));
        Assert.False(await target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 7));
        await Task.Delay(200);
        Assert.False(pending.IsCompleted, "a masked notice was posted again before the log page was read with RAE cleared");
        NvmeCommandException gone = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(7, 0, back.AsMemory(0, 4096), 4096));
        Assert.Equal(NvmeStatus.InvalidNamespace, gone.StatusCode);

        // RAE cleared: the read unmasks; the next change (a resize of NSID 1) completes the held request.
        Assert.Equal(new uint[] { 7u, 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096), 2));
        await target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 32L << 20);
        e = await pending.WaitAsync(Patience);
        Assert.Equal((2, 0x00, 0x04), (e.Type, e.Information, e.LogPageId));
        Assert.Equal(new uint[] { 1u, 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096), 2));
    }

    [Fact]
    public async Task Resize_GrowsAndShrinksTheNamespace_AndRefusesWhatTheBackEndCannotDo()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => o.Subsystems[0].Namespaces[0].MaxSizeBytes = 32L << 20);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        Assert.Equal(32768L, (await host.IdentifyNamespaceAsync(1)).BlockCount);
        byte[] data = new byte[4096];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(1, 100, data);

        await target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 32L << 20);
        Assert.Equal(65536L, (await host.IdentifyNamespaceAsync(1)).BlockCount);
        await host.WriteAsync(1, 65536 - 8, data);
        byte[] back = new byte[4096];
        await host.ReadAsync(1, 65536 - 8, back);
        Assert.Equal(data, back);

        await target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 1L << 20);
        Assert.Equal(2048L, (await host.IdentifyNamespaceAsync(1)).BlockCount);
        NvmeCommandException cut = await Assert.ThrowsAsync<NvmeCommandException>(async () => await host.ReadAsync(1, 2048, back));
        Assert.Equal(NvmeStatus.LbaOutOfRange, cut.StatusCode);
        await host.ReadAsync(1, 100, back);
        Assert.Equal(data, back);                                       // below the smaller size: kept

        await target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 32L << 20);
        await host.ReadAsync(1, 65536 - 8, back);
        Assert.Equal(new byte[4096], back);                             // the cut-off tail was given back: zeros

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 64L << 20)); // above MaxSizeBytes
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, 1000));
        await Assert.ThrowsAsync<ArgumentException>(() => target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 9, 1L << 20));
        await Assert.ThrowsAsync<ArgumentException>(() => target.Target.ResizeNamespaceAsync("nqn.2026-11.io.renesens:none", 1, 1L << 20));
        await Assert.ThrowsAsync<ArgumentException>(() => target.Target.ResizeNamespaceAsync(DiscoveryNqn, 1, 1L << 20));
    }

    [Fact]
    public async Task AttachNamespace_RefusesBadOptionsClearly()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 1 }));
        Assert.Contains("already attached", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ArgumentException>(() => target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 2000 }));
        Assert.Contains("MaxNamespaceId 1024", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ArgumentException>(() => target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, BlockSize = 1000 }));
        Assert.Contains("BlockSize: 1000 is not 512 or 4096", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ArgumentException>(() => target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 0 }));
        Assert.Contains("NamespaceId: 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutNoticesEnabled_NoEventIsPosted_ButTheChangedListIsKept()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        Task<NvmeAsyncEvent> pending = host.WaitForAsyncEventAsync();
        for (uint nsid = 2; nsid < 6; nsid++)
        {
            await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = nsid, SizeBytes = 1 << 20 });
        }

        await target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 3);
        await Task.Delay(200);
        Assert.False(pending.IsCompleted);
        Assert.Equal(new uint[] { 2u, 3u, 4u, 5u, 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096), 5));

        // Four requests are the limit (AERL 3); the fifth is refused with Asynchronous Event Request Limit Exceeded.
        Task<NvmeAsyncEvent>[] more = [host.WaitForAsyncEventAsync(), host.WaitForAsyncEventAsync(), host.WaitForAsyncEventAsync()];
        NvmeCommandException limit = await Assert.ThrowsAsync<NvmeCommandException>(() => host.WaitForAsyncEventAsync().WaitAsync(Patience));
        Assert.Equal(0x105, limit.StatusCode);
        Assert.All(more, t => Assert.False(t.IsCompleted));
    }

    [Fact]
    public async Task ABadReadOfTheChangedNamespaceList_IsRefusedAndClearsNothing()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 3, SizeBytes = 1 << 20 });
        await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 9, SizeBytes = 1 << 20 });

        NvmeCommandException e = await Assert.ThrowsAsync<NvmeCommandException>(() => host.GetLogPageAsync(0x04, 4, offset: 4096));
        Assert.Equal(NvmeStatus.InvalidField, e.StatusCode);            // offset past the page
        e = await Assert.ThrowsAsync<NvmeCommandException>(() => host.GetLogPageAsync(0x04, 8, offset: 2));
        Assert.Equal(NvmeStatus.InvalidField, e.StatusCode);            // offset not dword-aligned
        e = await Assert.ThrowsAsync<NvmeCommandException>(() => host.GetLogPageAsync(0x70, 1024));
        Assert.Equal(NvmeStatus.InvalidLogPage, e.StatusCode);          // the discovery log is a discovery controller's

        // A partial read from an offset: the second entry, then bytes past the page read as zeros; the whole list is then cleared.
        byte[] tail = await host.GetLogPageAsync(0x04, 8, offset: 4, retainAsyncEvent: true);
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(tail));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(4)));
        byte[] beyond = await host.GetLogPageAsync(0x04, 8192);
        Assert.All(beyond, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task MoreThan1024ChangedNamespaces_ReadAsFFFFFFFFh()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => o.Subsystems[0].MaxNamespaceId = 2000);
        await using NvmeTcpInitiator host = await target.ConnectAsync();
        for (uint nsid = 2; nsid <= 1026; nsid++)
        {
            await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = nsid, SizeBytes = 4096 });
        }

        uint[] list = ChangedList(await host.GetLogPageAsync(0x04, 4096), 1024);
        Assert.Equal(0xFFFFFFFFu, list[0]);
        Assert.All(list[1..], n => Assert.Equal(0u, n));
        Assert.Equal(new uint[] { 0u }, ChangedList(await host.GetLogPageAsync(0x04, 4096), 1));
    }

    [Fact]
    public async Task AWriteWhoseNamespaceIsDetachedWhileItsDataArrives_FailsWithInvalidNamespace()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        using RawNvmeHost admin = await RawNvmeHost.ConnectAsync(target.EndPoint);
        await admin.InitializeAsync();
        admin.Send(admin.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
        (ushort status, uint controllerId, _) = await admin.ReceiveResponseAsync();
        Assert.Equal(0, status);
        admin.Send(admin.Capsule(PropertySetCc(2, 0x00460001)));
        Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);

        using RawNvmeHost io = await RawNvmeHost.ConnectAsync(target.EndPoint);
        await io.InitializeAsync();
        io.Send(io.Capsule(RawNvmeHost.ConnectSqe(1, 1, inCapsule: true), RawNvmeHost.ConnectData(controllerId: (ushort)controllerId)));
        Assert.Equal(0, (await io.ReceiveResponseAsync()).Status);

        // A 16 KiB Write: too large for the capsule, so the target asks for it with an R2T.
        io.Send(io.Capsule(WriteSqe(9, nsid: 1, lba: 0, blocks: 32)));
        byte[] r2t = await io.ReceivePduAsync();
        Assert.Equal(0x09, r2t[0]);
        ushort ttag = BinaryPrimitives.ReadUInt16LittleEndian(r2t.AsSpan(10));
        io.Send(io.H2CData(9, ttag, 0, new byte[8192], last: false));
        await Task.Delay(100);
        Assert.True(await target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 1));
        io.Send(io.H2CData(9, ttag, 8192, new byte[8192], last: true));
        (ushort writeStatus, _, ushort cid) = await io.ReceiveResponseAsync();
        Assert.Equal(9, cid);
        Assert.Equal(NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry, writeStatus);
    }

    [Fact]
    public async Task TheAsyncEventCompletion_HasTheSpecsByteLayout()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        using RawNvmeHost admin = await RawNvmeHost.ConnectAsync(target.EndPoint);
        await admin.InitializeAsync();
        admin.Send(admin.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
        Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);
        admin.Send(admin.Capsule(PropertySetCc(2, 0x00460001)));
        Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);
        admin.Send(admin.Capsule(AdminSqe(3, 0x09, dword10: 0x0B, dword11: NamespaceAttributeNotices)));
        Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);
        admin.Send(admin.Capsule(AdminSqe(0x1234, 0x0C)));
        await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 1 << 20 });

        byte[] pdu = await admin.ReceivePduAsync();
        Assert.Equal(24, pdu.Length);                                  // CapsuleResp: 8-byte header + 16-byte CQE
        Assert.Equal([0x05, 0x00, 24, 0, 24, 0, 0, 0], pdu[..8]);
        Assert.Equal([0x02, 0x00, 0x04, 0x00], pdu[8..12]);            // DW0: type 010b Notice, info 00h, log page 04h
        Assert.Equal([0, 0, 0, 0], pdu[12..16]);                       // DW1
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(18)));      // SQID: admin
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(20)));  // CID of the AER
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(22)) >> 1);  // status: success
    }

    [Fact]
    public async Task DiscoveryControllers_AreToldWhenSubsystemsOrListenersChange()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator discovery = await target.ConnectAsync(NvmeTestTarget.Host(nqn: DiscoveryNqn));
        byte[] identify = await discovery.IdentifyAsync(1);
        Assert.Equal(DiscoveryLogChangeNotices, BinaryPrimitives.ReadUInt32LittleEndian(identify.AsSpan(92)));   // OAES bit 31
        await discovery.SetFeatureAsync(AsyncEventConfiguration, DiscoveryLogChangeNotices | NamespaceAttributeNotices);
        Assert.Equal(DiscoveryLogChangeNotices, await discovery.GetFeatureAsync(AsyncEventConfiguration));
        long generation = BinaryPrimitives.ReadInt64LittleEndian(await discovery.GetLogPageAsync(0x70, 1024));

        Task<NvmeAsyncEvent> pending = discovery.WaitForAsyncEventAsync();
        var added = new NvmeSubsystemOptions { Nqn = "nqn.2026-11.io.renesens:added" };
        added.Namespaces.Add(new NvmeNamespaceOptions { SizeBytes = 1 << 20 });
        await target.Target.AddSubsystemAsync(added);
        NvmeAsyncEvent e = await pending.WaitAsync(Patience);
        Assert.Equal((2, 0xF0, 0x70), (e.Type, e.Information, e.LogPageId));   // Notice, Discovery Log Page Change, log 70h
        await Assert.ThrowsAsync<ArgumentException>(() => target.Target.AddSubsystemAsync(added));

        byte[] page = await discovery.GetLogPageAsync(0x70, 3 * 1024);
        Assert.True(BinaryPrimitives.ReadInt64LittleEndian(page) > generation);
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(8)));
        Assert.Equal(added.Nqn, Encoding.ASCII.GetString(page.AsSpan(2048 + 256, 256)).TrimEnd('\0'));

        // The new subsystem serves I/O; removing it ends its controllers and tells the discovery controller again.
        NvmeTcpInitiator user = await NvmeTcpInitiator.ConnectAsync(target.EndPoint, NvmeTestTarget.Host(nqn: added.Nqn));
        await user.WriteAsync(1, 0, new byte[512]);
        pending = discovery.WaitForAsyncEventAsync();
        Assert.True(await target.Target.RemoveSubsystemAsync(added.Nqn));
        Assert.False(await target.Target.RemoveSubsystemAsync(added.Nqn));
        e = await pending.WaitAsync(Patience);
        Assert.Equal(0xF0, e.Information);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await user.WriteAsync(1, 0, new byte[512]);
                await Task.Delay(20);
            }
        });
        await user.DisposeAsync();
        await Assert.ThrowsAsync<NvmeCommandException>(() => NvmeTcpInitiator.ConnectAsync(target.EndPoint, NvmeTestTarget.Host(nqn: added.Nqn)));
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian((await discovery.GetLogPageAsync(0x70, 1024)).AsSpan(8)));

        // A listener added at run time is a discovery log change too.
        pending = discovery.WaitForAsyncEventAsync();
        IPEndPoint port2 = target.Target.AddListener(new NvmeListenerOptions { Address = "127.0.0.1", Port = 0 });
        e = await pending.WaitAsync(Patience);
        Assert.Equal(0xF0, e.Information);
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian((await discovery.GetLogPageAsync(0x70, 1024)).AsSpan(8)));
        Assert.True(await target.Target.RemoveListenerAsync(port2));
    }

    private static uint[] ChangedList(byte[] page, int count)
    {
        Assert.Equal(4096, page.Length);
        var list = new uint[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(i * 4));
        }

        return list;
    }

    private static byte[] AdminSqe(ushort cid, byte opcode, uint dword10 = 0, uint dword11 = 0)
    {
        byte[] sqe = new byte[64];
        sqe[0] = opcode;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(2), cid);
        sqe[39] = 0x5A;                                                // SGL: transport data block, no data
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(40), dword10);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(44), dword11);
        return sqe;
    }

    internal static byte[] PropertySetCc(ushort cid, uint value)
    {
        byte[] sqe = new byte[64];
        sqe[0] = 0x7F;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(2), cid);
        sqe[4] = 0x00;                                                 // FCTYPE Property Set
        sqe[39] = 0x5A;
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(44), 0x14); // OFST: CC
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(48), value);
        return sqe;
    }

    internal static byte[] WriteSqe(ushort cid, uint nsid, ulong lba, int blocks)
    {
        byte[] sqe = new byte[64];
        sqe[0] = 0x01;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(2), cid);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(4), nsid);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(32), (uint)(blocks * 512));
        sqe[39] = 0x5A;
        BinaryPrimitives.WriteUInt64LittleEndian(sqe.AsSpan(40), lba);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(48), (uint)(blocks - 1));
        return sqe;
    }
}

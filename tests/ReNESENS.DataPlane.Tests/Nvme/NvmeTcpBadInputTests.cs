using System.Buffers.Binary;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// Hostile and broken hosts: each gets the spec's C2HTermReq (FES/FEI) or NVMe status, its
/// connection is closed, and a well-behaved host on another connection is served throughout.
/// Includes the failure classes of the Linux nvmet-tcp CVEs and SPDK field reports.
/// Runs alone (no parallel test class) so that its heap measurement sees only its own connections.
/// </summary>
[Collection(NvmeSerialCollection.Name)]
public sealed class NvmeTcpBadInputTests : IAsyncLifetime
{
    private NvmeTestTarget _target = null!;
    private NvmeTcpInitiator _healthy = null!;

    public async Task InitializeAsync()
    {
        _target = NvmeTestTarget.Start(options => options.ConnectTimeout = TimeSpan.FromSeconds(2));
        _healthy = await _target.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        // Every test ends by proving the other connection still works.
        byte[] data = new byte[4096];
        Random.Shared.NextBytes(data);
        await _healthy.WriteAsync(1, 8, data);
        byte[] back = new byte[4096];
        await _healthy.ReadAsync(1, 8, back);
        Assert.Equal(data, back);
        await _healthy.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Fact]
    public async Task UnknownPduType_InvalidHeaderFieldAtOffset0()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        host.Send([0xFF, 0, 24, 0, 24, 0, 0, 0]);
        await host.ExpectTermReqAndCloseAsync(1, 0);
    }

    [Fact]
    public async Task CapsuleBeforeICReq_PduSequenceError()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
        await host.ExpectTermReqAndCloseAsync(2, 0);
    }

    [Fact]
    public async Task SecondICReq_PduSequenceError()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        byte[] icreq = new byte[128];
        icreq[2] = 128;
        icreq[4] = 128;
        host.Send(icreq);
        await host.ExpectTermReqAndCloseAsync(2, 0);
    }

    [Fact]
    public async Task OversizedPlen_RefusedFromTheHeaderAlone()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        byte[] header = [0x04, 0, 72, 72, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 0x7FFFFFF0);
        host.Send(header);
        await host.ExpectTermReqAndCloseAsync(1, 4);
    }

    [Theory]
    [InlineData(71, 0, 72, 2u)]   // HLEN not the CapsuleCmd's 72
    [InlineData(72, 200, 100, 3u)] // PDO past PLEN
    [InlineData(72, 70, 200, 3u)] // PDO inside the header
    [InlineData(72, 0, 80, 4u)]   // no data but PLEN larger than the header
    public async Task MalformedCapsuleHeader_InvalidHeaderFieldWithItsOffset(byte hlen, byte pdo, uint plen, uint fei)
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        byte[] header = [0x04, 0, hlen, pdo, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), plen);
        host.Send(header);
        await host.ExpectTermReqAndCloseAsync(1, fei);
    }

    [Fact]
    public async Task BadHeaderDigest_HeaderDigestError()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync(headerDigest: true);
        byte[] pdu = host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData());
        pdu[72] ^= 0x5A;
        host.Send(pdu);
        await host.ExpectTermReqAndCloseAsync(3, 0);
    }

    [Fact]
    public async Task DataBeforeConnect_UnknownTransferTag()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        host.Send(host.H2CData(1, 0, 0, new byte[512], last: true));
        await host.ExpectTermReqAndCloseAsync(1, 10);
    }

    [Fact]
    public async Task H2CDataOverMaxH2CData_DataTransferLimitExceeded()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        host.Send(host.H2CData(1, 0, 0, new byte[(128 * 1024) + 4], last: true));
        await host.ExpectTermReqAndCloseAsync(5, 4);
    }

    /// <summary>Connect whose 1024 data bytes come on an R2T: the H2CData that follows is the test's subject.</summary>
    private static async Task<ushort> ConnectViaR2TAsync(RawNvmeHost host, ushort cid)
    {
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(cid, 0, inCapsule: false)));
        byte[] r2t = await host.ReceivePduAsync();
        Assert.Equal(0x09, r2t[0]);
        Assert.Equal(cid, BinaryPrimitives.ReadUInt16LittleEndian(r2t.AsSpan(8)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(r2t.AsSpan(12)));
        Assert.Equal(1024u, BinaryPrimitives.ReadUInt32LittleEndian(r2t.AsSpan(16)));
        return BinaryPrimitives.ReadUInt16LittleEndian(r2t.AsSpan(10));
    }

    [Fact]
    public async Task H2CDataWithWrongTransferTag_InvalidHeaderFieldTtag()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        host.Send(host.H2CData(5, (ushort)(ttag + 1), 0, RawNvmeHost.ConnectData(), last: true));
        await host.ExpectTermReqAndCloseAsync(1, 10);
    }

    [Fact]
    public async Task H2CDataWithWrongCommandId_InvalidHeaderFieldCccid()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        host.Send(host.H2CData(6, ttag, 0, RawNvmeHost.ConnectData(), last: true));
        await host.ExpectTermReqAndCloseAsync(1, 8);
    }

    [Theory]
    [InlineData(512u, 512, true)]   // skips the first half (offset not the next expected)
    [InlineData(0u, 2048, true)]    // past the end of the R2T
    [InlineData(1024u, 512, true)]  // starts past the end
    public async Task H2CDataOutsideTheR2T_DataTransferOutOfRange(uint offset, int length, bool last)
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        host.Send(host.H2CData(5, ttag, offset, new byte[length], last));
        await host.ExpectTermReqAndCloseAsync(4, 12);
    }

    [Fact]
    public async Task H2CDataLastFlagWrong_InvalidHeaderFieldFlags()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        host.Send(host.H2CData(5, ttag, 0, RawNvmeHost.ConnectData()[..512], last: true));
        await host.ExpectTermReqAndCloseAsync(1, 1);
    }

    [Fact]
    public async Task H2CDataAfterTheCommandCompleted_StaleTagRefused()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        host.Send(host.H2CData(5, ttag, 0, RawNvmeHost.ConnectData(), last: true));
        (ushort status, uint dw0, _) = await host.ReceiveResponseAsync();
        Assert.Equal(0, status);
        Assert.NotEqual(0u, dw0 & 0xFFFF);
        host.Send(host.H2CData(5, ttag, 0, RawNvmeHost.ConnectData(), last: true));
        await host.ExpectTermReqAndCloseAsync(1, 10);
    }

    [Fact]
    public async Task DataDigestErrorOnANonLastPdu_CommandFailsOnceAndTheQueueLives()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync(headerDigest: true, dataDigest: true);
        ushort ttag = await ConnectViaR2TAsync(host, 5);
        byte[] data = RawNvmeHost.ConnectData();
        host.Send(host.H2CData(5, ttag, 0, data[..512], last: false, corruptDigest: true));
        host.Send(host.H2CData(5, ttag, 512, data[512..], last: true));
        (ushort status, _, ushort cid) = await host.ReceiveResponseAsync();
        Assert.Equal(5, cid);
        Assert.Equal(0x022, status & 0x7FF);

        // Exactly one completion; the queue still takes a Connect.
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(6, 0, inCapsule: true), data));
        (status, _, cid) = await host.ReceiveResponseAsync();
        Assert.Equal(6, cid);
        Assert.Equal(0, status);
    }

    [Fact]
    public async Task CommandsBeforeConnectAndUnknownOpcodes_GetTheSpecStatus()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        byte[] identify = new byte[64];
        identify[0] = 0x06;
        identify[2] = 9;
        identify[39] = 0x5A;
        BinaryPrimitives.WriteUInt32LittleEndian(identify.AsSpan(32), 4096);
        host.Send(host.Capsule(identify));
        (ushort status, _, _) = await host.ReceiveResponseAsync();
        Assert.Equal(0x00C, status & 0x7FF);

        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
        Assert.Equal(0, (await host.ReceiveResponseAsync()).Status);

        // Admin command before CC.EN: command sequence error.
        host.Send(host.Capsule(identify));
        Assert.Equal(0x00C, (await host.ReceiveResponseAsync()).Status & 0x7FF);

        byte[] unknown = new byte[64];
        unknown[0] = 0xC3;
        host.Send(host.Capsule(unknown));
        byte[] fabricsUnknown = new byte[64];
        fabricsUnknown[0] = 0x7F;
        fabricsUnknown[4] = 0x42;
        host.Send(host.Capsule(fabricsUnknown));
        Assert.Equal(0x00C, (await host.ReceiveResponseAsync()).Status & 0x7FF);
        Assert.Equal(0x001, (await host.ReceiveResponseAsync()).Status & 0x7FF);
    }

    [Fact]
    public async Task ConnectWithBadParameters_ConnectInvalidParametersWithIattrAndIpo()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true, sqsize: 0), RawNvmeHost.ConnectData()));
        (ushort status, uint dw0, _) = await host.ReceiveResponseAsync();
        Assert.Equal(0x182, status & 0x7FF);
        Assert.Equal(0u, dw0 & 1);
        Assert.Equal(44u, dw0 >> 16);

        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(2, 3, inCapsule: true), RawNvmeHost.ConnectData(controllerId: 999)));
        (status, dw0, _) = await host.ReceiveResponseAsync();
        Assert.Equal(0x182, status & 0x7FF);
        Assert.Equal(1u, dw0 & 1);
        Assert.Equal(16u, dw0 >> 16);

        // Connect data shorter than 1024 bytes.
        byte[] sqe = RawNvmeHost.ConnectSqe(3, 0, inCapsule: true);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(32), 512);
        host.Send(host.Capsule(sqe, RawNvmeHost.ConnectData()[..512]));
        Assert.Equal(0x00F, (await host.ReceiveResponseAsync()).Status & 0x7FF);
    }

    [Fact]
    public async Task PeerVanishesMidPdu_ConnectionEndsAndControllerIsFreed()
    {
        int before = _target.Target.ControllerCount;
        using (RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint))
        {
            await host.InitializeAsync();
            host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
            Assert.Equal(0, (await host.ReceiveResponseAsync()).Status);
            Assert.Equal(before + 1, _target.Target.ControllerCount);
            byte[] half = host.Capsule(RawNvmeHost.ConnectSqe(2, 0, inCapsule: true), RawNvmeHost.ConnectData());
            host.Send(half.AsSpan(0, 300));
        }

        await NvmeTcpEndToEndTests.WaitUntil(() => _target.Target.ControllerCount == before);
    }

    [Fact]
    public async Task ConnectThenImmediateCloseOrReset_Repeatedly_NoLeakNoCrash()
    {
        int before = _target.Target.ControllerCount;
        for (int i = 0; i < 40; i++)
        {
            RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
            await host.InitializeAsync();
            host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
            if (i % 2 == 0)
            {
                host.Reset();
            }
            else
            {
                host.Dispose();
            }
        }

        await NvmeTcpEndToEndTests.WaitUntil(() => _target.Target.ControllerCount == before);
    }

    [Fact]
    public async Task SilentPeer_ClosedAfterTheConnectTimeout()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        Assert.True(await host.IsClosedAsync(5000));
    }

    [Fact]
    public async Task KeepAliveExpiry_EndsTheControllerAndItsQueues()
    {
        int before = _target.Target.ControllerCount;
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true, kato: 300), RawNvmeHost.ConnectData()));
        Assert.Equal(0, (await host.ReceiveResponseAsync()).Status);
        Assert.Equal(before + 1, _target.Target.ControllerCount);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(await host.IsClosedAsync(5000));
        Assert.InRange(started.ElapsedMilliseconds, 250, 5000);
        Assert.Equal(before, _target.Target.ControllerCount);
    }

    [Fact]
    public async Task KeepAliveOnDiscoveryController_IsEnforcedToo()
    {
        using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
        await host.InitializeAsync();
        host.Send(host.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true, kato: 300), RawNvmeHost.ConnectData("nqn.2014-08.org.nvmexpress.discovery")));
        Assert.Equal(0, (await host.ReceiveResponseAsync()).Status);
        Assert.True(await host.IsClosedAsync(5000));
    }

    [Fact]
    public async Task ManyBadConnections_MemoryDoesNotGrow()
    {
        async Task Round()
        {
            for (int i = 0; i < 50; i++)
            {
                using RawNvmeHost host = await RawNvmeHost.ConnectAsync(_target.EndPoint);
                await host.InitializeAsync();
                ushort ttag = await ConnectViaR2TAsync(host, 5);
                host.Send(host.H2CData(5, (ushort)(ttag + 3), 0, new byte[1024], last: true));
                await host.ExpectTermReqAndCloseAsync(1, 10);
            }
        }

        await Round();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await Round();
        await Round();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - before < 4 << 20, $"managed heap grew by {after - before} bytes over 100 bad connections");
    }
}

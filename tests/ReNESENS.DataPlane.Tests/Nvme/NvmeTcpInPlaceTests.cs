using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// Large payloads moved in place: the target sends a RAM namespace's C2HData from its region and receives H2CData
/// straight into it; the initiator receives C2HData straight into the caller's buffer. Each path with digests on
/// and off, payloads dribbled over many socket reads, a peer that closes or stalls mid-payload, and DATAO/DATAL
/// checked before any payload byte lands. Runs alone: it reads the process-wide in-place counter.
/// </summary>
[Collection(NvmeSerialCollection.Name)]
public sealed class NvmeTcpInPlaceTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task LargeReadsAndWrites_RoundTrip_InPlaceWithoutDataDigests(bool headerDigest, bool dataDigest)
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        NvmeTcpInitiatorOptions options = NvmeTestTarget.Host();
        options.HeaderDigest = headerDigest;
        options.DataDigest = dataDigest;
        await using NvmeTcpInitiator host = await target.ConnectAsync(options);
        using var counter = new InPlaceCounter();

        // Several at once, so that PDUs follow each other closely and often arrive split across socket reads.
        int[] lengths = [16 * 1024, (20 * 1024) + 512, 128 * 1024, 1024 * 1024];
        byte[][] data = lengths.Select(n => RandomBytes(n)).ToArray();
        byte[][] back = lengths.Select(n => new byte[n]).ToArray();
        for (int round = 0; round < 3; round++)
        {
            await Task.WhenAll(lengths.Select((_, i) => host.WriteAsync(1, Lba(i), data[i]).AsTask()));
            await Task.WhenAll(lengths.Select((_, i) => host.ReadAsync(1, Lba(i), back[i]).AsTask()));
            for (int i = 0; i < lengths.Length; i++)
            {
                Assert.Equal(data[i], back[i]);
            }
        }

        // The initiator receives in place with or without digests (the CRC is of its own buffer); the target only
        // without data digests (with them it keeps the copy whose digest is exact).
        Assert.True(host.BytesReceivedInPlace > 0, "the initiator received no C2HData payload in place");
        if (dataDigest)
        {
            Assert.Equal(0, counter.Bytes);
        }
        else
        {
            Assert.True(counter.Bytes >= 3L * lengths.Sum(), $"the target moved only {counter.Bytes} bytes in place");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BlockSizedReads_AreSentFromTheNamespaceWithoutDataDigests(bool dataDigest)
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        NvmeTcpInitiatorOptions options = NvmeTestTarget.Host();
        options.DataDigest = dataDigest;
        await using NvmeTcpInitiator host = await target.ConnectAsync(options);
        using var counter = new InPlaceCounter();

        // 4 KiB reads, 32 at once: each C2HData payload is one gather element of the batch's sendmsg.
        byte[][] data = Enumerable.Range(0, 32).Select(_ => RandomBytes(TargetSession.InPlaceSendThreshold)).ToArray();
        byte[][] back = data.Select(d => new byte[d.Length]).ToArray();
        await Task.WhenAll(data.Select((d, i) => host.WriteAsync(1, (ulong)i * 8, d).AsTask()));
        await Task.WhenAll(data.Select((_, i) => host.ReadAsync(1, (ulong)i * 8, back[i]).AsTask()));
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal(data[i], back[i]);
        }

        // The writes came in their capsules (copied); only the reads' payloads count, and only without data digests.
        Assert.Equal(dataDigest ? 0 : 32L * TargetSession.InPlaceSendThreshold, counter.Bytes);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task H2CDataDribbledOverManySocketReads_LandsWhole(bool headerDigest, bool dataDigest)
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        (RawNvmeHost admin, RawNvmeHost io, _) = await OpenIoQueueAsync(target, headerDigest, dataDigest);
        using (admin)
        using (io)
        {
            using var counter = new InPlaceCounter();
            byte[] data = RandomBytes(128 * 1024);
            ushort ttag = await WriteAwaitingR2TAsync(io, 9, lba: 64, data.Length);
            byte[] pdu = io.H2CData(9, ttag, 0, data, last: true);

            // The header and a few bytes first, then pieces of every size, some after a pause.
            int at = 0;
            int piece = 1;
            int sends = 0;
            while (at < pdu.Length)
            {
                int n = Math.Min(pdu.Length - at, at == 0 ? 30 : piece);
                io.Send(pdu.AsSpan(at, n));
                at += n;
                piece = (piece * 7 % 9000) + 1;
                if (++sends % 8 == 0)
                {
                    await Task.Delay(1);
                }
            }

            (ushort status, _, ushort cid) = await io.ReceiveResponseAsync();
            Assert.Equal(9, cid);
            Assert.Equal(0, status);
            if (!dataDigest)
            {
                Assert.True(counter.Bytes > data.Length / 2, $"only {counter.Bytes} bytes were received in place");
            }

            await using NvmeTcpInitiator host = await target.ConnectAsync();
            byte[] back = new byte[data.Length];
            await host.ReadAsync(1, 64, back);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public async Task PeerClosesMidPayload_OnlyThatConnectionEnds()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator healthy = await target.ConnectAsync();
        (RawNvmeHost admin, RawNvmeHost io, ushort controllerId) = await OpenIoQueueAsync(target, false, false);
        using (admin)
        {
            using (io)
            {
                ushort ttag = await WriteAwaitingR2TAsync(io, 9, lba: 0, 128 * 1024);
                byte[] pdu = io.H2CData(9, ttag, 0, RandomBytes(128 * 1024), last: true);
                io.Send(pdu.AsSpan(0, 40 * 1024));
                await Task.Delay(50);
            }

            // The I/O queue's session ends and gives its queue ID back: the same queue connects again on the same
            // controller, whose admin queue, like the namespace and the other host, carries on.
            Assert.True(await ReconnectsAsync(target, controllerId), "queue 1 of the controller stayed taken");
            Assert.Equal(2, target.Target.ControllerCount);
            admin.Send(admin.Capsule(NvmeAsyncEventTests.PropertySetCc(3, 0x00460001)));
            Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);
            byte[] data = RandomBytes(128 * 1024);
            await healthy.WriteAsync(1, 256, data);
            byte[] back = new byte[data.Length];
            await healthy.ReadAsync(1, 256, back);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public async Task NamespaceDetachedWhilePeerStallsMidPayload_DetachIsNotHeldAndTheWriteFails()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        (RawNvmeHost admin, RawNvmeHost io, _) = await OpenIoQueueAsync(target, false, false);
        using (admin)
        using (io)
        {
            ushort ttag = await WriteAwaitingR2TAsync(io, 9, lba: 0, 128 * 1024);
            byte[] pdu = io.H2CData(9, ttag, 0, RandomBytes(128 * 1024), last: true);
            io.Send(pdu.AsSpan(0, 40 * 1024));
            await Task.Delay(100);

            // The queue waits for the rest outside its Process call: the grace period ends without it.
            Task<bool> detach = target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 1);
            Assert.Same(detach, await Task.WhenAny(detach, Task.Delay(5000)));
            Assert.True(await detach);
            io.Send(pdu.AsSpan(40 * 1024));
            (ushort status, _, ushort cid) = await io.ReceiveResponseAsync();
            Assert.Equal(9, cid);
            Assert.Equal(NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry, status);
        }
    }

    [Theory]
    [InlineData(4096u, 64 * 1024, 0x04, 12u)]  // DATAO not the next byte the R2T expects
    [InlineData(0u, 96 * 1024, 0x04, 12u)]     // DATAO + DATAL past the R2T's 64 KiB
    public async Task H2CDataWithWrongDataoOrDatal_RefusedBeforeThePayloadLands(uint offset, int length, int fes, uint fei)
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator healthy = await target.ConnectAsync();
        byte[] before = RandomBytes(96 * 1024);
        await healthy.WriteAsync(1, 0, before);
        (RawNvmeHost admin, RawNvmeHost io, _) = await OpenIoQueueAsync(target, false, false);
        using (admin)
        using (io)
        {
            ushort ttag = await WriteAwaitingR2TAsync(io, 9, lba: 0, 64 * 1024);
            byte[] pdu = io.H2CData(9, ttag, offset, RandomBytes(length), last: true);

            // Only the header and the first bytes: the answer cannot wait for the rest.
            io.Send(pdu.AsSpan(0, 2048));
            await io.ExpectTermReqAndCloseAsync(fes, fei);
        }

        byte[] back = new byte[before.Length];
        await healthy.ReadAsync(1, 0, back);
        Assert.Equal(before, back);
    }

    [Fact]
    public async Task H2CDataWhoseDatalDisagreesWithPlen_RefusedBeforeThePayloadLands()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        (RawNvmeHost admin, RawNvmeHost io, _) = await OpenIoQueueAsync(target, false, false);
        using (admin)
        using (io)
        {
            ushort ttag = await WriteAwaitingR2TAsync(io, 9, lba: 0, 64 * 1024);
            byte[] pdu = io.H2CData(9, ttag, 0, RandomBytes(64 * 1024), last: true);
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(16), 32 * 1024);
            io.Send(pdu.AsSpan(0, 2048));
            await io.ExpectTermReqAndCloseAsync(0x01, 16);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task InitiatorReceivesC2HDataDribbledOverManyReads_IntoTheCallersBuffer(bool headerDigest, bool dataDigest)
    {
        using var controller = HandMadeController.Start();
        Task accepted = controller.AcceptAsync(headerDigest, dataDigest);
        await using InitiatorQueue queue = await InitiatorQueue.OpenAsync(controller.EndPoint, 4, headerDigest, dataDigest, false, CancellationToken.None);
        await accepted;

        byte[] data = RandomBytes(256 * 1024);
        byte[] destination = new byte[data.Length];
        ValueTask<InitiatorCompletion> read = queue.SubmitAsync(ReadSqe(data.Length), default, destination, inCapsule: false);
        ushort cid = await controller.ReceiveCapsuleAsync();

        // Two PDUs of 128 KiB, each dribbled: header first, then pieces of every size, some after a pause.
        for (int half = 0; half < 2; half++)
        {
            byte[] pdu = controller.C2HData(cid, (uint)(half * 128 * 1024), data.AsSpan(half * 128 * 1024, 128 * 1024), last: half == 1);
            await controller.DribbleAsync(pdu, firstPiece: 28 + (headerDigest ? 4 : 0));
        }

        InitiatorCompletion completion = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, completion.Status);
        Assert.Equal(data, destination);
        Assert.True(queue.BytesReceivedInPlace > data.Length / 2, $"only {queue.BytesReceivedInPlace} bytes were received in place");
    }

    [Fact]
    public async Task InitiatorDataDigestWrongOnTheInPlacePath_FailsTheCommand()
    {
        using var controller = HandMadeController.Start();
        Task accepted = controller.AcceptAsync(false, true);
        await using InitiatorQueue queue = await InitiatorQueue.OpenAsync(controller.EndPoint, 4, false, true, false, CancellationToken.None);
        await accepted;

        byte[] destination = new byte[128 * 1024];
        ValueTask<InitiatorCompletion> read = queue.SubmitAsync(ReadSqe(destination.Length), default, destination, inCapsule: false);
        ushort cid = await controller.ReceiveCapsuleAsync();
        byte[] pdu = controller.C2HData(cid, 0, RandomBytes(destination.Length), last: true);
        pdu[^1] ^= 0x01;
        await controller.DribbleAsync(pdu, firstPiece: 100);
        NvmeCommandException e = await Assert.ThrowsAsync<NvmeCommandException>(() => read.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("digest", e.InnerException?.Message ?? e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InitiatorControllerClosesMidPayload_FailsTheCommandWithoutHanging()
    {
        using var controller = HandMadeController.Start();
        Task accepted = controller.AcceptAsync(false, false);
        await using InitiatorQueue queue = await InitiatorQueue.OpenAsync(controller.EndPoint, 4, false, false, false, CancellationToken.None);
        await accepted;

        byte[] destination = new byte[128 * 1024];
        ValueTask<InitiatorCompletion> read = queue.SubmitAsync(ReadSqe(destination.Length), default, destination, inCapsule: false);
        ushort cid = await controller.ReceiveCapsuleAsync();
        byte[] pdu = controller.C2HData(cid, 0, RandomBytes(destination.Length), last: true);
        controller.Send(pdu.AsSpan(0, 50 * 1024));
        await Task.Delay(50);
        controller.ClosePeer();
        await Assert.ThrowsAsync<NvmeCommandException>(() => read.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData(4096u, 64 * 1024)]       // DATAO not the next byte expected
    [InlineData(0u, (128 * 1024) + 512)] // DATAL past the command's buffer
    public async Task InitiatorC2HDataWithWrongDataoOrDatal_FailsBeforeThePayloadLands(uint offset, int length)
    {
        using var controller = HandMadeController.Start();
        Task accepted = controller.AcceptAsync(false, false);
        await using InitiatorQueue queue = await InitiatorQueue.OpenAsync(controller.EndPoint, 4, false, false, false, CancellationToken.None);
        await accepted;

        byte[] destination = new byte[128 * 1024];
        ValueTask<InitiatorCompletion> read = queue.SubmitAsync(ReadSqe(destination.Length), default, destination, inCapsule: false);
        ushort cid = await controller.ReceiveCapsuleAsync();
        byte[] pdu = controller.C2HData(cid, offset, RandomBytes(length), last: true);

        // Only the header and a few bytes: the queue must not wait for the payload to refuse it.
        controller.Send(pdu.AsSpan(0, 1024));
        await Assert.ThrowsAsync<NvmeCommandException>(() => read.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    private static ulong Lba(int index) => (ulong)index * 4096;

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static SubmissionQueueEntry ReadSqe(int bytes) => new()
    {
        Opcode = NvmeOpcodes.Read,
        NamespaceId = 1,
        Dword12 = (uint)(bytes / 512) - 1,
    };

    /// <summary>Whether a new connection gets I/O queue 1 of the controller within 5 s (the old one gave it back).</summary>
    private static async Task<bool> ReconnectsAsync(NvmeTestTarget target, ushort controllerId)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using RawNvmeHost io = await RawNvmeHost.ConnectAsync(target.EndPoint);
            await io.InitializeAsync();
            io.Send(io.Capsule(RawNvmeHost.ConnectSqe(1, 1, inCapsule: true), RawNvmeHost.ConnectData(controllerId: controllerId)));
            if ((await io.ReceiveResponseAsync()).Status == 0)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>An admin queue (Connect, CC.EN) and one I/O queue of its controller, each a raw connection.</summary>
    private static async Task<(RawNvmeHost Admin, RawNvmeHost Io, ushort ControllerId)> OpenIoQueueAsync(NvmeTestTarget target, bool headerDigest, bool dataDigest)
    {
        RawNvmeHost admin = await RawNvmeHost.ConnectAsync(target.EndPoint);
        await admin.InitializeAsync();
        admin.Send(admin.Capsule(RawNvmeHost.ConnectSqe(1, 0, inCapsule: true), RawNvmeHost.ConnectData()));
        (ushort status, uint controllerId, _) = await admin.ReceiveResponseAsync();
        Assert.Equal(0, status);
        admin.Send(admin.Capsule(NvmeAsyncEventTests.PropertySetCc(2, 0x00460001)));
        Assert.Equal(0, (await admin.ReceiveResponseAsync()).Status);

        RawNvmeHost io = await RawNvmeHost.ConnectAsync(target.EndPoint);
        await io.InitializeAsync(headerDigest, dataDigest);
        io.Send(io.Capsule(RawNvmeHost.ConnectSqe(1, 1, inCapsule: true), RawNvmeHost.ConnectData(controllerId: (ushort)controllerId)));
        Assert.Equal(0, (await io.ReceiveResponseAsync()).Status);
        return (admin, io, (ushort)controllerId);
    }

    /// <summary>A Write too large for the capsule: returns the TTAG of the R2T that asks for all of it.</summary>
    private static async Task<ushort> WriteAwaitingR2TAsync(RawNvmeHost io, ushort cid, ulong lba, int bytes)
    {
        io.Send(io.Capsule(NvmeAsyncEventTests.WriteSqe(cid, nsid: 1, lba, blocks: bytes / 512)));
        byte[] r2t = await io.ReceivePduAsync();
        Assert.Equal(0x09, r2t[0]);
        Assert.Equal(cid, BinaryPrimitives.ReadUInt16LittleEndian(r2t.AsSpan(8)));
        Assert.Equal((uint)bytes, BinaryPrimitives.ReadUInt32LittleEndian(r2t.AsSpan(16)));
        return BinaryPrimitives.ReadUInt16LittleEndian(r2t.AsSpan(10));
    }

    /// <summary>Sums the target's <c>nvme.target.in_place.bytes</c> while it lives.</summary>
    private sealed class InPlaceCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _bytes;

        public InPlaceCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == NvmeMetrics.MeterName && instrument.Name == "nvme.target.in_place.bytes")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _bytes, value));
            _listener.Start();
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>
    /// A controller laid out by hand from the transport specification for the initiator's receive path: answers
    /// ICReq, reads capsules, and sends C2HData PDUs in whatever pieces the test asks for.
    /// </summary>
    private sealed class HandMadeController : IDisposable
    {
        private readonly Socket _listener;
        private Socket? _peer;
        private bool _headerDigest;
        private bool _dataDigest;

        private HandMadeController(Socket listener)
        {
            _listener = listener;
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public static HandMadeController Start()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            return new HandMadeController(listener);
        }

        /// <summary>Accepts the queue's connection, reads its ICReq and answers with an ICResp (CPDA 0, MAXH2CDATA 128 KiB).</summary>
        public async Task AcceptAsync(bool headerDigest, bool dataDigest)
        {
            _peer = await _listener.AcceptAsync();
            _peer.NoDelay = true;
            _headerDigest = headerDigest;
            _dataDigest = dataDigest;
            byte[] icreq = await ReceivePduAsync();
            Assert.Equal(0x00, icreq[0]);
            byte[] icresp = new byte[128];
            icresp[0] = 0x01;
            icresp[2] = 128;
            BinaryPrimitives.WriteUInt32LittleEndian(icresp.AsSpan(4), 128);
            icresp[11] = (byte)((headerDigest ? 1 : 0) | (dataDigest ? 2 : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(icresp.AsSpan(12), 128 * 1024);
            Send(icresp);
        }

        /// <summary>Reads one CapsuleCmd; returns its CID.</summary>
        public async Task<ushort> ReceiveCapsuleAsync()
        {
            byte[] capsule = await ReceivePduAsync();
            Assert.Equal(0x04, capsule[0]);
            return BinaryPrimitives.ReadUInt16LittleEndian(capsule.AsSpan(8 + 2));
        }

        /// <summary>A C2HData PDU (type 07h, HLEN 24, PDO 24 or 28): CCCID at 8, DATAO at 12, DATAL at 16; LAST_PDU and SUCCESS when <paramref name="last"/>.</summary>
        public byte[] C2HData(ushort cid, uint offset, ReadOnlySpan<byte> data, bool last)
        {
            int hd = _headerDigest ? 4 : 0;
            int dd = _dataDigest ? 4 : 0;
            int pdo = 24 + hd;
            byte[] pdu = new byte[pdo + data.Length + dd];
            pdu[0] = 0x07;
            pdu[1] = (byte)((hd != 0 ? 1 : 0) | (dd != 0 ? 2 : 0) | (last ? 0x0C : 0));
            pdu[2] = 24;
            pdu[3] = (byte)pdo;
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(4), (uint)pdu.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(pdu.AsSpan(8), cid);
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(12), offset);
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(16), (uint)data.Length);
            if (hd != 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(24), Crc32C.Compute(pdu.AsSpan(0, 24)));
            }

            data.CopyTo(pdu.AsSpan(pdo));
            if (dd != 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(pdo + data.Length), Crc32C.Compute(data));
            }

            return pdu;
        }

        public void Send(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes[_peer!.Send(bytes)..];
            }
        }

        /// <summary>Sends <paramref name="pdu"/> as <paramref name="firstPiece"/> bytes, then pieces of every size, pausing now and then.</summary>
        public async Task DribbleAsync(byte[] pdu, int firstPiece)
        {
            int at = 0;
            int piece = 3;
            int sends = 0;
            while (at < pdu.Length)
            {
                int n = Math.Min(pdu.Length - at, at == 0 ? firstPiece : piece);
                Send(pdu.AsSpan(at, n));
                at += n;
                piece = (piece * 13 % 12000) + 1;
                if (++sends % 8 == 0)
                {
                    await Task.Delay(1);
                }
            }
        }

        public void ClosePeer() => _peer?.Close();

        public void Dispose()
        {
            _peer?.Dispose();
            _listener.Dispose();
        }

        private Task<byte[]> ReceivePduAsync() => RawNvmeHost.ReceivePduAsync(_peer!, "the initiator");
    }
}

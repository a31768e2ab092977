using System.Net;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// An NVMe over TCP host: connects an admin queue and N I/O queues to one controller, then reads
/// and writes namespaces straight into and out of caller memory. Commands may be issued
/// concurrently from many tasks (up to the queue depth per queue); I/O is spread over the queues
/// round-robin. In steady state an I/O allocates nothing.
/// </summary>
public sealed class NvmeTcpInitiator : IAsyncDisposable
{
    private const int AdminDepth = 32;

    /// <summary>Pieces of a transfer split at MDTS that are in flight at once.</summary>
    private const int SplitWindow = SplitPieces.Length;

    private readonly InitiatorQueue _admin;
    private readonly InitiatorQueue[] _io;
    private readonly Timer? _keepAlive;
    private readonly int _maxTransfer;
    private int _next;
    private int _disposed;

    private NvmeTcpInitiator(InitiatorQueue admin, InitiatorQueue[] io, ushort controllerId, NvmeControllerInfo? controller, TimeSpan keepAlive)
    {
        _admin = admin;
        _io = io;
        ControllerId = controllerId;
        Controller = controller;
        _maxTransfer = controller?.MaxDataTransferSize ?? int.MaxValue;
        if (keepAlive > TimeSpan.Zero)
        {
            _keepAlive = new Timer(static state => _ = ((NvmeTcpInitiator)state!).SendKeepAliveQuietlyAsync(), this, keepAlive / 2, keepAlive / 2);
        }
    }

    /// <summary>The controller ID the target gave.</summary>
    public ushort ControllerId { get; }

    /// <summary>Identify Controller of an I/O controller (null for a discovery controller).</summary>
    public NvmeControllerInfo? Controller { get; }

    /// <summary>Number of I/O queues connected.</summary>
    public int IoQueueCount => _io.Length;

    /// <summary>C2HData payload bytes that the I/O queues received straight into the callers' buffers, not through a receive pipe.</summary>
    internal long BytesReceivedInPlace
    {
        get
        {
            long total = 0;
            foreach (InitiatorQueue queue in _io)
            {
                total += queue.BytesReceivedInPlace;
            }

            return total;
        }
    }

    /// <summary>
    /// Connects: the admin queue (ICReq, Connect, CC.EN and CSTS.RDY, Identify Controller, Number of
    /// Queues), then each I/O queue on its own TCP connection.
    /// </summary>
    /// <param name="endPoint">The target.</param>
    /// <param name="options">Subsystem, host identity, queues and digests.</param>
    /// <param name="cancellationToken">Cancels the connection steps.</param>
    public static async Task<NvmeTcpInitiator> ConnectAsync(EndPoint endPoint, NvmeTcpInitiatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        bool discovery = options.SubsystemNqn == NvmeOpcodes.DiscoveryNqn;
        uint kato = (uint)options.KeepAliveTimeout.TotalMilliseconds;
        InitiatorQueue admin = await InitiatorQueue.OpenAsync(endPoint, AdminDepth, options.HeaderDigest, options.DataDigest, options.RunContinuationsAsynchronously, cancellationToken).ConfigureAwait(false);
        var io = new List<InitiatorQueue>();
        try
        {
            ushort controllerId = await admin.ConnectAsync(0, AdminDepth, kato, 0xFFFF, options.SubsystemNqn, options.HostNqn, options.HostId).ConfigureAwait(false);
            await EnableAsync(admin, cancellationToken).ConfigureAwait(false);
            byte[] page = new byte[AdminPages.IdentifySize];
            InitiatorQueue.ThrowIfFailed(await admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, Dword10 = 1 }, default, page, false).ConfigureAwait(false), "Identify Controller");
            var controller = new NvmeControllerInfo(page);
            int queues = discovery ? 0 : options.IoQueueCount;
            if (queues > 0)
            {
                uint want = (uint)(queues - 1) * 0x10001u;
                InitiatorCompletion granted = await admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.SetFeatures, Dword10 = NvmeOpcodes.FeatureNumberOfQueues, Dword11 = want }, default, default, false).ConfigureAwait(false);
                InitiatorQueue.ThrowIfFailed(granted, "Set Features (Number of Queues)");
                queues = Math.Min(queues, (int)Math.Min(granted.Result & 0xFFFF, (granted.Result >> 16) & 0xFFFF) + 1);
            }

            for (int qid = 1; qid <= queues; qid++)
            {
                InitiatorQueue queue = await InitiatorQueue.OpenAsync(endPoint, options.QueueDepth, options.HeaderDigest, options.DataDigest, options.RunContinuationsAsynchronously, cancellationToken).ConfigureAwait(false);
                io.Add(queue);
                await queue.ConnectAsync((ushort)qid, options.QueueDepth, 0, controllerId, options.SubsystemNqn, options.HostNqn, options.HostId).ConfigureAwait(false);
                queue.InCapsuleDataSize = controller.InCapsuleDataSize;
            }

            return new NvmeTcpInitiator(admin, [.. io], controllerId, discovery ? null : controller, options.KeepAliveTimeout);
        }
        catch
        {
            foreach (InitiatorQueue queue in io)
            {
                await queue.DisposeAsync().ConfigureAwait(false);
            }

            await admin.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Identify Namespace.</summary>
    public async Task<NvmeNamespaceInfo> IdentifyNamespaceAsync(uint namespaceId)
    {
        byte[] page = new byte[AdminPages.IdentifySize];
        InitiatorQueue.ThrowIfFailed(await _admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, NamespaceId = namespaceId }, default, page, false).ConfigureAwait(false), "Identify Namespace");
        return new NvmeNamespaceInfo(namespaceId, page);
    }

    /// <summary>Identify with any CNS into a 4096-byte buffer (active namespace list, descriptors).</summary>
    public async Task<byte[]> IdentifyAsync(byte cns, uint namespaceId = 0)
    {
        byte[] page = new byte[AdminPages.IdentifySize];
        InitiatorQueue.ThrowIfFailed(await _admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, NamespaceId = namespaceId, Dword10 = cns }, default, page, false).ConfigureAwait(false), "Identify");
        return page;
    }

    /// <summary>
    /// Get Log Page: <paramref name="length"/> bytes (a multiple of 4) of log <paramref name="logId"/> from
    /// <paramref name="offset"/>; with <paramref name="retainAsyncEvent"/> (RAE) the read does not clear the event it answers.
    /// </summary>
    public async Task<byte[]> GetLogPageAsync(byte logId, int length, long offset = 0, bool retainAsyncEvent = false)
    {
        if (length <= 0 || length % 4 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "The length is a positive multiple of 4.");
        }

        byte[] page = new byte[length];
        uint numd = (uint)(length / 4) - 1;
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.GetLogPage, NamespaceId = 0xFFFFFFFF, Dword10 = logId | (retainAsyncEvent ? 1u << 15 : 0) | (numd << 16), Dword11 = numd >> 16, Dword12And13 = (ulong)offset };
        InitiatorQueue.ThrowIfFailed(await _admin.SubmitAsync(sqe, default, page, false).ConfigureAwait(false), "Get Log Page");
        return page;
    }

    /// <summary>Set Features (current value, not saved): returns DW0 of the completion.</summary>
    public async Task<uint> SetFeatureAsync(byte featureId, uint value)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.SetFeatures, Dword10 = featureId, Dword11 = value };
        InitiatorCompletion completion = await _admin.SubmitAsync(sqe, default, default, false).ConfigureAwait(false);
        InitiatorQueue.ThrowIfFailed(completion, "Set Features");
        return (uint)completion.Result;
    }

    /// <summary>Get Features (current value): DW0 of the completion.</summary>
    public async Task<uint> GetFeatureAsync(byte featureId)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.GetFeatures, Dword10 = featureId };
        InitiatorCompletion completion = await _admin.SubmitAsync(sqe, default, default, false).ConfigureAwait(false);
        InitiatorQueue.ThrowIfFailed(completion, "Get Features");
        return (uint)completion.Result;
    }

    /// <summary>
    /// Sends an Asynchronous Event Request and completes when the controller posts an event on it (enable them first
    /// with <see cref="SetFeatureAsync"/>, feature 0Bh); it holds one admin slot until then. Read the event's log page
    /// (with RAE cleared) before the next event of the same type can come.
    /// </summary>
    /// <exception cref="NvmeCommandException">The controller refused it (Asynchronous Event Request Limit Exceeded) or the connection ended.</exception>
    public async Task<NvmeAsyncEvent> WaitForAsyncEventAsync()
    {
        InitiatorCompletion completion = await _admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.AsyncEventRequest }, default, default, false).ConfigureAwait(false);
        InitiatorQueue.ThrowIfFailed(completion, "Asynchronous Event Request");
        return new NvmeAsyncEvent((uint)completion.Result);
    }

    /// <summary>
    /// Reads whole blocks from <paramref name="lba"/> into <paramref name="destination"/> (a multiple of
    /// the block size). A transfer larger than the controller's MDTS is split into several Reads,
    /// up to <see cref="SplitWindow"/> of them in flight.
    /// </summary>
    public ValueTask ReadAsync(uint namespaceId, ulong lba, Memory<byte> destination, int blockSize = 512)
    {
        CheckBlocks(destination.Length, blockSize);
        return destination.Length <= MaxCommandBytes(blockSize)
            ? ReadOneAsync(NextQueue(), namespaceId, lba, destination, blockSize)
            : ReadSplitAsync(namespaceId, lba, destination, blockSize);
    }

    /// <summary>
    /// Writes whole blocks from <paramref name="source"/> at <paramref name="lba"/>; in the capsule when
    /// small enough, else on the controller's R2T. A transfer larger than the controller's MDTS is
    /// split into several Writes, up to <see cref="SplitWindow"/> of them in flight (each piece is
    /// atomic on its own, the whole is not).
    /// </summary>
    public ValueTask WriteAsync(uint namespaceId, ulong lba, ReadOnlyMemory<byte> source, int blockSize = 512, bool forceUnitAccess = false)
    {
        CheckBlocks(source.Length, blockSize);
        return source.Length <= MaxCommandBytes(blockSize)
            ? WriteOneAsync(NextQueue(), namespaceId, lba, source, blockSize, forceUnitAccess)
            : WriteSplitAsync(namespaceId, lba, source, blockSize, forceUnitAccess);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReadOneAsync(InitiatorQueue queue, uint namespaceId, ulong lba, Memory<byte> destination, int blockSize)
        => InitiatorQueue.ThrowIfFailed(await SubmitReadAsync(queue, namespaceId, lba, destination, blockSize).ConfigureAwait(false), "Read");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WriteOneAsync(InitiatorQueue queue, uint namespaceId, ulong lba, ReadOnlyMemory<byte> source, int blockSize, bool forceUnitAccess)
        => InitiatorQueue.ThrowIfFailed(await SubmitWriteAsync(queue, namespaceId, lba, source, blockSize, forceUnitAccess).ConfigureAwait(false), "Write");

    private static ValueTask<InitiatorCompletion> SubmitReadAsync(InitiatorQueue queue, uint namespaceId, ulong lba, Memory<byte> destination, int blockSize)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.Read, NamespaceId = namespaceId, Dword10And11 = lba, Dword12 = (uint)(destination.Length / blockSize) - 1 };
        return queue.SubmitAsync(sqe, default, destination, false);
    }

    private static ValueTask<InitiatorCompletion> SubmitWriteAsync(InitiatorQueue queue, uint namespaceId, ulong lba, ReadOnlyMemory<byte> source, int blockSize, bool forceUnitAccess)
    {
        uint dword12 = ((uint)(source.Length / blockSize) - 1) | (forceUnitAccess ? 1u << 30 : 0);
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.Write, NamespaceId = namespaceId, Dword10And11 = lba, Dword12 = dword12 };
        return queue.SubmitAsync(sqe, source, default, source.Length <= queue.InCapsuleDataSize);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadSplitAsync(uint namespaceId, ulong lba, Memory<byte> destination, int blockSize)
    {
        int piece = MaxCommandBytes(blockSize);
        InitiatorQueue queue = NextQueue();
        var inFlight = default(SplitPieces);
        int started = 0;
        int finished = 0;
        int count = (destination.Length + piece - 1) / piece;
        ushort status = 0;
        while (finished < count)
        {
            while (started < count && started - finished < SplitWindow)
            {
                int offset = started * piece;
                Memory<byte> part = destination.Slice(offset, Math.Min(piece, destination.Length - offset));
                // Each piece is awaited exactly once, by FinishPieceAsync below.
#pragma warning disable CA2012
                inFlight[started % SplitWindow] = SubmitReadAsync(queue, namespaceId, lba + (ulong)(offset / blockSize), part, blockSize);
#pragma warning restore CA2012
                started++;
            }

            status = await FinishPieceAsync(inFlight[finished % SplitWindow], status).ConfigureAwait(false);
            inFlight[finished % SplitWindow] = default;
            finished++;
        }

        InitiatorQueue.ThrowIfFailed(new InitiatorCompletion(status, 0), "Read");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSplitAsync(uint namespaceId, ulong lba, ReadOnlyMemory<byte> source, int blockSize, bool forceUnitAccess)
    {
        int piece = MaxCommandBytes(blockSize);
        InitiatorQueue queue = NextQueue();
        var inFlight = default(SplitPieces);
        int started = 0;
        int finished = 0;
        int count = (source.Length + piece - 1) / piece;
        ushort status = 0;
        while (finished < count)
        {
            while (started < count && started - finished < SplitWindow)
            {
                int offset = started * piece;
                ReadOnlyMemory<byte> part = source.Slice(offset, Math.Min(piece, source.Length - offset));
                // Each piece is awaited exactly once, by FinishPieceAsync below.
#pragma warning disable CA2012
                inFlight[started % SplitWindow] = SubmitWriteAsync(queue, namespaceId, lba + (ulong)(offset / blockSize), part, blockSize, forceUnitAccess);
#pragma warning restore CA2012
                started++;
            }

            status = await FinishPieceAsync(inFlight[finished % SplitWindow], status).ConfigureAwait(false);
            inFlight[finished % SplitWindow] = default;
            finished++;
        }

        InitiatorQueue.ThrowIfFailed(new InitiatorCompletion(status, 0), "Write");
    }

    /// <summary>Flush (NSID FFFFFFFFh: every namespace).</summary>
    public async ValueTask FlushAsync(uint namespaceId)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.Flush, NamespaceId = namespaceId };
        InitiatorQueue.ThrowIfFailed(await NextQueue().SubmitAsync(sqe, default, default, false).ConfigureAwait(false), "Flush");
    }

    /// <summary>Write Zeroes over <paramref name="blocks"/> blocks.</summary>
    public async ValueTask WriteZeroesAsync(uint namespaceId, ulong lba, int blocks)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.WriteZeroes, NamespaceId = namespaceId, Dword10And11 = lba, Dword12 = (uint)(blocks - 1) };
        InitiatorQueue.ThrowIfFailed(await NextQueue().SubmitAsync(sqe, default, default, false).ConfigureAwait(false), "Write Zeroes");
    }

    /// <summary>Dataset Management with Deallocate over one range.</summary>
    public async ValueTask DeallocateAsync(uint namespaceId, ulong lba, uint blocks)
    {
        byte[] range = new byte[16];
        BitConverter.TryWriteBytes(range.AsSpan(4), blocks);
        BitConverter.TryWriteBytes(range.AsSpan(8), lba);
        InitiatorQueue queue = NextQueue();
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.DatasetManagement, NamespaceId = namespaceId, Dword10 = 0, Dword11 = 4 };
        InitiatorQueue.ThrowIfFailed(await queue.SubmitAsync(sqe, range, default, range.Length <= queue.InCapsuleDataSize).ConfigureAwait(false), "Dataset Management");
    }

    /// <summary>Keep Alive on the admin queue.</summary>
    public async ValueTask KeepAliveAsync()
        => InitiatorQueue.ThrowIfFailed(await _admin.SubmitAsync(new SubmissionQueueEntry { Opcode = NvmeOpcodes.KeepAlive }, default, default, false).ConfigureAwait(false), "Keep Alive");

    /// <summary>Normal shutdown (CC.SHN, wait for CSTS.SHST complete), then closes every queue.</summary>
    public async Task DisconnectAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            await PropertySetAsync(_admin, NvmeOpcodes.PropertyCc, 0x00464001).ConfigureAwait(false);
            for (int i = 0; i < 100; i++)
            {
                if (((await PropertyGetAsync(_admin, NvmeOpcodes.PropertyCsts).ConfigureAwait(false) >> 2) & 3) == 2)
                {
                    break;
                }

                await Task.Delay(10).ConfigureAwait(false);
            }
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_keepAlive is not null)
        {
            await _keepAlive.DisposeAsync().ConfigureAwait(false);
        }

        foreach (InitiatorQueue queue in _io)
        {
            await queue.DisposeAsync().ConfigureAwait(false);
        }

        await _admin.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task EnableAsync(InitiatorQueue admin, CancellationToken cancellationToken)
    {
        // CC: EN, IOSQES 6 (64 bytes), IOCQES 4 (16 bytes), CSS NVM, MPS 4 KiB.
        await PropertySetAsync(admin, NvmeOpcodes.PropertyCc, 0x00460001).ConfigureAwait(false);
        for (int i = 0; i < 200; i++)
        {
            ulong csts = await PropertyGetAsync(admin, NvmeOpcodes.PropertyCsts).ConfigureAwait(false);
            if ((csts & NvmeController.CstsFatal) != 0)
            {
                throw new NvmeCommandException("The controller reported a fatal status (CSTS.CFS) when enabled.");
            }

            if ((csts & NvmeController.CstsReady) != 0)
            {
                return;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        throw new NvmeCommandException("The controller did not become ready (CSTS.RDY).");
    }

    private static async Task PropertySetAsync(InitiatorQueue admin, uint offset, uint value)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.Fabrics, FabricsType = NvmeOpcodes.PropertySet, Dword11 = offset, Dword12And13 = value };
        InitiatorQueue.ThrowIfFailed(await admin.SubmitAsync(sqe, default, default, false).ConfigureAwait(false), "Property Set");
    }

    private static async Task<ulong> PropertyGetAsync(InitiatorQueue admin, uint offset)
    {
        var sqe = new SubmissionQueueEntry { Opcode = NvmeOpcodes.Fabrics, FabricsType = NvmeOpcodes.PropertyGet, Dword10 = offset == NvmeOpcodes.PropertyCap ? 1u : 0u, Dword11 = offset };
        InitiatorCompletion completion = await admin.SubmitAsync(sqe, default, default, false).ConfigureAwait(false);
        InitiatorQueue.ThrowIfFailed(completion, "Property Get");
        return completion.Result;
    }

    /// <summary>Awaits one piece of a split transfer; keeps the first failing status, so every piece is awaited even after one fails.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ushort> FinishPieceAsync(ValueTask<InitiatorCompletion> piece, ushort status)
    {
        InitiatorCompletion completion = await piece.ConfigureAwait(false);
        return status != 0 ? status : completion.Status;
    }

    private static void CheckBlocks(int length, int blockSize)
    {
        if (blockSize <= 0 || length <= 0 || length % blockSize != 0)
        {
            throw new ArgumentException($"The buffer ({length} bytes) is not a positive number of whole {blockSize}-byte blocks.", nameof(length));
        }
    }

    /// <summary>The largest transfer of one command: MDTS, and at most 65536 blocks (NLB is 16 bits).</summary>
    private int MaxCommandBytes(int blockSize) => (int)Math.Min(_maxTransfer, 65536L * blockSize);

    private InitiatorQueue NextQueue()
    {
        if (_io.Length == 0)
        {
            throw new InvalidOperationException("This connection has no I/O queue.");
        }

        return _io[(int)((uint)Interlocked.Increment(ref _next) % (uint)_io.Length)];
    }

    private async Task SendKeepAliveQuietlyAsync()
    {
        try
        {
            await KeepAliveAsync().ConfigureAwait(false);
        }
        catch (NvmeCommandException)
        {
            // The connection ended; the next command reports it.
        }
    }
}

/// <summary>The pieces of a split transfer in flight, kept in the async method's frame (no allocation).</summary>
[InlineArray(Length)]
internal struct SplitPieces
{
    /// <summary>Pieces in flight at most.</summary>
    public const int Length = 4;

    private ValueTask<InitiatorCompletion> _element;
}

using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A vhost-user virtio-net device: the backend side of the vhost-user protocol on a unix socket, in server
/// mode (it listens) or client mode (it connects, and reconnects). The frontend (QEMU, DPDK virtio-user)
/// shares guest memory and the rings; each queue pair is a <see cref="VhostUserPort"/>.
/// </summary>
/// <remarks>
/// <para>Every message is checked (header flags and version, the payload size and descriptor count each
/// request takes, indices, feature subsets); a bad one closes the connection. When a frontend disconnects,
/// every mapping and descriptor it gave is released and the backend waits for the next one, which negotiates
/// from scratch. A driver error on a ring stops that ring, signals its error eventfd and sets
/// <see cref="NeedsReset"/>; the process and the other rings go on.</para>
/// <para>Offered: <c>VERSION_1</c>, <c>ANY_LAYOUT</c>, protocol features (<c>MQ</c>, <c>REPLY_ACK</c>) and,
/// as <see cref="VhostUserBackendOptions"/> says, <c>MRG_RXBUF</c>, <c>RING_PACKED</c>, <c>INDIRECT_DESC</c>,
/// <c>EVENT_IDX</c>, <c>MQ</c> and the checksum/TSO offloads. Dirty-page logging is not offered, so
/// <c>SET_LOG_BASE</c> and <c>SET_LOG_FD</c> are refused.</para>
/// </remarks>
public sealed class VhostUserBackend : IDisposable
{
    /// <summary>Name of the <see cref="Meter"/> that publishes the ports' counters.</summary>
    public const string MeterName = "ReNESENS.DataPlane.Virtio";

    /// <summary>Most queue pairs a backend offers.</summary>
    public const int MaxQueuePairs = 64;

    private const ulong FeatureCsum = 1UL << 0;
    private const ulong FeatureGuestCsum = 1UL << 1;
    private const ulong FeatureGuestTso4 = 1UL << 7;
    private const ulong FeatureGuestTso6 = 1UL << 8;
    private const ulong FeatureHostTso4 = 1UL << 11;
    private const ulong FeatureHostTso6 = 1UL << 12;
    private const ulong FeatureMergeable = 1UL << 15;
    private const ulong FeatureMultiQueue = 1UL << 22;
    private const ulong FeatureAnyLayout = 1UL << 27;
    private const ulong FeatureIndirect = 1UL << 28;
    private const ulong FeatureEventIndex = 1UL << 29;
    private const ulong FeatureProtocolFeatures = 1UL << 30;
    private const ulong FeatureVersion1 = 1UL << 32;
    private const ulong FeaturePacked = 1UL << 34;
    private const ulong FeatureInOrder = 1UL << 35;
    private const ulong ProtocolMultiQueue = 1UL << 0;
    private const ulong ProtocolReplyAck = 1UL << 3;
    private const int PollMicroseconds = 100_000;

    private readonly VhostUserBackendOptions _options;
    private readonly ILogger _logger;
    private readonly VhostUserPort[] _ports;
    private readonly VringState[] _vrings;
    private readonly Meter _meter;
    private readonly ulong _protocolOffered = ProtocolMultiQueue | ProtocolReplyAck;
    private readonly SafeFdHandle?[] _fds = new SafeFdHandle?[GuestMemory.MaxRegions];
    private readonly byte[] _buffer = new byte[VhostUserMessage.HeaderSize + VhostUserMessage.MaxPayloadSize];

    private Thread? _thread;
    private Socket? _listener;

    /// <summary>The live connection; written by the control thread, read by <see cref="Dispose"/> to wake it.</summary>
    private Socket? _connection;

    /// <summary>1 once disposed; written by <see cref="Dispose"/>, read by the control thread.</summary>
    private int _disposed;

    // Session state: control thread only (published values read through Volatile by the properties).
    private GuestMemory? _memory;
    private ulong _features;
    private ulong _protocolFeatures;
    private long _connections;
    private int _needsReset;

    /// <summary>Creates the device; call <see cref="Start"/> to listen or connect.</summary>
    /// <param name="options">Socket path, mode, queue pairs and offered features.</param>
    /// <param name="pool">Buffers for the packets the guests transmit (<see cref="VhostUserPort.ReceiveBurst"/>).</param>
    /// <param name="logger">Logs connections, refused messages and stopped rings.</param>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public VhostUserBackend(VhostUserBackendOptions options, BufferPool pool, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentException.ThrowIfNullOrEmpty(options.SocketPath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueuePairs, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.QueuePairs, MaxQueuePairs, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxPacketLength, nameof(options));
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        DeviceFeatures = FeatureVersion1 | FeatureAnyLayout | FeatureProtocolFeatures
            | (options.MergeableReceiveBuffers ? FeatureMergeable : 0)
            | (options.PackedRing ? FeaturePacked : 0)
            | (options.IndirectDescriptors ? FeatureIndirect : 0)
            | (options.EventIndex ? FeatureEventIndex : 0)
            | (options.InOrder ? FeatureInOrder : 0)
            | (options.QueuePairs > 1 ? FeatureMultiQueue : 0)
            | (options.Offloads ? FeatureCsum | FeatureGuestCsum | FeatureHostTso4 | FeatureHostTso6 | FeatureGuestTso4 | FeatureGuestTso6 : 0);
        _ports = new VhostUserPort[options.QueuePairs];
        _vrings = new VringState[2 * options.QueuePairs];
        for (int i = 0; i < _ports.Length; i++)
        {
            _ports[i] = new VhostUserPort($"{options.PortNamePrefix}{i}", i, pool, options.MaxPacketLength, _logger);
        }

        for (int i = 0; i < _vrings.Length; i++)
        {
            _vrings[i] = new VringState();
        }

        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("renesens.virtio.packets", () => Measure(static (s, rx) => rx ? s.ReceivedPackets : s.TransmittedPackets), "{packet}", "Packets moved, by port and direction (rx: from the guest).");
        _meter.CreateObservableCounter("renesens.virtio.bytes", () => Measure(static (s, rx) => rx ? s.ReceivedBytes : s.TransmittedBytes), "By", "Packet bytes moved, without the virtio-net header.");
        _meter.CreateObservableCounter("renesens.virtio.drops", () => Measure(static (s, rx) => rx ? s.ReceiveDrops : s.TransmitDrops + s.TransmitNoRoom), "{packet}", "Packets dropped or refused for lack of guest buffers.");
        _meter.CreateObservableCounter("renesens.virtio.descriptor_errors", () => Measure(static (s, rx) => rx ? s.DescriptorErrors : 0), "{error}", "Rings stopped on a driver error.");
    }

    /// <summary>The queue pairs, one port each; the same objects across frontend connections.</summary>
    public IReadOnlyList<VhostUserPort> Ports => _ports;

    /// <summary>The features the device offers.</summary>
    public ulong DeviceFeatures { get; }

    /// <summary>The features the current frontend accepted (0 without a frontend).</summary>
    public ulong NegotiatedFeatures => Volatile.Read(ref _features);

    /// <summary>True while a frontend is connected.</summary>
    public bool IsConnected => Volatile.Read(ref _connection) is not null;

    /// <summary>Frontend connections served so far.</summary>
    public long ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>
    /// True when a ring of the current connection stopped on a driver error or could not be mapped
    /// (the device needs a reset, <c>VIRTIO_CONFIG_S_NEEDS_RESET</c>); cleared by the next connection.
    /// </summary>
    public bool NeedsReset => Volatile.Read(ref _needsReset) != 0 || Array.Exists(_ports, p => p.HasQueueError);

    /// <summary>Listens (server mode) or starts connecting (client mode) on a background thread.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="SocketException">Server mode: the socket path cannot be bound.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_thread is not null)
        {
            throw new InvalidOperationException("The backend is already started.");
        }

        if (_options.Mode == VhostUserMode.Server)
        {
            if (File.Exists(_options.SocketPath))
            {
                File.Delete(_options.SocketPath);
            }

            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(_options.SocketPath));
            _listener.Listen(1);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "vhost-user " + Path.GetFileName(_options.SocketPath) };
        _thread.Start();
    }

    /// <summary>Closes the socket, releases the frontend's memory and descriptors, and stops the control thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Volatile.Read(ref _connection)?.Shutdown(SocketShutdown.Both);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }

        _thread?.Join();
        _listener?.Dispose();
        if (_options.Mode == VhostUserMode.Server && _listener is not null)
        {
            File.Delete(_options.SocketPath);
        }

        ResetSession();
        foreach (VhostUserPort port in _ports)
        {
            port.CloseWaitSet();
        }

        _meter.Dispose();
    }

    private bool Disposed => Volatile.Read(ref _disposed) != 0;

    private IEnumerable<Measurement<long>> Measure(Func<VhostUserPortStatistics, bool, long> pick)
    {
        foreach (VhostUserPort port in _ports)
        {
            VhostUserPortStatistics s = port.GetStatistics();
            yield return new Measurement<long>(pick(s, true), new("port", port.Name), new("direction", "rx"));
            yield return new Measurement<long>(pick(s, false), new("port", port.Name), new("direction", "tx"));
        }
    }

    private void Run()
    {
        try
        {
            while (!Disposed)
            {
                Socket? connection = _options.Mode == VhostUserMode.Server ? Accept() : Connect();
                if (connection is not null)
                {
                    Serve(connection);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or NativeCallException or IOException)
        {
            if (!Disposed)
            {
                VhostUserLog.LoopFailed(_logger, _options.SocketPath, e);
            }
        }
    }

    private Socket? Accept()
    {
        Socket listener = _listener!;
        while (!Disposed)
        {
            if (listener.Poll(PollMicroseconds, SelectMode.SelectRead))
            {
                Socket s = listener.Accept();
                s.Blocking = true;
                return s;
            }
        }

        return null;
    }

    private Socket? Connect()
    {
        while (!Disposed)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(_options.SocketPath));
                return s;
            }
            catch (SocketException)
            {
                s.Dispose();
                Thread.Sleep(_options.ReconnectDelay);
            }
        }

        return null;
    }

    private void Serve(Socket connection)
    {
        Volatile.Write(ref _connection, connection);
        Interlocked.Increment(ref _connections);
        VhostUserLog.Connected(_logger, _options.SocketPath, _options.Mode);
        try
        {
            while (!Disposed)
            {
                if (!connection.Poll(PollMicroseconds, SelectMode.SelectRead))
                {
                    continue;
                }

                VhostUserProtocolError error = ReadMessage(connection, out VhostUserMessage message, out int fdCount, out bool closed);
                if (closed)
                {
                    break;
                }

                if (error == VhostUserProtocolError.None)
                {
                    VhostUserLog.Received(_logger, _options.SocketPath, message.Request, message.PayloadSize, message.NeedReply, fdCount, message.Index, message.Value);
                    error = Handle(connection, ref message);
                }

                CloseUnclaimedFds(fdCount);
                if (error != VhostUserProtocolError.None)
                {
                    VhostUserLog.ProtocolError(_logger, _options.SocketPath, (uint)message.Request, error);
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // The frontend went away while we replied.
        }
        finally
        {
            CloseUnclaimedFds(_fds.Length);
            ResetSession();
            Volatile.Write(ref _connection, null);
            connection.Dispose();
            VhostUserLog.Disconnected(_logger, _options.SocketPath);
        }
    }

    /// <summary>Reads one message: header (with the descriptors), then exactly the payload the header announces.</summary>
    private VhostUserProtocolError ReadMessage(Socket connection, out VhostUserMessage message, out int fdCount, out bool closed)
    {
        message = default;
        fdCount = 0;
        closed = false;
        Span<byte> buffer = _buffer;
        int got = 0;
        try
        {
            while (got < VhostUserMessage.HeaderSize)
            {
                int n = UnixSocketFds.Receive(connection.SafeHandle, buffer[got..VhostUserMessage.HeaderSize], _fds.AsSpan(fdCount), out int received);
                fdCount += received;
                if (n == 0)
                {
                    closed = got == 0;
                    return VhostUserProtocolError.Truncated;
                }

                got += n;
            }

            VhostUserProtocolError error = VhostUserMessage.TryParseHeader(buffer[..VhostUserMessage.HeaderSize], out message);
            if (error != VhostUserProtocolError.None)
            {
                return error;
            }

            Span<byte> payload = buffer.Slice(VhostUserMessage.HeaderSize, message.PayloadSize);
            got = 0;
            while (got < payload.Length)
            {
                // No descriptor may come with the payload bytes: any that does is closed and refused (EMSGSIZE).
                int n = UnixSocketFds.Receive(connection.SafeHandle, payload[got..], Span<SafeFdHandle?>.Empty, out _);
                if (n == 0)
                {
                    return VhostUserProtocolError.Truncated;
                }

                got += n;
            }

            return VhostUserMessage.TryParsePayload(ref message, payload, fdCount);
        }
        catch (NativeCallException e) when (e.Errno == NativeError.EMSGSIZE)
        {
            return VhostUserProtocolError.BadFileDescriptorCount;
        }
        catch (NativeCallException)
        {
            closed = got == 0;
            return VhostUserProtocolError.Truncated;
        }
    }

    private VhostUserProtocolError Handle(Socket connection, ref VhostUserMessage m)
    {
        Span<byte> reply = stackalloc byte[8];
        int replySize = -1;
        VhostUserProtocolError error = VhostUserProtocolError.None;
        bool isVring = m.Request is VhostUserRequest.SetVringNum or VhostUserRequest.SetVringAddr or VhostUserRequest.SetVringBase
            or VhostUserRequest.GetVringBase or VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall
            or VhostUserRequest.SetVringErr or VhostUserRequest.SetVringEnable;
        if (isVring && m.Index >= (uint)_vrings.Length)
        {
            return VhostUserProtocolError.BadValue;
        }

        VringState? ring = isVring ? _vrings[m.Index] : null;
        switch (m.Request)
        {
            case VhostUserRequest.GetFeatures:
                BinaryPrimitives.WriteUInt64LittleEndian(reply, DeviceFeatures);
                replySize = 8;
                break;
            case VhostUserRequest.SetFeatures:
                error = SetFeatures(m.Value);
                break;
            case VhostUserRequest.SetOwner:
                break;
            case VhostUserRequest.ResetOwner:
                ResetSession();
                break;
            case VhostUserRequest.GetProtocolFeatures:
                BinaryPrimitives.WriteUInt64LittleEndian(reply, _protocolOffered);
                replySize = 8;
                break;
            case VhostUserRequest.SetProtocolFeatures:
                if ((m.Value & ~_protocolOffered) != 0)
                {
                    return VhostUserProtocolError.BadValue;
                }

                _protocolFeatures = m.Value;
                break;
            case VhostUserRequest.GetQueueNum:
                BinaryPrimitives.WriteUInt64LittleEndian(reply, (ulong)_ports.Length);
                replySize = 8;
                break;
            case VhostUserRequest.SetMemTable:
                error = SetMemoryTable(ref m);
                break;
            case VhostUserRequest.SetVringNum:
                if (ring!.Queue is not null || m.Number is 0 or > Virtqueue.MaxSize)
                {
                    return VhostUserProtocolError.BadValue;
                }

                ring.Size = (int)m.Number;
                break;
            case VhostUserRequest.SetVringAddr:
                if (ring!.Queue is not null)
                {
                    return VhostUserProtocolError.BadValue;
                }

                ring.Descriptors = m.DescriptorAddress;
                ring.Avail = m.AvailAddress;
                ring.Used = m.UsedAddress;
                ring.HasAddresses = true;
                break;
            case VhostUserRequest.SetVringBase:
                if (ring!.Queue is not null || m.Number > 0xFFFF)
                {
                    return VhostUserProtocolError.BadValue;
                }

                ring.Base = m.Number;
                break;
            case VhostUserRequest.GetVringBase:
                StopRing((int)m.Index);
                ring!.Kicked = false;
                ring.Kick?.Dispose();
                ring.Kick = null;
                BinaryPrimitives.WriteUInt32LittleEndian(reply, m.Index);
                BinaryPrimitives.WriteUInt32LittleEndian(reply[4..], ring.Base);
                replySize = 8;
                break;
            case VhostUserRequest.SetVringKick:
                // A new kick for a running ring: the port must let go of the old one before it is closed.
                StopRing((int)m.Index);
                ring!.Kick?.Dispose();
                ring.Kick = TakeEventFd(m.NoFd);
                ring.Kicked = true;
                if ((_features & FeatureProtocolFeatures) == 0)
                {
                    ring.Enabled = true;
                }

                TryStartRing((int)m.Index);
                break;
            case VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr:
                bool running = ring!.Queue is not null;
                StopRing((int)m.Index);
                ref EventFd? slot = ref m.Request == VhostUserRequest.SetVringCall ? ref ring.Call : ref ring.Error;
                slot?.Dispose();
                slot = TakeEventFd(m.NoFd);
                if (running)
                {
                    TryStartRing((int)m.Index);
                }

                break;
            case VhostUserRequest.SetVringEnable:
                if ((_features & FeatureProtocolFeatures) == 0 || m.Number > 1)
                {
                    return VhostUserProtocolError.BadValue;
                }

                ring!.Enabled = m.Number == 1;
                if (ring.Enabled)
                {
                    TryStartRing((int)m.Index);
                }
                else
                {
                    StopRing((int)m.Index);
                }

                break;
            default:
                return VhostUserProtocolError.UnsupportedRequest;
        }

        if (replySize < 0 && m.NeedReply && (_protocolFeatures & ProtocolReplyAck) != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(reply, error == VhostUserProtocolError.None ? 0UL : 1UL);
            replySize = 8;
        }

        if (replySize >= 0)
        {
            Span<byte> message = stackalloc byte[VhostUserMessage.HeaderSize + 8];
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)m.Request);
            BinaryPrimitives.WriteUInt32LittleEndian(message[4..], VhostUserMessage.FlagVersion | VhostUserMessage.FlagReply);
            BinaryPrimitives.WriteUInt32LittleEndian(message[8..], (uint)replySize);
            reply[..replySize].CopyTo(message[VhostUserMessage.HeaderSize..]);
            connection.Send(message[..(VhostUserMessage.HeaderSize + replySize)]);
            VhostUserLog.Replied(_logger, _options.SocketPath, m.Request, replySize);
        }

        return error;
    }

    private VhostUserProtocolError SetFeatures(ulong features)
    {
        if ((features & ~DeviceFeatures) != 0)
        {
            return VhostUserProtocolError.BadValue;
        }

        if (features != _features && _vrings.Any(r => r.Queue is not null))
        {
            // Features cannot change under running rings.
            return VhostUserProtocolError.BadValue;
        }

        Volatile.Write(ref _features, features);
        VhostUserLog.Features(_logger, _options.SocketPath, features);
        return VhostUserProtocolError.None;
    }

    private VhostUserProtocolError SetMemoryTable(ref VhostUserMessage m)
    {
        ReadOnlySpan<GuestMemoryRegion> table = m.Regions[..m.RegionCount];
        GuestMemory memory;
        try
        {
            memory = GuestMemory.Map(table, _fds.AsSpan(0, m.RegionCount)!);
        }
        catch (Exception e) when (e is ArgumentException or NativeCallException)
        {
            return VhostUserProtocolError.BadValue;
        }

        // The files were duplicated by the mappings; ours are closed by the caller.
        var running = new List<int>();
        for (int i = 0; i < _vrings.Length; i++)
        {
            if (_vrings[i].Queue is not null)
            {
                running.Add(i);
                StopRing(i);
            }
        }

        _memory?.Dispose();
        _memory = memory;
        for (int i = 0; i < _vrings.Length; i++)
        {
            TryStartRing(i);
        }

        return VhostUserProtocolError.None;
    }

    private EventFd? TakeEventFd(bool noFd)
    {
        if (noFd)
        {
            return null;
        }

        SafeFdHandle handle = _fds[0]!;
        _fds[0] = null;
        return EventFd.FromHandle(handle);
    }

    private void TryStartRing(int index)
    {
        VringState ring = _vrings[index];
        if (ring.Queue is not null || !ring.Enabled || !ring.Kicked || ring.Size == 0 || !ring.HasAddresses || _memory is null)
        {
            return;
        }

        ulong features = _features;
        bool indirect = (features & FeatureIndirect) != 0;
        bool eventIndex = (features & FeatureEventIndex) != 0;
        Virtqueue? queue = (features & FeaturePacked) != 0
            ? PackedVirtqueue.Create(_memory, ring.Size, ring.Descriptors, ring.Avail, ring.Used, ring.Base, indirect, eventIndex)
            : SplitVirtqueue.Create(_memory, ring.Size, ring.Descriptors, ring.Avail, ring.Used, (ushort)ring.Base, indirect, eventIndex);
        if (queue is null)
        {
            Volatile.Write(ref _needsReset, 1);
            ring.Error?.Signal();
            VhostUserLog.RingUnmapped(_logger, _options.SocketPath, index);
            return;
        }

        queue.Call = ring.Call;
        queue.ErrorNotifier = ring.Error;
        queue.SetDriverNotifications(false);
        VhostUserPort port = _ports[index / 2];
        bool guestTransmit = (index & 1) != 0;
        PortOffloads offloads = ((features & FeatureGuestCsum) != 0 ? PortOffloads.Checksum : PortOffloads.None)
            | ((features & FeatureGuestTso4) != 0 ? PortOffloads.TcpV4Segmentation : PortOffloads.None)
            | ((features & FeatureGuestTso6) != 0 ? PortOffloads.TcpV6Segmentation : PortOffloads.None);
        port.Configure(
            (features & (FeatureVersion1 | FeatureMergeable)) != 0 ? VirtioNetHeader.Size : VirtioNetHeader.LegacySize,
            (features & FeatureMergeable) != 0,
            offloads,
            guestTransmit ? 0 : ring.Size);
        ring.Queue = queue;
        port.Attach(guestTransmit, queue, guestTransmit ? ring.Kick : null);
    }

    private void StopRing(int index)
    {
        VringState ring = _vrings[index];
        if (ring.Queue is null)
        {
            return;
        }

        _ports[index / 2].Detach((index & 1) != 0);
        ring.Base = ring.Queue.GetBase();
        ring.Queue = null;
    }

    /// <summary>Stops every ring, closes every descriptor and unmaps guest memory: ready for a new negotiation.</summary>
    private void ResetSession()
    {
        for (int i = 0; i < _vrings.Length; i++)
        {
            StopRing(i);
            _vrings[i].Reset();
        }

        foreach (VhostUserPort port in _ports)
        {
            port.ClearQueueErrors();
        }

        _memory?.Dispose();
        _memory = null;
        Volatile.Write(ref _features, 0);
        _protocolFeatures = 0;
        Volatile.Write(ref _needsReset, 0);
    }

    private void CloseUnclaimedFds(int count)
    {
        for (int i = 0; i < count && i < _fds.Length; i++)
        {
            _fds[i]?.Dispose();
            _fds[i] = null;
        }
    }
}

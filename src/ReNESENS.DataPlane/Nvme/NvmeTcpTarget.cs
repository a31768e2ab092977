using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// An NVMe over TCP target (controller side): listens for hosts, serves the discovery subsystem
/// and the configured NVM subsystems and their namespaces. Each connection is one queue, read and
/// written through System.IO.Pipelines; every PDU is checked before use and a bad one ends only its
/// own connection, with the C2HTermReq the transport specification names.
/// </summary>
/// <remarks>Metrics are published on the meter named <see cref="MeterName"/>.</remarks>
public sealed class NvmeTcpTarget : IAsyncDisposable
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> carrying the target's counters.</summary>
    public const string MeterName = NvmeMetrics.MeterName;

    /// <summary>Period of the keep-alive and connect-timeout sweep (the KAS granularity, 100 ms).</summary>
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromMilliseconds(100);

    private readonly NvmeTargetCore _core;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly List<Listener> _listeners = [];
    private bool _started;
    private ushort _nextPortId;
    private Timer? _sweep;

    /// <summary>Creates a target; namespaces are opened (RAM allocated, files created) here.</summary>
    /// <param name="options">Listeners, limits and subsystems.</param>
    /// <param name="logger">Logger; none when null.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names each bad one by its configuration path.</exception>
    public NvmeTcpTarget(NvmeTcpTargetOptions options, ILogger<NvmeTcpTarget>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _core = new NvmeTargetCore(options, _logger);
    }

    /// <summary>The first listener's bound endpoint (with the real port when it was configured as 0); null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint => _core.Listeners is [var first, ..] ? first.EndPoint : null;

    /// <summary>Every bound listener's endpoint, in PORTID order (the first is port 1); empty before <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => Array.ConvertAll(_core.Listeners, static l => l.EndPoint);

    /// <summary>The subsystems and their namespaces as served (for tests and statistics).</summary>
    internal NvmeTargetCore Core => _core;

    /// <summary>Number of live controllers.</summary>
    public int ControllerCount => _core.ControllerCount;

    /// <summary>Binds every configured listener and starts accepting hosts; when one cannot be bound, none stays open.</summary>
    /// <exception cref="SocketException">A listener's address or port cannot be bound.</exception>
    public void Start()
    {
        NvmeTcpTargetOptions options = _core.Options;
        lock (_listeners)
        {
            if (_started)
            {
                throw new InvalidOperationException("The target is already started.");
            }

            _started = true;
            NvmeListenerOptions[] configured = options.Listeners.Count > 0
                ? [.. options.Listeners]
                : [new NvmeListenerOptions { Address = options.Address, Port = options.Port }];
            try
            {
                foreach (NvmeListenerOptions listener in configured)
                {
                    AddListenerUnsynchronized(listener);
                }
            }
            catch
            {
                foreach (Listener bound in _listeners)
                {
                    _core.RemoveListener(bound.PortId);
                    bound.Socket.Dispose();
                }

                _listeners.Clear();
                _started = false;
                throw;
            }
        }

        _sweep = new Timer(static state => ((NvmeTargetCore)state!).Sweep(), _core, SweepPeriod, SweepPeriod);
    }

    /// <summary>
    /// Binds one more listener while the target runs; it gets the next PORTID and the discovery log page lists every
    /// subsystem through it too.
    /// </summary>
    /// <param name="listener">Address and port (0 picks a free one).</param>
    /// <returns>The bound endpoint.</returns>
    /// <exception cref="ArgumentException">The address or port is invalid.</exception>
    /// <exception cref="SocketException">It cannot be bound.</exception>
    public IPEndPoint AddListener(NvmeListenerOptions listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_listeners)
        {
            if (!_started || _stopping.IsCancellationRequested)
            {
                throw new InvalidOperationException("The target is not running.");
            }

            return AddListenerUnsynchronized(listener);
        }
    }

    /// <summary>
    /// Stops one listener: it accepts no new connection and leaves the discovery log page; connections it already
    /// accepted stay up (as with a Linux nvmet port whose subsystem link is removed, hosts reconnect elsewhere).
    /// </summary>
    /// <param name="endPoint">The bound endpoint, as <see cref="LocalEndPoints"/> reports it.</param>
    /// <returns>False when no listener has that endpoint.</returns>
    public async Task<bool> RemoveListenerAsync(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Listener? found;
        lock (_listeners)
        {
            found = _listeners.Find(l => l.EndPoint.Equals(endPoint));
            if (found is null)
            {
                return false;
            }

            _listeners.Remove(found);
            _core.RemoveListener(found.PortId);
        }

        found.Socket.Dispose();
        await found.AcceptLoop.ConfigureAwait(false);
        NvmeLog.ListenerRemoved(_logger, found.EndPoint, found.PortId);
        return true;
    }

    /// <summary>
    /// Serves one more NVM subsystem (its namespaces are opened here). It appears in the discovery log page, and
    /// discovery controllers that enabled Discovery Log Page Change notices get one (AEN information F0h).
    /// </summary>
    /// <param name="options">The subsystem; checked as a whole (the message names each bad field).</param>
    /// <exception cref="ArgumentException">The options are invalid or the NQN is already served.</exception>
    public Task AddSubsystemAsync(NvmeSubsystemOptions options) => _core.AddSubsystemAsync(options);

    /// <summary>
    /// Stops serving a subsystem: it leaves the discovery log page (with a change notice), its controllers end and
    /// their connections close, and its namespaces are flushed and closed once no queue can reach them.
    /// </summary>
    /// <param name="subsystemNqn">The subsystem's NQN.</param>
    /// <returns>False when no such subsystem is served.</returns>
    public Task<bool> RemoveSubsystemAsync(string subsystemNqn) => _core.RemoveSubsystemAsync(subsystemNqn);

    /// <summary>
    /// Attaches a namespace to a subsystem while hosts use it. Every controller of the subsystem records the NSID in
    /// its Changed Namespace List (log page 04h) and, if the host enabled Namespace Attribute Notices (Set Features
    /// 0Bh bit 8), posts a Namespace Attribute Changed event (type Notice, information 00h) on an outstanding
    /// Asynchronous Event Request.
    /// </summary>
    /// <param name="subsystemNqn">The subsystem's NQN.</param>
    /// <param name="options">The namespace (NSID up to the subsystem's <see cref="NvmeSubsystemOptions.MaxNamespaceId"/>).</param>
    /// <exception cref="ArgumentException">No such subsystem, the NSID is in use, or the options are invalid.</exception>
    public Task AttachNamespaceAsync(string subsystemNqn, NvmeNamespaceOptions options) => _core.AttachNamespaceAsync(subsystemNqn, options);

    /// <summary>
    /// Detaches a namespace: later commands on it fail with Invalid Namespace, controllers are told as for
    /// <see cref="AttachNamespaceAsync"/>, and the back-end is flushed and closed once no queue still uses it.
    /// </summary>
    /// <param name="subsystemNqn">The subsystem's NQN.</param>
    /// <param name="namespaceId">The NSID.</param>
    /// <returns>False when the subsystem has no such namespace.</returns>
    /// <exception cref="ArgumentException">No such subsystem.</exception>
    public Task<bool> DetachNamespaceAsync(string subsystemNqn, uint namespaceId) => _core.DetachNamespaceAsync(subsystemNqn, namespaceId);

    /// <summary>
    /// Changes a namespace's capacity (NSZE) while hosts use it; data below the smaller size is kept. RAM namespaces
    /// grow up to their <see cref="NvmeNamespaceOptions.MaxSizeBytes"/>, files grow and shrink, block devices up to
    /// their size; transform namespaces cannot be resized. Controllers are told as for <see cref="AttachNamespaceAsync"/>.
    /// </summary>
    /// <param name="subsystemNqn">The subsystem's NQN.</param>
    /// <param name="namespaceId">The NSID.</param>
    /// <param name="sizeBytes">The new capacity, a positive multiple of the block size.</param>
    /// <exception cref="ArgumentException">No such subsystem or namespace.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a multiple of the block size or above what the back-end can hold.</exception>
    /// <exception cref="NotSupportedException">The back-end cannot be resized.</exception>
    public Task ResizeNamespaceAsync(string subsystemNqn, uint namespaceId, long sizeBytes) => _core.ResizeNamespaceAsync(subsystemNqn, namespaceId, sizeBytes);

    /// <summary>Stops listening, closes every connection and waits for them to end.</summary>
    public async Task StopAsync()
    {
        Listener[] listeners;
        lock (_listeners)
        {
            if (!_started || _stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            listeners = [.. _listeners];
            _listeners.Clear();
        }

        foreach (Listener listener in listeners)
        {
            listener.Socket.Dispose();
        }

        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        foreach (Listener listener in listeners)
        {
            await listener.AcceptLoop.ConfigureAwait(false);
        }

        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _core.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Binds and starts accepting; the caller holds the <see cref="_listeners"/> lock.</summary>
    private IPEndPoint AddListenerUnsynchronized(NvmeListenerOptions options)
    {
        if (!IPAddress.TryParse(options.Address, out IPAddress? address) || options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Listener {options.Address}:{options.Port} is not an IP address and a port 0..65535.", nameof(options));
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        IPEndPoint bound;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, options.Port));
            socket.Listen(128);
            bound = (IPEndPoint)socket.LocalEndPoint!;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (_nextPortId == ushort.MaxValue)
        {
            socket.Dispose();
            throw new InvalidOperationException("Every port ID is used.");
        }

        // PORTIDs are never reused while the target lives: a host's cached discovery entry stays unambiguous.
        ushort portId = ++_nextPortId;
        _core.AddListener(new NvmeListenerInfo(portId, bound));
        _listeners.Add(new Listener(portId, bound, socket, AcceptLoopAsync(socket)));
        NvmeLog.Listening(_logger, bound, portId, _core.Subsystems.Length);
        return bound;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        // Off the caller's thread: Start and AddListener return once bound.
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            NvmeMetrics.Connections.Add(1);

            // One thread per connection (queue), blocking on its socket: see BlockingSocketPipe.
            Task connection = Task.Factory.StartNew(static state => ((ConnectionStart)state!).Target.RunConnection(((ConnectionStart)state).Socket), new ConnectionStart(this, socket), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            lock (_connections)
            {
                _connections.RemoveAll(static t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private void RunConnection(Socket socket)
    {
        Thread.CurrentThread.Name = "NVMe/TCP target connection";
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        var session = new TargetSession(_core, peer);
        _core.AddSession(session);
        var pipes = new BlockingSocketPipe(socket, withWakeUp: true);
        session.SetWakeUp(pipes.WakeUp);

        // Target stop and session abort (keep-alive expiry, controller failure) end a blocked
        // Receive or Send by shutting the socket down.
        CancellationTokenRegistration stopping = _stopping.Token.UnsafeRegister(static s => ShutdownQuietly((Socket)s!), socket);
        CancellationTokenRegistration aborted = session.Aborted.UnsafeRegister(static s => ShutdownQuietly((Socket)s!), socket);
        string reason = "peer closed";
        try
        {
            while (true)
            {
                bool open = true;
                ReadOnlySequence<byte> buffer = default;
                if (session.AwaitsPayload)
                {
                    // The payload goes straight into the namespace from Process: only wait for it here.
                    pipes.WaitReadable(session.WantsWakeUps);
                }
                else
                {
                    open = pipes.Receive(session.WantsWakeUps, out buffer);
                }

                SessionStatus status = session.Process(ref buffer, pipes.Output);
                pipes.AdvanceTo(buffer.Start, buffer.End);
                pipes.SendReplies();
                if (status == SessionStatus.Close)
                {
                    reason = "closed by the target";
                    break;
                }

                if (_stopping.IsCancellationRequested || session.Aborted.IsCancellationRequested)
                {
                    reason = "aborted";
                    break;
                }

                if (!open)
                {
                    break;
                }
            }
        }
        catch (SocketException e)
        {
            reason = _stopping.IsCancellationRequested || session.Aborted.IsCancellationRequested ? "aborted" : e.Message;
        }
        catch (ObjectDisposedException)
        {
            reason = "aborted";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NvmeLog.ConnectionFailed(_logger, peer, e);
            reason = "failed";
        }
        finally
        {
            stopping.Dispose();
            aborted.Dispose();
            _core.RemoveSession(session);
            session.Dispose();
            pipes.Dispose();
            socket.Dispose();
            NvmeLog.ConnectionClosed(_logger, peer, reason);
        }
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or reset.
        }
    }

    /// <summary>What a connection thread starts with.</summary>
    private sealed record ConnectionStart(NvmeTcpTarget Target, Socket Socket);

    /// <summary>A bound listening socket and its accept loop.</summary>
    private sealed record Listener(ushort PortId, IPEndPoint EndPoint, Socket Socket, Task AcceptLoop);
}

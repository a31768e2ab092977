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
    private Socket? _listener;
    private Task? _acceptLoop;
    private Timer? _sweep;

    /// <summary>Creates a target; namespaces are opened (RAM allocated, files created) here.</summary>
    /// <param name="options">Listener, limits and subsystems.</param>
    /// <param name="logger">Logger; none when null.</param>
    public NvmeTcpTarget(NvmeTcpTargetOptions options, ILogger<NvmeTcpTarget>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _core = new NvmeTargetCore(options, _logger);
    }

    /// <summary>The bound endpoint (with the real port when <see cref="NvmeTcpTargetOptions.Port"/> is 0); null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint => _core.EndPoint;

    /// <summary>The subsystems and their namespaces as served (for tests and statistics).</summary>
    internal NvmeTargetCore Core => _core;

    /// <summary>Number of live controllers.</summary>
    public int ControllerCount => _core.ControllerCount;

    /// <summary>Binds the listener and starts accepting hosts.</summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The target is already started.");
        }

        var endPoint = new IPEndPoint(IPAddress.Parse(_core.Options.Address), _core.Options.Port);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _core.EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        NvmeLog.Listening(_logger, _core.EndPoint, _core.Subsystems.Length);
        _sweep = new Timer(static state => ((NvmeTargetCore)state!).Sweep(), _core, SweepPeriod, SweepPeriod);
        _acceptLoop = AcceptLoopAsync(listener);
    }

    /// <summary>Stops listening, closes every connection and waits for them to end.</summary>
    public async Task StopAsync()
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
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

    private async Task AcceptLoopAsync(Socket listener)
    {
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
        var pipes = new BlockingSocketPipe(socket);

        // Target stop and session abort (keep-alive expiry, controller failure) end a blocked
        // Receive or Send by shutting the socket down.
        CancellationTokenRegistration stopping = _stopping.Token.UnsafeRegister(static s => ShutdownQuietly((Socket)s!), socket);
        CancellationTokenRegistration aborted = session.Aborted.UnsafeRegister(static s => ShutdownQuietly((Socket)s!), socket);
        string reason = "peer closed";
        try
        {
            while (true)
            {
                bool open = pipes.Receive(out ReadOnlySequence<byte> buffer);
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
}

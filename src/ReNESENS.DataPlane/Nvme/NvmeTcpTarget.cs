using System.Buffers;
using System.IO.Pipelines;
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
            Task connection = Task.Run(() => RunConnectionAsync(socket));
            lock (_connections)
            {
                _connections.RemoveAll(static t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task RunConnectionAsync(Socket socket)
    {
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        var session = new TargetSession(_core, peer);
        _core.AddSession(session);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, session.Aborted);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        // Segments big enough that the replies of one batch (32 x 4 KiB reads) usually leave in one socket write.
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 256 * 1024, leaveOpen: true));
        string reason = "peer closed";
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(linked.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                SessionStatus status = session.Process(ref buffer, writer);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (writer.UnflushedBytes > 0)
                {
                    await writer.FlushAsync(linked.Token).ConfigureAwait(false);
                }

                if (status == SessionStatus.Close)
                {
                    reason = "closed by the target";
                    break;
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            reason = "aborted";
        }
        catch (IOException e)
        {
            reason = e.Message;
        }
        catch (SocketException e)
        {
            reason = e.Message;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NvmeLog.ConnectionFailed(_logger, peer, e);
            reason = "failed";
        }
        finally
        {
            _core.RemoveSession(session);
            session.Dispose();
            await reader.CompleteAsync().ConfigureAwait(false);
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // Unsent replies to a host that reset the connection.
            }

            NvmeLog.ConnectionClosed(_logger, peer, reason);
        }
    }
}

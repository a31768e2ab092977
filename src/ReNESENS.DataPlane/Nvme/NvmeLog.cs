using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>The NVMe/TCP log messages (source-generated, no allocation when the level is off).</summary>
internal static partial class NvmeLog
{
    [LoggerMessage(1, LogLevel.Information, "NVMe/TCP target listening on {EndPoint} (port ID {PortId}) with {Count} subsystem(s)")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint endPoint, ushort portId, int count);

    [LoggerMessage(2, LogLevel.Warning, "Keep-alive timeout: controller {Id} of {Nqn} for host {Host} ended")]
    public static partial void KeepAliveExpired(ILogger logger, ushort id, string nqn, string host);

    [LoggerMessage(3, LogLevel.Warning, "Connection {Peer} ended: fatal transport error {Status} at field offset {Info}")]
    public static partial void FatalTransportError(ILogger logger, string peer, FatalErrorStatus status, uint info);

    [LoggerMessage(4, LogLevel.Information, "Host {Peer} ended the connection: H2CTermReq FES {Status} FEI {Info}")]
    public static partial void HostTerminated(ILogger logger, string peer, FatalErrorStatus status, uint info);

    [LoggerMessage(5, LogLevel.Warning, "Connect from {Peer} ({Host}) to unknown subsystem {Nqn}")]
    public static partial void UnknownSubsystem(ILogger logger, string peer, string host, string nqn);

    [LoggerMessage(6, LogLevel.Warning, "Connect from {Peer}: host {Host} is not allowed on {Nqn}")]
    public static partial void HostNotAllowed(ILogger logger, string peer, string host, string nqn);

    [LoggerMessage(7, LogLevel.Information, "Host {Host} connected queue {Qid} (depth {Depth}) of controller {Id} on {Nqn} from {Peer}")]
    public static partial void QueueConnected(ILogger logger, string host, int qid, int depth, ushort id, string nqn, string peer);

    [LoggerMessage(8, LogLevel.Debug, "Connection {Peer} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string peer, string reason);

    [LoggerMessage(9, LogLevel.Error, "Connection {Peer} failed")]
    public static partial void ConnectionFailed(ILogger logger, string peer, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Namespace file {Path}: {Reason}; it uses the page cache instead of O_DIRECT (Flush and FUA stay durable)")]
    public static partial void DirectIoRefused(ILogger logger, string path, string reason);

    [LoggerMessage(11, LogLevel.Information, "Namespace {Nsid} of {Nqn}: {Path}, {Capacity} bytes, {Mode}")]
    public static partial void FileNamespaceOpened(ILogger logger, uint nsid, string nqn, string path, long capacity, string mode);

    [LoggerMessage(20, LogLevel.Information, "NVMe/TCP listener {EndPoint} (port ID {PortId}) removed")]
    public static partial void ListenerRemoved(ILogger logger, System.Net.EndPoint endPoint, ushort portId);

    [LoggerMessage(21, LogLevel.Information, "Subsystem {Nqn} added with {Count} namespace(s)")]
    public static partial void SubsystemAdded(ILogger logger, string nqn, int count);

    [LoggerMessage(22, LogLevel.Information, "Subsystem {Nqn} removed")]
    public static partial void SubsystemRemoved(ILogger logger, string nqn);

    [LoggerMessage(23, LogLevel.Information, "Namespace {Nsid} attached to {Nqn}")]
    public static partial void NamespaceAttached(ILogger logger, uint nsid, string nqn);

    [LoggerMessage(24, LogLevel.Information, "Namespace {Nsid} detached from {Nqn}")]
    public static partial void NamespaceDetached(ILogger logger, uint nsid, string nqn);

    [LoggerMessage(25, LogLevel.Information, "Namespace {Nsid} of {Nqn} resized from {Old} to {New} bytes")]
    public static partial void NamespaceResized(ILogger logger, uint nsid, string nqn, long old, long @new);

    [LoggerMessage(26, LogLevel.Warning, "Peer {Peer} closed the connection with {Remaining} bytes of the data of command {Cid} still to come")]
    public static partial void PeerClosedMidPayload(ILogger logger, string peer, ushort cid, int remaining);
}

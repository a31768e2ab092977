using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>The log messages of the vhost-user backend.</summary>
internal static partial class VhostUserLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "vhost-user {Path}: frontend connected ({Mode})")]
    internal static partial void Connected(ILogger logger, string path, VhostUserMode mode);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "vhost-user {Path}: frontend gone; mappings and descriptors released")]
    internal static partial void Disconnected(ILogger logger, string path);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "vhost-user {Path}: {Request} refused ({Error}); connection closed")]
    internal static partial void ProtocolError(ILogger logger, string path, uint request, VhostUserProtocolError error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "vhost-user port {Port}: vring {Vring} stopped on a driver error ({Error}); the device needs a reset")]
    internal static partial void QueueStopped(ILogger logger, string port, int vring, VirtqueueError error);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "vhost-user {Path}: vring {Vring} cannot start: its areas are not inside guest memory; the device needs a reset")]
    internal static partial void RingUnmapped(ILogger logger, string path, int vring);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "vhost-user {Path}: features 0x{Features:x} negotiated")]
    internal static partial void Features(ILogger logger, string path, ulong features);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Error, Message = "vhost-user {Path}: control loop failed")]
    internal static partial void LoopFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "vhost-user {Path}: received {Request} (size {Size}, need reply {NeedReply}, {Fds} fd(s), index {Index}, value 0x{Value:x})")]
    internal static partial void Received(ILogger logger, string path, VhostUserRequest request, int size, bool needReply, int fds, uint index, ulong value);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Debug, Message = "vhost-user {Path}: replied to {Request} with {Size} byte(s)")]
    internal static partial void Replied(ILogger logger, string path, VhostUserRequest request, int size);
}

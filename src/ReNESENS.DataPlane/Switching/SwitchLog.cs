using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Switching;

/// <summary>The switch's log messages.</summary>
internal static partial class SwitchLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Switch forwarding on {Workers} thread(s), {Ports} port(s), {Mode} mode, bursts of {Burst}")]
    internal static partial void Started(ILogger logger, int workers, int ports, ForwardingMode mode, int burst);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Switch stopped")]
    internal static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Forwarding thread {Worker} failed")]
    internal static partial void WorkerFailed(ILogger logger, Exception exception, int worker);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Port {Port} failed on forwarding thread {Worker}; that thread no longer uses it")]
    internal static partial void PortFailed(ILogger logger, Exception exception, string port, int worker);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Forwarding thread {Worker} busy-polls in event mode: port {Port} has no receive descriptor to wait on (not an IWaitablePort)")]
    internal static partial void BusyPollsInEventMode(ILogger logger, int worker, string port);
}

using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Offload;

/// <summary>What the engine choice and the MPPA engine log.</summary>
internal static partial class MppaLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Offload engine: {Reason}")]
    internal static partial void EngineChosen(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Offload device refused, software engine used: {Reason}")]
    internal static partial void DeviceRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Offload device {Device}: {Count} operation(s) failed over to software ({Reason})")]
    internal static partial void FailedOver(ILogger logger, string device, int count, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Offload device {Device}: an operation is overdue after {Timeout}; resetting the device")]
    internal static partial void TimedOut(ILogger logger, string device, TimeSpan timeout);
}

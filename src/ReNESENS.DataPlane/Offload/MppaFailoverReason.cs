namespace ReNESENS.DataPlane.Offload;

/// <summary>Why the MPPA engine ran an operation in software after handing it to the device.</summary>
internal enum MppaFailoverReason
{
    /// <summary>The device completed it with a device failure (<c>RN_DPU_E_DEVICE</c>, an unexpected refusal, or a status outside the ABI).</summary>
    DeviceError = 0,

    /// <summary>The device reset (itself, or on another queue pair's request) before completing it.</summary>
    Reset = 1,

    /// <summary>It was overdue; the engine reset the device.</summary>
    Timeout = 2,

    /// <summary>Submit or poll failed with an error other than a reset.</summary>
    QueueError = 3,
}

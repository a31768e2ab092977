namespace ReNESENS.DataPlane.Virtio;

/// <summary>The vhost-user requests a frontend sends (vhost-user protocol, "Front-end message types").</summary>
internal enum VhostUserRequest : uint
{
    /// <summary>Reply: the device features.</summary>
    GetFeatures = 1,

    /// <summary>u64: the features the driver accepted.</summary>
    SetFeatures = 2,

    /// <summary>The frontend takes the session.</summary>
    SetOwner = 3,

    /// <summary>Deprecated reset of the session.</summary>
    ResetOwner = 4,

    /// <summary>Memory regions, one file descriptor each.</summary>
    SetMemTable = 5,

    /// <summary>Dirty log area (refused: logging is not offered).</summary>
    SetLogBase = 6,

    /// <summary>Dirty log eventfd (refused: logging is not offered).</summary>
    SetLogFd = 7,

    /// <summary>Vring state: the ring size.</summary>
    SetVringNum = 8,

    /// <summary>Vring addresses in the frontend's address space.</summary>
    SetVringAddr = 9,

    /// <summary>Vring state: the next available index (packed: wrap counter in bit 15).</summary>
    SetVringBase = 10,

    /// <summary>Stops a ring; reply: its state.</summary>
    GetVringBase = 11,

    /// <summary>u64 index (+ no-fd bit 8) with the kick eventfd.</summary>
    SetVringKick = 12,

    /// <summary>u64 index (+ no-fd bit 8) with the call eventfd.</summary>
    SetVringCall = 13,

    /// <summary>u64 index (+ no-fd bit 8) with the error eventfd.</summary>
    SetVringErr = 14,

    /// <summary>Reply: the protocol features.</summary>
    GetProtocolFeatures = 15,

    /// <summary>u64: the protocol features the frontend accepted.</summary>
    SetProtocolFeatures = 16,

    /// <summary>Reply: queue pairs the backend supports.</summary>
    GetQueueNum = 17,

    /// <summary>Vring state: 1 enables, 0 disables.</summary>
    SetVringEnable = 18,
}

namespace ReNESENS.DataPlane.Offload;

/// <summary>How one operation ended. Every value but <see cref="Success"/> is an error of that operation only: the queue pair keeps serving.</summary>
public enum OffloadStatus
{
    /// <summary>Done; outputs are valid.</summary>
    Success = 0,

    /// <summary>The operation is malformed: unknown kind, a missing or disposed buffer, lengths that are not whole blocks, a block size out of range, an unsupported chain.</summary>
    InvalidArgument = 1,

    /// <summary>The destination cannot hold the output.</summary>
    DestinationTooSmall = 2,

    /// <summary>Compressed input is corrupt, or decompresses to a length other than the destination's.</summary>
    CorruptData = 3,

    /// <summary>GCM open: the tag does not match (wrong key, nonce, AAD, tag or ciphertext); the destination is cleared.</summary>
    AuthenticationFailed = 4,

    /// <summary>The key handle is not loaded in this engine, or is of the wrong kind for the operation.</summary>
    InvalidKey = 5,

    /// <summary>PI verify: a guard differs (<see cref="OffloadCompletion.ErrorBlockIndex"/> names the block).</summary>
    PiGuardError = 6,

    /// <summary>PI verify: an application tag differs under the mask.</summary>
    PiAppTagError = 7,

    /// <summary>PI verify: a reference tag differs.</summary>
    PiRefTagError = 8,

    /// <summary>The engine does not implement this operation (see <see cref="OffloadCapabilities.Operations"/>).</summary>
    Unsupported = 9,

    /// <summary>A device reported a failure it did not classify.</summary>
    DeviceError = 10,

    /// <summary>A device did not complete the operation in time.</summary>
    TimedOut = 11,

    /// <summary>The operation was dropped because its queue pair or engine was closed.</summary>
    Aborted = 12,
}

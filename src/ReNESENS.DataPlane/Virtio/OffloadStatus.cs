namespace ReNESENS.DataPlane.Virtio;

/// <summary>Outcome of <see cref="SoftwareOffloads"/>; every value but <see cref="Done"/> means the packet must be dropped.</summary>
public enum OffloadStatus
{
    /// <summary>The packet (or its segments) is ready to send.</summary>
    Done = 0,

    /// <summary>The headers are truncated, inconsistent or do not match the offload asked for.</summary>
    Malformed,

    /// <summary>The offload is one software does not do: UFO (IP fragmentation), IPv6 extension headers, other protocols.</summary>
    Unsupported,

    /// <summary>Segmenting would produce more segments than the output span holds.</summary>
    TooManySegments,

    /// <summary>The segment pool ran out, or its buffers are too small for one segment.</summary>
    NoBuffer,
}

namespace ReNESENS.DataPlane.Virtio;

/// <summary>Why a vhost-user message was refused; any value but <see cref="None"/> ends the connection.</summary>
internal enum VhostUserProtocolError
{
    /// <summary>The message is well formed.</summary>
    None = 0,

    /// <summary>The version bits are not 1, or a reserved or reply flag is set.</summary>
    BadFlags,

    /// <summary>The request is unknown or not offered (logging, configuration space, status...).</summary>
    UnsupportedRequest,

    /// <summary>The payload size is not the one the request takes.</summary>
    BadSize,

    /// <summary>The message carries more or fewer file descriptors than the request takes.</summary>
    BadFileDescriptorCount,

    /// <summary>A field is out of range: region count, queue index, reserved bits, features not offered, a state not allowed now.</summary>
    BadValue,

    /// <summary>The connection ended in the middle of a message, or the socket failed.</summary>
    Truncated,
}

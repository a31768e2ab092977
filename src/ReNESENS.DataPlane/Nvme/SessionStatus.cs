namespace ReNESENS.DataPlane.Nvme;

/// <summary>What the connection loop does after a session processed its input.</summary>
internal enum SessionStatus
{
    /// <summary>Wait for more bytes.</summary>
    Continue,

    /// <summary>Flush what was written, then close the connection.</summary>
    Close,
}

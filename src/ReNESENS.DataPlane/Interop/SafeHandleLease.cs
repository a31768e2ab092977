using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Holds a reference on a <see cref="SafeHandle"/> for the length of one native call sequence, so
/// a <see cref="SafeHandle.Dispose()"/> racing it on another thread defers the release instead of
/// freeing what the native code is using.
/// </summary>
internal readonly ref struct SafeHandleLease
{
    private readonly SafeHandle _handle;

    /// <summary>Takes the reference; throws <see cref="ObjectDisposedException"/> when the handle is closed.</summary>
    internal SafeHandleLease(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
        Value = handle.DangerousGetHandle();
    }

    /// <summary>The raw handle, valid until <see cref="Dispose"/>.</summary>
    internal nint Value { get; }

    /// <summary>Gives the reference back.</summary>
    public void Dispose() => _handle.DangerousRelease();
}

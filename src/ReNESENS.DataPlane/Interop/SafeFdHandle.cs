using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Owns one Linux file descriptor and closes it exactly once.</summary>
public sealed class SafeFdHandle : SafeHandle
{
    /// <summary>Creates an invalid handle (used by the marshaller).</summary>
    public SafeFdHandle()
        : base(-1, ownsHandle: true)
    {
    }

    /// <summary>Wraps <paramref name="fd"/>; when <paramref name="ownsHandle"/> is true, disposing closes it.</summary>
    public SafeFdHandle(int fd, bool ownsHandle)
        : base(-1, ownsHandle)
    {
        SetHandle(fd);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number; valid only while the handle is open.</summary>
    public int Fd => (int)handle.ToInt64();

    /// <summary>Duplicates the descriptor (close-on-exec) into a new owning handle.</summary>
    public SafeFdHandle Duplicate()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            NativeError.Check(NativeMethods.Dup(Fd, out int copy), "rn_dup");
            return new SafeFdHandle(copy, ownsHandle: true);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => NativeMethods.Close(Fd) == 0;
}

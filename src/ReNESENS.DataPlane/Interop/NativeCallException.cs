using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// A call into the native shim or the kernel failed. The message names the call and the
/// errno value; <see cref="Errno"/> carries the number for programmatic checks.
/// </summary>
public sealed class NativeCallException : IOException
{
    /// <summary>Creates the exception for <paramref name="call"/> failing with <paramref name="errno"/>.</summary>
    public NativeCallException(string call, int errno)
        : base($"{call} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", errno)
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>Creates the exception with an explicit message (for example a dynamic-loader error text).</summary>
    public NativeCallException(string call, int errno, string detail)
        : base($"{call} failed: errno {errno} ({detail})", errno)
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The native function that failed.</summary>
    public string Call { get; }

    /// <summary>The positive errno value it returned.</summary>
    public int Errno { get; }
}

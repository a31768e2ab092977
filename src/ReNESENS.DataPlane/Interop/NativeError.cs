using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Turns the shim's negative-errno returns into exceptions.</summary>
internal static class NativeError
{
    internal const int EAGAIN = 11;
    internal const int EBADF = 9;
    internal const int EINVAL = 22;
    internal const int ENOMEM = 12;
    internal const int EMSGSIZE = 90;
    internal const int ENOENT = 2;
    internal const int EOPNOTSUPP = 95;

    /// <summary>Returns <paramref name="result"/> when it is not negative, else throws for <paramref name="call"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Check(long result, string call)
    {
        if (result < 0)
        {
            Throw(call, (int)-result);
        }

        return result;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Throw(string call, int errno) => throw new NativeCallException(call, errno);
}

using System.Diagnostics.CodeAnalysis;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>Throws for the Kernels layer, so the checks in hot methods stay small enough to inline.</summary>
internal static class KernelThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowObjectDisposed(object instance) =>
        throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    internal static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRange(string paramName, int value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);
}

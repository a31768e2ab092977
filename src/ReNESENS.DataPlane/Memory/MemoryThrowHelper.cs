using System.Diagnostics.CodeAnalysis;

namespace ReNESENS.DataPlane.Memory;

/// <summary>Throws for the Memory layer, so hot methods stay small enough to inline.</summary>
internal static class MemoryThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowObjectDisposed(object instance) =>
        throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    internal static void ThrowDoubleRelease() =>
        throw new InvalidOperationException("The packet buffer is already free: it was released more times than it was rented or referenced.");

    [DoesNotReturn]
    internal static void ThrowNotRented() =>
        throw new InvalidOperationException("The packet buffer is free (not rented): it cannot be used until it is rented again.");

    [DoesNotReturn]
    internal static void ThrowSegment() =>
        throw new InvalidOperationException("The packet buffer is a segment of a chain: use the head of the chain.");

    [DoesNotReturn]
    internal static void ThrowForeignBuffer() =>
        throw new InvalidOperationException("The packet buffer does not belong to this pool.");

    [DoesNotReturn]
    internal static void ThrowStillReferenced() =>
        throw new InvalidOperationException("The packet buffer is still referenced and cannot be returned to its pool.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);

    [DoesNotReturn]
    internal static void ThrowNegative(string paramName, int value) =>
        throw new ArgumentOutOfRangeException(paramName, value, "The byte count must not be negative.");

    [DoesNotReturn]
    internal static void ThrowNoRoom(string paramName, int requested, int available, string room) =>
        throw new ArgumentOutOfRangeException(paramName, requested, $"{requested} bytes requested but the {room} is {available} bytes.");

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRange(string paramName, object? value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);

    [DoesNotReturn]
    internal static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);
}

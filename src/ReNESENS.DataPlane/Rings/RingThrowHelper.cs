using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>Throws for misuse of the rings, out of line so the callers stay small.</summary>
internal static class RingThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowCapacityOutOfRange(int capacity) =>
        throw new ArgumentOutOfRangeException(
            nameof(capacity),
            capacity,
            $"A ring's capacity must be a power of two between {RingState<byte>.MinCapacity} and {RingState<byte>.MaxCapacity}.");
}

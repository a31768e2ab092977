namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A submission and completion queue of one engine, owned by one core: <see cref="Submit"/> a batch,
/// <see cref="Poll"/> completions. Neither call blocks nor allocates. Not thread-safe: one thread at
/// a time uses a queue pair.
/// </summary>
/// <remarks>
/// Each accepted operation produces exactly one completion, with its own status: a bad operation
/// never fails the batch or the queue pair. Completions may come back in any order; match them by
/// <see cref="OffloadCompletion.UserData"/>. Buffers of an operation belong to the engine from
/// Submit until its completion is polled.
/// </remarks>
public interface IOffloadQueuePair : IDisposable
{
    /// <summary>The most operations submitted and not yet polled.</summary>
    int Depth { get; }

    /// <summary>Operations submitted and not yet polled.</summary>
    int Outstanding { get; }

    /// <summary>Submits operations in order and returns how many were accepted (fewer than given when the queue is full: backpressure, poll and retry the rest).</summary>
    /// <param name="operations">The batch.</param>
    /// <returns>The number accepted, from the start of <paramref name="operations"/>.</returns>
    /// <exception cref="ObjectDisposedException">The queue pair is disposed.</exception>
    int Submit(ReadOnlySpan<OffloadOp> operations);

    /// <summary>Moves finished completions into <paramref name="completions"/>.</summary>
    /// <param name="completions">Room for completions.</param>
    /// <returns>The number written.</returns>
    /// <exception cref="ObjectDisposedException">The queue pair is disposed.</exception>
    int Poll(Span<OffloadCompletion> completions);
}

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// How one side of a ring (producer or consumer) reserves slots and publishes them: a struct
/// policy passed as a generic argument, so the JIT compiles one specialised copy per mode and the
/// mode costs no branch (what DPDK does with compile-time constant sync flags).
/// </summary>
/// <remarks>
/// The producer passes <c>capacity</c> as <c>capacityOffset</c> to <see cref="Reserve"/>
/// (free slots = capacity + consumer tail - producer head); the consumer passes 0 (filled slots =
/// producer tail - consumer head).
/// </remarks>
internal interface IRingSideSync
{
    /// <summary>
    /// Reserves up to <paramref name="count"/> slots (exactly <paramref name="count"/> or none when
    /// <paramref name="bulk"/>) on <paramref name="self"/>.
    /// </summary>
    /// <returns>The number reserved; <paramref name="head"/> is the first reserved index.</returns>
    static abstract uint Reserve(ref RingHeadTail self, ref RingHeadTail opposite, ulong capacityOffset, uint count, bool bulk, out ulong head);

    /// <summary>
    /// Makes the slots <c>[head, head + count)</c>, already copied, visible to the opposite side.
    /// </summary>
    static abstract void Publish(ref RingHeadTail self, ulong head, uint count);
}

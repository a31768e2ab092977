namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A handle to a key loaded into one engine with <see cref="IOffloadEngine.LoadKey"/>. Operations
/// carry the handle, never the key bytes. The handle is only meaningful to the engine that issued
/// it; after <see cref="IOffloadEngine.UnloadKey"/> the engine answers <see cref="OffloadStatus.InvalidKey"/>.
/// </summary>
/// <param name="Kind">The cipher the key is for; <see cref="OffloadKeyKind.None"/> for the default handle.</param>
/// <param name="Slot">The engine's key slot.</param>
/// <param name="Generation">The slot's generation when the key was loaded: a reloaded slot never answers to an old handle.</param>
public readonly record struct OffloadKey(OffloadKeyKind Kind, int Slot, int Generation)
{
    /// <summary>True for a handle an engine issued (not the default).</summary>
    public bool IsLoaded => Kind != OffloadKeyKind.None;
}

namespace ReNESENS.DataPlane.Offload;

/// <summary>The cipher a key loaded into an engine is for.</summary>
public enum OffloadKeyKind
{
    /// <summary>No key (the default handle).</summary>
    None = 0,

    /// <summary>AES-256-XTS: 64 bytes, the data key then the tweak key (the halves must differ).</summary>
    AesXts256 = 1,

    /// <summary>AES-256-GCM: 32 bytes.</summary>
    AesGcm256 = 2,
}

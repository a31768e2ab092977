using System.Security.Cryptography;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The software engine's loaded keys: slots of key bytes with a generation each, so a handle to an
/// unloaded or reloaded slot is refused. Load and unload take the lock; queue pairs read the
/// generation without it and copy key bytes under it only when they build a cipher.
/// </summary>
internal sealed class SoftwareKeyTable
{
    private readonly Lock _lock = new();
    private readonly byte[]?[] _material;
    private readonly OffloadKeyKind[] _kinds;

    /// <summary>Per slot, bumped on every load and unload; written under the lock, read by any queue pair.</summary>
    private readonly int[] _generations;

    internal SoftwareKeyTable(int capacity)
    {
        _material = new byte[capacity][];
        _kinds = new OffloadKeyKind[capacity];
        _generations = new int[capacity];
    }

    internal int Capacity => _material.Length;

    internal OffloadKey Load(OffloadKeyKind kind, ReadOnlySpan<byte> key)
    {
        switch (kind)
        {
            case OffloadKeyKind.AesXts256:
                // The cipher's own checks (length, distinct halves) decide; the instance is dropped at once.
                using (new AesXts(key))
                {
                }

                break;
            case OffloadKeyKind.AesGcm256:
                if (key.Length != AesGcmCipher.KeySizeInBytes)
                {
                    throw new ArgumentException($"An AES-256-GCM key is {AesGcmCipher.KeySizeInBytes} bytes; got {key.Length}.", nameof(key));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Keys are AES-256-XTS or AES-256-GCM.");
        }

        lock (_lock)
        {
            for (int slot = 0; slot < _material.Length; slot++)
            {
                if (_material[slot] is null)
                {
                    _material[slot] = key.ToArray();
                    _kinds[slot] = kind;
                    int generation = _generations[slot] + 1;
                    Volatile.Write(ref _generations[slot], generation);
                    return new OffloadKey(kind, slot, generation);
                }
            }
        }

        throw new InvalidOperationException($"All {_material.Length} key slots are in use; unload a key first.");
    }

    internal void Unload(OffloadKey key)
    {
        lock (_lock)
        {
            if (IsCurrentUnsynchronized(key))
            {
                CryptographicOperations.ZeroMemory(_material[key.Slot]);
                _material[key.Slot] = null;
                _kinds[key.Slot] = OffloadKeyKind.None;
                Volatile.Write(ref _generations[key.Slot], _generations[key.Slot] + 1);
            }
        }
    }

    /// <summary>True when <paramref name="key"/> names the key loaded in its slot now (no lock: one volatile read).</summary>
    internal bool IsCurrent(OffloadKey key) =>
        (uint)key.Slot < (uint)_generations.Length && Volatile.Read(ref _generations[key.Slot]) == key.Generation && key.IsLoaded;

    /// <summary>Copies the key bytes of a current handle into <paramref name="destination"/>.</summary>
    internal bool TryCopy(OffloadKey key, Span<byte> destination, out int length)
    {
        lock (_lock)
        {
            if (!IsCurrentUnsynchronized(key) || destination.Length < _material[key.Slot]!.Length)
            {
                length = 0;
                return false;
            }

            _material[key.Slot].CopyTo(destination);
            length = _material[key.Slot]!.Length;
            return true;
        }
    }

    internal void Clear()
    {
        lock (_lock)
        {
            for (int slot = 0; slot < _material.Length; slot++)
            {
                if (_material[slot] is { } bytes)
                {
                    CryptographicOperations.ZeroMemory(bytes);
                    _material[slot] = null;
                    _kinds[slot] = OffloadKeyKind.None;
                    Volatile.Write(ref _generations[slot], _generations[slot] + 1);
                }
            }
        }
    }

    private bool IsCurrentUnsynchronized(OffloadKey key) =>
        (uint)key.Slot < (uint)_material.Length
        && _material[key.Slot] is not null
        && _kinds[key.Slot] == key.Kind
        && _generations[key.Slot] == key.Generation;
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// AES-256 round keys for the AES-NI instructions (FIPS 197, section 5.2 key expansion; the
/// decryption schedule is the "equivalent inverse cipher" of section 5.3.5: the encryption keys
/// reversed, the middle thirteen passed through InvMixColumns). Callers check
/// <see cref="Aes.IsSupported"/> first.
/// </summary>
internal static class Aes256KeySchedule
{
    /// <summary>Round keys in one AES-256 schedule (14 rounds + the initial whitening key).</summary>
    internal const int KeyCount = 15;

    /// <summary>Expands the 32-byte <paramref name="key"/> into 15 encryption round keys.</summary>
    internal static void ExpandEncrypt(ReadOnlySpan<byte> key, Span<Vector128<byte>> roundKeys)
    {
        if (key.Length != 32 || roundKeys.Length < KeyCount)
        {
            throw new ArgumentException("AES-256 needs a 32-byte key and room for 15 round keys.");
        }

        // The AESKEYGENASSIST immediate must be a JIT-time constant, so the seven rounds of the
        // schedule are written out rather than looped over a round-constant table.
        Vector128<byte> even = Vector128.Create(key[..16]);
        Vector128<byte> odd = Vector128.Create(key.Slice(16, 16));
        roundKeys[0] = even;
        roundKeys[1] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x01));
        roundKeys[2] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[3] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x02));
        roundKeys[4] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[5] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x04));
        roundKeys[6] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[7] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x08));
        roundKeys[8] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[9] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x10));
        roundKeys[10] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[11] = odd;
        even = NextEven(even, Aes.KeygenAssist(odd, 0x20));
        roundKeys[12] = even;
        odd = NextOdd(odd, Aes.KeygenAssist(even, 0x00));
        roundKeys[13] = odd;
        roundKeys[14] = NextEven(even, Aes.KeygenAssist(odd, 0x40));
    }

    /// <summary>Derives the 15 decryption round keys (equivalent inverse cipher) from an encryption schedule.</summary>
    internal static void DeriveDecrypt(ReadOnlySpan<Vector128<byte>> encrypt, Span<Vector128<byte>> decrypt)
    {
        if (encrypt.Length < KeyCount || decrypt.Length < KeyCount)
        {
            throw new ArgumentException("Both schedules need room for 15 round keys.");
        }

        decrypt[0] = encrypt[14];
        for (int i = 1; i < 14; i++)
        {
            decrypt[i] = Aes.InverseMixColumns(encrypt[14 - i]);
        }

        decrypt[14] = encrypt[0];
    }

    /// <summary>Encrypts one block with a 15-key schedule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> EncryptBlock(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> keys)
    {
        block ^= keys[0];
        for (int r = 1; r < 14; r++)
        {
            block = Aes.Encrypt(block, keys[r]);
        }

        return Aes.EncryptLast(block, keys[14]);
    }

    /// <summary>Decrypts one block with a 15-key equivalent-inverse schedule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> DecryptBlock(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> keys)
    {
        block ^= keys[0];
        for (int r = 1; r < 14; r++)
        {
            block = Aes.Decrypt(block, keys[r]);
        }

        return Aes.DecryptLast(block, keys[14]);
    }

    // w[i] = w[i-8] ^ RotWord(SubWord(w[i-1])) ^ Rcon for the first word of an even round key;
    // KEYGENASSIST leaves RotWord(SubWord(X3)) ^ Rcon in dword 3, broadcast here.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> NextEven(Vector128<byte> previous, Vector128<byte> assist) =>
        PrefixXor(previous) ^ Sse2.Shuffle(assist.AsInt32(), 0xFF).AsByte();

    // The first word of an odd round key uses SubWord(w[i-1]) without rotation or Rcon:
    // KEYGENASSIST leaves SubWord(X3) in dword 2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> NextOdd(Vector128<byte> previous, Vector128<byte> assist) =>
        PrefixXor(previous) ^ Sse2.Shuffle(assist.AsInt32(), 0xAA).AsByte();

    // (w0, w1, w2, w3) -> (w0, w0^w1, w0^w1^w2, w0^w1^w2^w3): the running XOR along the key words.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> PrefixXor(Vector128<byte> x)
    {
        Vector128<byte> shifted = Sse2.ShiftLeftLogical128BitLane(x, 4);
        x ^= shifted;
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        x ^= shifted;
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        return x ^ shifted;
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using AesNi = System.Runtime.Intrinsics.X86.Aes;
using System.Security.Cryptography;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// XTS-AES-256 (IEEE 1619-2018) in managed code on the 128-bit AES-NI instructions: eight blocks
/// in flight per step so the AESENC latency is hidden, tweaks doubled in GF(2^128) on the side, and
/// ciphertext stealing for data units that are not a multiple of 16 bytes. .NET 10 has no VAES
/// intrinsics, so this path tops out at one block per AESENC; OpenSSL's VAES path is the fast one.
/// Arguments are validated by <see cref="AesXts"/>; this class trusts them.
/// </summary>
internal sealed class AesNiXtsCore : IDisposable
{
    private const int BlockBytes = 16;
    private const int Lanes = 8;
    private const int Key1Encrypt = 0;
    private const int Key1Decrypt = Aes256KeySchedule.KeyCount;
    private const int Key2Encrypt = 2 * Aes256KeySchedule.KeyCount;

    /// <summary>
    /// Three schedules (key1 encrypt, key1 decrypt, key2 encrypt) in one array on the pinned object
    /// heap, so a compacting GC never leaves a stale copy of key material behind. Written by the
    /// constructor, cleared by <see cref="Dispose"/>.
    /// </summary>
    private readonly Vector128<byte>[] _roundKeys;

    internal AesNiXtsCore(ReadOnlySpan<byte> key)
    {
        if (!AesNi.IsSupported)
        {
            throw new PlatformNotSupportedException("The managed XTS path needs AES-NI; this CPU (or DOTNET_EnableHWIntrinsic=0) has none. Use the OpenSSL path.");
        }

        _roundKeys = GC.AllocateArray<Vector128<byte>>(3 * Aes256KeySchedule.KeyCount, pinned: true);
        Span<Vector128<byte>> all = _roundKeys;
        Aes256KeySchedule.ExpandEncrypt(key[..32], all.Slice(Key1Encrypt, Aes256KeySchedule.KeyCount));
        Aes256KeySchedule.DeriveDecrypt(all.Slice(Key1Encrypt, Aes256KeySchedule.KeyCount), all.Slice(Key1Decrypt, Aes256KeySchedule.KeyCount));
        Aes256KeySchedule.ExpandEncrypt(key.Slice(32, 32), all.Slice(Key2Encrypt, Aes256KeySchedule.KeyCount));
    }

    /// <summary>Encrypts or decrypts <c>src.Length / blockSize</c> consecutive data units, the first with tweak <paramref name="firstLba"/>.</summary>
    internal void Transform(ReadOnlySpan<byte> src, Span<byte> dst, UInt128 firstLba, int blockSize, bool encrypt)
    {
        ReadOnlySpan<Vector128<byte>> tweakKeys = _roundKeys.AsSpan(Key2Encrypt, Aes256KeySchedule.KeyCount);
        ReadOnlySpan<Vector128<byte>> dataKeys = _roundKeys.AsSpan(encrypt ? Key1Encrypt : Key1Decrypt, Aes256KeySchedule.KeyCount);
        Span<byte> tweakBytes = stackalloc byte[BlockBytes];
        UInt128 lba = firstLba;
        for (int offset = 0; offset < src.Length; offset += blockSize)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(tweakBytes, lba);
            Vector128<byte> tweak = Aes256KeySchedule.EncryptBlock(Vector128.Create<byte>(tweakBytes), tweakKeys);
            ReadOnlySpan<byte> unitIn = src.Slice(offset, blockSize);
            Span<byte> unitOut = dst.Slice(offset, blockSize);
            if (encrypt)
            {
                EncryptUnit(unitIn, unitOut, tweak, dataKeys);
            }
            else
            {
                DecryptUnit(unitIn, unitOut, tweak, dataKeys);
            }

            lba++;
        }

        CryptographicOperations.ZeroMemory(tweakBytes);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_roundKeys.AsSpan()));

    private static void EncryptUnit(ReadOnlySpan<byte> src, Span<byte> dst, Vector128<byte> tweak, ReadOnlySpan<Vector128<byte>> keys)
    {
        int done = TransformFullBlocks<EncryptRounds>(src, dst, ref tweak, keys);
        if (done != src.Length)
        {
            TransformStolen<EncryptRounds>(src[done..], dst[done..], tweak, MultiplyByX(tweak), keys);
        }
    }

    private static void DecryptUnit(ReadOnlySpan<byte> src, Span<byte> dst, Vector128<byte> tweak, ReadOnlySpan<Vector128<byte>> keys)
    {
        int done = TransformFullBlocks<DecryptRounds>(src, dst, ref tweak, keys);
        if (done != src.Length)
        {
            TransformStolen<DecryptRounds>(src[done..], dst[done..], MultiplyByX(tweak), tweak, keys);
        }
    }

    /// <summary>
    /// Runs every block of the unit that is not part of ciphertext stealing (all of them when the
    /// length is a multiple of 16, else all but the last full one), eight at a time, advancing
    /// <paramref name="tweak"/>; returns the bytes done.
    /// </summary>
    private static int TransformFullBlocks<TRounds>(ReadOnlySpan<byte> src, Span<byte> dst, ref Vector128<byte> tweak, ReadOnlySpan<Vector128<byte>> keys)
        where TRounds : struct, IAesRounds
    {
        int fullBlocks = src.Length / BlockBytes;
        int plainBlocks = src.Length % BlockBytes == 0 ? fullBlocks : fullBlocks - 1;
        int block = 0;
        for (; block + Lanes <= plainBlocks; block += Lanes)
        {
            Vector128<byte> t0 = tweak;
            Vector128<byte> t1 = MultiplyByX(t0);
            Vector128<byte> t2 = MultiplyByX(t1);
            Vector128<byte> t3 = MultiplyByX(t2);
            Vector128<byte> t4 = MultiplyByX(t3);
            Vector128<byte> t5 = MultiplyByX(t4);
            Vector128<byte> t6 = MultiplyByX(t5);
            Vector128<byte> t7 = MultiplyByX(t6);
            tweak = MultiplyByX(t7);

            // One bounds check per eight blocks: the slices are exactly 128 bytes, so the
            // unchecked loads and stores at offsets 0..112 stay inside them.
            ReadOnlySpan<byte> input = src.Slice(block * BlockBytes, Lanes * BlockBytes);
            Span<byte> output = dst.Slice(block * BlockBytes, Lanes * BlockBytes);
            ref byte i = ref MemoryMarshal.GetReference(input);
            ref byte o = ref MemoryMarshal.GetReference(output);
            Vector128<byte> k = keys[0];
            Vector128<byte> b0 = Vector128.LoadUnsafe(ref i, 0) ^ t0 ^ k;
            Vector128<byte> b1 = Vector128.LoadUnsafe(ref i, 16) ^ t1 ^ k;
            Vector128<byte> b2 = Vector128.LoadUnsafe(ref i, 32) ^ t2 ^ k;
            Vector128<byte> b3 = Vector128.LoadUnsafe(ref i, 48) ^ t3 ^ k;
            Vector128<byte> b4 = Vector128.LoadUnsafe(ref i, 64) ^ t4 ^ k;
            Vector128<byte> b5 = Vector128.LoadUnsafe(ref i, 80) ^ t5 ^ k;
            Vector128<byte> b6 = Vector128.LoadUnsafe(ref i, 96) ^ t6 ^ k;
            Vector128<byte> b7 = Vector128.LoadUnsafe(ref i, 112) ^ t7 ^ k;
            for (int r = 1; r < 14; r++)
            {
                k = keys[r];
                b0 = TRounds.Round(b0, k);
                b1 = TRounds.Round(b1, k);
                b2 = TRounds.Round(b2, k);
                b3 = TRounds.Round(b3, k);
                b4 = TRounds.Round(b4, k);
                b5 = TRounds.Round(b5, k);
                b6 = TRounds.Round(b6, k);
                b7 = TRounds.Round(b7, k);
            }

            k = keys[14];
            (TRounds.LastRound(b0, k) ^ t0).StoreUnsafe(ref o, 0);
            (TRounds.LastRound(b1, k) ^ t1).StoreUnsafe(ref o, 16);
            (TRounds.LastRound(b2, k) ^ t2).StoreUnsafe(ref o, 32);
            (TRounds.LastRound(b3, k) ^ t3).StoreUnsafe(ref o, 48);
            (TRounds.LastRound(b4, k) ^ t4).StoreUnsafe(ref o, 64);
            (TRounds.LastRound(b5, k) ^ t5).StoreUnsafe(ref o, 80);
            (TRounds.LastRound(b6, k) ^ t6).StoreUnsafe(ref o, 96);
            (TRounds.LastRound(b7, k) ^ t7).StoreUnsafe(ref o, 112);
        }

        for (; block < plainBlocks; block++)
        {
            int at = block * BlockBytes;
            Vector128<byte> x = Vector128.Create<byte>(src.Slice(at, BlockBytes)) ^ tweak;
            (TRounds.Block(x, keys) ^ tweak).CopyTo(dst.Slice(at, BlockBytes));
            tweak = MultiplyByX(tweak);
        }

        return plainBlocks * BlockBytes;
    }

    /// <summary>One direction of AES-256: its middle round, its last round and a whole block; a struct so the JIT specialises the loop per direction.</summary>
    private interface IAesRounds
    {
        static abstract Vector128<byte> Round(Vector128<byte> state, Vector128<byte> key);

        static abstract Vector128<byte> LastRound(Vector128<byte> state, Vector128<byte> key);

        static abstract Vector128<byte> Block(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> keys);
    }

    private readonly struct EncryptRounds : IAesRounds
    {
        public static Vector128<byte> Round(Vector128<byte> state, Vector128<byte> key) => AesNi.Encrypt(state, key);

        public static Vector128<byte> LastRound(Vector128<byte> state, Vector128<byte> key) => AesNi.EncryptLast(state, key);

        public static Vector128<byte> Block(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> keys) => Aes256KeySchedule.EncryptBlock(block, keys);
    }

    private readonly struct DecryptRounds : IAesRounds
    {
        public static Vector128<byte> Round(Vector128<byte> state, Vector128<byte> key) => AesNi.Decrypt(state, key);

        public static Vector128<byte> LastRound(Vector128<byte> state, Vector128<byte> key) => AesNi.DecryptLast(state, key);

        public static Vector128<byte> Block(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> keys) => Aes256KeySchedule.DecryptBlock(block, keys);
    }

    // IEEE 1619-2018 5.3.2 ciphertext stealing. src/dst hold the last full block and the r-byte
    // partial block, 16 < length < 32. The full block goes through the cipher with
    // firstTweak, its first r bytes become the partial output block, the partial input block padded
    // with its remaining bytes goes through with secondTweak into the full output block. Encrypt
    // uses T(m-1) then T(m); decrypt the reverse. Everything read is read before the bytes at
    // the same place are written, so src may equal dst.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransformStolen<TRounds>(ReadOnlySpan<byte> src, Span<byte> dst, Vector128<byte> firstTweak, Vector128<byte> secondTweak, ReadOnlySpan<Vector128<byte>> keys)
        where TRounds : struct, IAesRounds
    {
        int tail = src.Length - BlockBytes;
        Vector128<byte> stolen = TRounds.Block(Vector128.Create<byte>(src[..BlockBytes]) ^ firstTweak, keys) ^ firstTweak;
        Span<byte> buffer = stackalloc byte[BlockBytes];
        stolen.CopyTo(buffer);
        Span<byte> last = stackalloc byte[BlockBytes];
        src.Slice(BlockBytes, tail).CopyTo(last);
        buffer[tail..].CopyTo(last[tail..]);
        buffer[..tail].CopyTo(dst.Slice(BlockBytes, tail));
        Vector128<byte> x = Vector128.Create<byte>(last) ^ secondTweak;
        (TRounds.Block(x, keys) ^ secondTweak).CopyTo(dst[..BlockBytes]);
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(last);
    }

    // Multiplies the tweak by x in GF(2^128) mod x^128 + x^7 + x^2 + x + 1, the 128-bit value
    // little-endian (byte 0 least significant): each 64-bit half shifts left by one, the bit that
    // leaves the low half enters the high half, and the bit that leaves the top folds back as 0x87.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> MultiplyByX(Vector128<byte> tweak)
    {
        Vector128<int> signs = Sse2.ShiftRightArithmetic(tweak.AsInt32(), 31);
        // dword 0 <- sign of dword 3 (top bit of the value), dword 2 <- sign of dword 1 (top of the low half).
        Vector128<int> carries = Sse2.Shuffle(signs, 0x13) & Vector128.Create(0x87, 0, 1, 0);
        Vector128<long> doubled = Sse2.Add(tweak.AsInt64(), tweak.AsInt64());
        return (doubled.AsInt32() ^ carries).AsByte();
    }
}

using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// The independent XTS peer: libgcrypt (Debian libgcrypt20), which shares no code with OpenSSL.
/// Test-only P/Invoke; the library itself never calls libgcrypt.
/// </summary>
internal static unsafe partial class LibgcryptXts
{
    private const string Library = "libgcrypt.so.20";
    private const int CipherAes256 = 9;
    private const int ModeXts = 13;

    private static readonly Lazy<bool> Initialized = new(() =>
    {
        try
        {
            return CheckVersion(null) != 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    });

    internal static bool IsAvailable => Initialized.Value;

    /// <summary>Encrypts or decrypts each <paramref name="blockSize"/> data unit with tweak (firstLba + i) as a 128-bit little-endian IV.</summary>
    internal static void Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> src, Span<byte> dst, UInt128 firstLba, int blockSize, bool encrypt)
    {
        Assert.True(IsAvailable, "libgcrypt.so.20 is not loadable");
        Check(Open(out nint handle, CipherAes256, ModeXts, 0), "gcry_cipher_open");
        try
        {
            Span<byte> iv = stackalloc byte[16];
            fixed (byte* k = key)
            fixed (byte* i = src)
            fixed (byte* o = dst)
            fixed (byte* t = iv)
            {
                Check(SetKey(handle, k, (nuint)key.Length), "gcry_cipher_setkey");
                UInt128 lba = firstLba;
                for (int offset = 0; offset < src.Length; offset += blockSize)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(iv, lba++);
                    Check(SetIv(handle, t, 16), "gcry_cipher_setiv");
                    uint rc = encrypt
                        ? Encrypt(handle, o + offset, (nuint)blockSize, i + offset, (nuint)blockSize)
                        : Decrypt(handle, o + offset, (nuint)blockSize, i + offset, (nuint)blockSize);
                    Check(rc, encrypt ? "gcry_cipher_encrypt" : "gcry_cipher_decrypt");
                }
            }
        }
        finally
        {
            Close(handle);
        }
    }

    private static void Check(uint rc, string call) => Assert.True(rc == 0, $"{call} failed: gcry_error_t 0x{rc:x}");

    [LibraryImport(Library, EntryPoint = "gcry_check_version")]
    private static partial nint CheckVersion(byte* required);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_open")]
    private static partial uint Open(out nint handle, int algorithm, int mode, uint flags);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_close")]
    private static partial void Close(nint handle);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_setkey")]
    private static partial uint SetKey(nint handle, byte* key, nuint length);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_setiv")]
    private static partial uint SetIv(nint handle, byte* iv, nuint length);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_encrypt")]
    private static partial uint Encrypt(nint handle, byte* output, nuint outputLength, byte* input, nuint inputLength);

    [LibraryImport(Library, EntryPoint = "gcry_cipher_decrypt")]
    private static partial uint Decrypt(nint handle, byte* output, nuint outputLength, byte* input, nuint inputLength);
}

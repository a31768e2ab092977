using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// The native anchor for the crypto kernels: OpenSSL libcrypto EVP called directly, the way a C
/// program would drive it (one context per direction keyed once; per data unit or message only the
/// IV is reset). Bench-local P/Invoke, independent of the library's Interop/ declarations.
/// </summary>
internal static unsafe partial class OpenSslEvpAnchor
{
    private const string Library = "libcrypto.so.3";

    internal const int CtrlAeadGetTag = 0x10;
    internal const int CtrlAeadSetTag = 0x11;

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_new")]
    internal static partial nint ContextNew();

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_free")]
    internal static partial void ContextFree(nint context);

    [LibraryImport(Library, EntryPoint = "EVP_aes_256_xts")]
    internal static partial nint Aes256Xts();

    [LibraryImport(Library, EntryPoint = "EVP_aes_256_gcm")]
    internal static partial nint Aes256Gcm();

    [LibraryImport(Library, EntryPoint = "EVP_CipherInit_ex")]
    internal static partial int CipherInit(nint context, nint cipher, nint engine, byte* key, byte* iv, int encrypt);

    [LibraryImport(Library, EntryPoint = "EVP_CipherUpdate")]
    internal static partial int CipherUpdate(nint context, byte* output, out int outputLength, byte* input, int inputLength);

    [LibraryImport(Library, EntryPoint = "EVP_CipherFinal_ex")]
    internal static partial int CipherFinal(nint context, byte* output, out int outputLength);

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_ctrl")]
    internal static partial int Control(nint context, int type, int argument, void* pointer);

    [LibraryImport(Library, EntryPoint = "OpenSSL_version", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint Version(int type);

    /// <summary>A context keyed for <paramref name="cipher"/> in one direction.</summary>
    internal static nint CreateContext(nint cipher, ReadOnlySpan<byte> key, bool encrypt)
    {
        nint context = ContextNew();
        fixed (byte* k = key)
        {
            if (context == 0 || CipherInit(context, cipher, 0, k, null, encrypt ? 1 : 0) != 1)
            {
                throw new InvalidOperationException("EVP_CipherInit_ex failed");
            }
        }

        return context;
    }

    /// <summary>XTS over consecutive data units: the IV (LBA, little-endian) reset per unit, one update per unit.</summary>
    internal static void Xts(nint context, ReadOnlySpan<byte> src, Span<byte> dst, ulong firstLba, int blockSize)
    {
        byte* iv = stackalloc byte[16];
        fixed (byte* input = src)
        fixed (byte* output = dst)
        {
            ulong lba = firstLba;
            for (int offset = 0; offset < src.Length; offset += blockSize)
            {
                *(ulong*)iv = lba++;
                *(ulong*)(iv + 8) = 0;
                if (CipherInit(context, 0, 0, null, iv, -1) != 1
                    || CipherUpdate(context, output + offset, out int written, input + offset, blockSize) != 1
                    || written != blockSize)
                {
                    throw new InvalidOperationException("EVP XTS failed");
                }
            }
        }
    }

    /// <summary>One GCM message: nonce, AAD, data, final, then get (encrypt) or check (decrypt) the tag.</summary>
    internal static bool Gcm(nint context, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> tag, ReadOnlySpan<byte> aad, bool encrypt)
    {
        byte scratch = 0;
        fixed (byte* n = nonce)
        fixed (byte* input = src)
        fixed (byte* output = dst)
        fixed (byte* t = tag)
        fixed (byte* a = aad)
        {
            if (CipherInit(context, 0, 0, null, n, -1) != 1
                || CipherUpdate(context, null, out _, a, aad.Length) != 1
                || CipherUpdate(context, output, out _, input, src.Length) != 1)
            {
                throw new InvalidOperationException("EVP GCM failed");
            }

            if (encrypt)
            {
                return CipherFinal(context, &scratch, out _) == 1 && Control(context, CtrlAeadGetTag, 16, t) == 1;
            }

            return Control(context, CtrlAeadSetTag, 16, t) == 1 && CipherFinal(context, &scratch, out _) == 1;
        }
    }
}

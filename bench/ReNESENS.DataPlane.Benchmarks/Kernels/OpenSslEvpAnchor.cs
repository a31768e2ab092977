using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// The native anchor for the crypto kernels: OpenSSL libcrypto EVP called directly, the way a C
/// program would drive it (one context per direction keyed once; per data unit or message only the
/// IV is reset). The calls go through the library's own libcrypto declarations (the same
/// P/Invoke stubs our kernels use), so the anchor differs only in what a C caller would do.
/// </summary>
internal static unsafe partial class OpenSslEvpAnchor
{
    private const string Library = LibCrypto.Library;

    [LibraryImport(Library, EntryPoint = "OpenSSL_version", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint Version(int type);

    /// <summary>A context keyed for <paramref name="cipher"/> in one direction.</summary>
    internal static nint CreateContext(nint cipher, ReadOnlySpan<byte> key, bool encrypt)
    {
        nint context = LibCrypto.CipherContextNew();
        fixed (byte* k = key)
        {
            if (context == 0 || LibCrypto.CipherInit(context, cipher, 0, k, null, encrypt ? 1 : 0) != 1)
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
                if (LibCrypto.CipherInit(context, 0, 0, null, iv, -1) != 1
                    || LibCrypto.CipherUpdate(context, output + offset, out int written, input + offset, blockSize) != 1
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
            if (LibCrypto.CipherInit(context, 0, 0, null, n, -1) != 1
                || LibCrypto.CipherUpdate(context, null, out _, a, aad.Length) != 1
                || LibCrypto.CipherUpdate(context, output, out _, input, src.Length) != 1)
            {
                throw new InvalidOperationException("EVP GCM failed");
            }

            if (encrypt)
            {
                return LibCrypto.CipherFinal(context, &scratch, out _) == 1 && LibCrypto.CipherContextControl(context, LibCrypto.CtrlAeadGetTag, 16, t) == 1;
            }

            return LibCrypto.CipherContextControl(context, LibCrypto.CtrlAeadSetTag, 16, t) == 1 && LibCrypto.CipherFinal(context, &scratch, out _) == 1;
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// The few OpenSSL 3 libcrypto EVP entry points the crypto kernels use (the same library .NET
/// itself loads on Linux). Every call is blittable: raw context pointers and byte pointers, so the
/// generated stubs add nothing on the hot path. Callers keep the <see cref="SafeEvpCipherContextHandle"/>
/// referenced (DangerousAddRef) for the whole batch and pass its raw pointer here.
/// </summary>
internal static unsafe partial class LibCrypto
{
    internal const string Library = "libcrypto.so.3";

    /// <summary>EVP_CTRL_AEAD_SET_IVLEN.</summary>
    internal const int CtrlAeadSetIvLength = 0x9;

    /// <summary>EVP_CTRL_AEAD_GET_TAG.</summary>
    internal const int CtrlAeadGetTag = 0x10;

    /// <summary>EVP_CTRL_AEAD_SET_TAG.</summary>
    internal const int CtrlAeadSetTag = 0x11;

    /// <summary>For EVP_CipherInit_ex: keep the direction chosen at the first init.</summary>
    internal const int KeepDirection = -1;

    private static readonly Lazy<bool> Loadable = new(ProbeLibrary);

    /// <summary>True when libcrypto.so.3 loads and reports OpenSSL 3 or later.</summary>
    internal static bool IsAvailable => Loadable.Value;

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_new")]
    internal static partial nint CipherContextNew();

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_free")]
    internal static partial void CipherContextFree(nint context);

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
    internal static partial int CipherContextControl(nint context, int type, int argument, void* pointer);

    [LibraryImport(Library, EntryPoint = "OpenSSL_version_num")]
    internal static partial ulong VersionNumber();

    [LibraryImport(Library, EntryPoint = "ERR_get_error")]
    internal static partial ulong ErrorGet();

    [LibraryImport(Library, EntryPoint = "ERR_clear_error")]
    internal static partial void ErrorClear();

    [LibraryImport(Library, EntryPoint = "ERR_error_string_n")]
    internal static partial void ErrorString(ulong error, byte* buffer, nuint length);

    /// <summary>Throws for a failed libcrypto <paramref name="call"/> with the first queued OpenSSL error, and clears the queue.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowFailure(string call)
    {
        ulong code = ErrorGet();
        byte* text = stackalloc byte[256];
        text[0] = 0;
        if (code != 0)
        {
            ErrorString(code, text, 256);
        }

        ErrorClear();
        string detail = code == 0 ? "no OpenSSL error queued" : Marshal.PtrToStringUTF8((nint)text) ?? code.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        throw new CryptographicException($"{call} failed: {detail}");
    }

    private static bool ProbeLibrary()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Library, typeof(LibCrypto).Assembly, null, out _))
        {
            return false;
        }

        try
        {
            return VersionNumber() >= 0x3000_0000UL;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}

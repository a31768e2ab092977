using System.Security.Cryptography;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Owns one OpenSSL <c>EVP_CIPHER_CTX</c> and frees it exactly once. <c>EVP_CIPHER_CTX_free</c>
/// cleanses the context (key schedule included) before releasing it.
/// </summary>
internal sealed class SafeEvpCipherContextHandle : System.Runtime.InteropServices.SafeHandle
{
    /// <summary>Creates an invalid handle (used by the marshaller).</summary>
    public SafeEvpCipherContextHandle()
        : base(0, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Allocates a fresh context; throws when OpenSSL cannot.</summary>
    internal static SafeEvpCipherContextHandle Create()
    {
        var context = new SafeEvpCipherContextHandle();
        nint raw = LibCrypto.CipherContextNew();
        if (raw == 0)
        {
            context.Dispose();
            throw new CryptographicException("EVP_CIPHER_CTX_new failed: out of memory.");
        }

        context.SetHandle(raw);
        return context;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        LibCrypto.CipherContextFree(handle);
        return true;
    }
}

using System.Security.Cryptography;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// AES-256-GCM through OpenSSL's EVP_aes_256_gcm: one context per direction, keyed once; each
/// message resets only the nonce. Arguments are validated by <see cref="AesGcmCipher"/>.
/// </summary>
internal sealed unsafe class OpenSslGcmCore : IDisposable
{
    private readonly SafeEvpCipherContextHandle _encrypt;
    private readonly SafeEvpCipherContextHandle _decrypt;

    internal OpenSslGcmCore(ReadOnlySpan<byte> key)
    {
        _encrypt = SafeEvpCipherContextHandle.Create();
        _decrypt = SafeEvpCipherContextHandle.Create();
        try
        {
            nint cipher = LibCrypto.Aes256Gcm();
            fixed (byte* k = key)
            {
                // The default GCM IV length is 12 bytes, the only one AesGcmCipher accepts.
                if (LibCrypto.CipherInit(_encrypt.DangerousGetHandle(), cipher, 0, k, null, 1) != 1)
                {
                    LibCrypto.ThrowFailure("EVP_CipherInit_ex(aes-256-gcm, encrypt)");
                }

                if (LibCrypto.CipherInit(_decrypt.DangerousGetHandle(), cipher, 0, k, null, 0) != 1)
                {
                    LibCrypto.ThrowFailure("EVP_CipherInit_ex(aes-256-gcm, decrypt)");
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        // See OpenSslXtsCore.Transform: the lease keeps the context alive through the call.
        using var lease = new SafeHandleLease(_encrypt);
        nint context = lease.Value;
        byte scratch = 0;

        // Pinned for the call; lengths were checked by AesGcmCipher (tag 16, nonce 12,
        // ciphertext as long as plaintext, no partial overlap). Empty spans are skipped so no
        // null pointer reaches EVP (a null output pointer would mean "this is AAD").
        fixed (byte* n = nonce)
        fixed (byte* input = plaintext)
        fixed (byte* output = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* aad = associatedData)
        {
            Run(context, n, aad, associatedData.Length, input, output, plaintext.Length);

            if (LibCrypto.CipherFinal(context, &scratch, out _) != 1)
            {
                LibCrypto.ThrowFailure("EVP_CipherFinal_ex(aes-256-gcm)");
            }

            if (LibCrypto.CipherContextControl(context, LibCrypto.CtrlAeadGetTag, tag.Length, t) != 1)
            {
                LibCrypto.ThrowFailure("EVP_CIPHER_CTX_ctrl(GET_TAG)");
            }
        }
    }

    internal bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var lease = new SafeHandleLease(_decrypt);
        nint context = lease.Value;
        byte scratch = 0;
        bool authentic;

        // Same invariants as Encrypt. EVP_CTRL_AEAD_SET_TAG takes a non-const pointer and only
        // copies from it, so the caller's read-only tag is passed as is.
        fixed (byte* n = nonce)
        fixed (byte* input = ciphertext)
        fixed (byte* output = plaintext)
        fixed (byte* t = tag)
        fixed (byte* aad = associatedData)
        {
            Run(context, n, aad, associatedData.Length, input, output, ciphertext.Length);

            if (LibCrypto.CipherContextControl(context, LibCrypto.CtrlAeadSetTag, tag.Length, t) != 1)
            {
                LibCrypto.ThrowFailure("EVP_CIPHER_CTX_ctrl(SET_TAG)");
            }

            authentic = LibCrypto.CipherFinal(context, &scratch, out _) == 1;
        }

        if (!authentic)
        {
            // A tag mismatch queues an error; it is an expected outcome, not a failure.
            LibCrypto.ErrorClear();
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return authentic;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
    }

    /// <summary>
    /// Sets the nonce, feeds the AAD and runs the cipher over <paramref name="length"/> bytes: the
    /// steps both directions share. Empty AAD and data are skipped so no null pointer reaches EVP
    /// (a null output pointer would mean "this is AAD"). The caller pinned every buffer.
    /// </summary>
    private static void Run(nint context, byte* nonce, byte* aad, int aadLength, byte* input, byte* output, int length)
    {
        if (LibCrypto.CipherInit(context, 0, 0, null, nonce, LibCrypto.KeepDirection) != 1)
        {
            LibCrypto.ThrowFailure("EVP_CipherInit_ex(nonce)");
        }

        if (aadLength != 0 && LibCrypto.CipherUpdate(context, null, out _, aad, aadLength) != 1)
        {
            LibCrypto.ThrowFailure("EVP_CipherUpdate(aad)");
        }

        if (length != 0 && (LibCrypto.CipherUpdate(context, output, out int written, input, length) != 1 || written != length))
        {
            LibCrypto.ThrowFailure("EVP_CipherUpdate(aes-256-gcm)");
        }
    }
}

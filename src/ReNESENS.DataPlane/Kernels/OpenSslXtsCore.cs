using System.Buffers.Binary;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// XTS-AES-256 through OpenSSL's EVP_aes_256_xts (VAES/AVX-512 where the CPU has it). One context
/// per direction, keyed once; per data unit only the IV (the tweak) is reset and one
/// EVP_CipherUpdate covers the whole unit, as OpenSSL's XTS treats each update as one data unit.
/// Arguments are validated by <see cref="AesXts"/>; this class trusts them.
/// </summary>
internal sealed unsafe class OpenSslXtsCore : IDisposable
{
    private readonly SafeEvpCipherContextHandle _encrypt;
    private readonly SafeEvpCipherContextHandle _decrypt;

    internal OpenSslXtsCore(ReadOnlySpan<byte> key)
    {
        _encrypt = SafeEvpCipherContextHandle.Create();
        _decrypt = SafeEvpCipherContextHandle.Create();
        try
        {
            nint cipher = LibCrypto.Aes256Xts();
            fixed (byte* k = key)
            {
                if (LibCrypto.CipherInit(_encrypt.DangerousGetHandle(), cipher, 0, k, null, 1) != 1)
                {
                    LibCrypto.ThrowFailure("EVP_CipherInit_ex(aes-256-xts, encrypt)");
                }

                if (LibCrypto.CipherInit(_decrypt.DangerousGetHandle(), cipher, 0, k, null, 0) != 1)
                {
                    LibCrypto.ThrowFailure("EVP_CipherInit_ex(aes-256-xts, decrypt)");
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Encrypts or decrypts <c>src.Length / blockSize</c> consecutive data units, the first with tweak <paramref name="firstLba"/>.</summary>
    internal void Transform(ReadOnlySpan<byte> src, Span<byte> dst, UInt128 firstLba, int blockSize, bool encrypt)
    {
        // A reference per call (not per data unit): a Dispose racing this run on another thread
        // defers the free instead of pulling the context out from under OpenSSL.
        using var lease = new SafeHandleLease(encrypt ? _encrypt : _decrypt);
        nint context = lease.Value;
        Span<byte> iv = stackalloc byte[16];
        UInt128 lba = firstLba;

        // Pinned for the whole run; every offset below is < src.Length == dst.Length (checked
        // by AesXts), each update covers exactly blockSize bytes inside both buffers, and
        // src == dst is the only overlap allowed (EVP refuses partial overlap itself). The IV is
        // the LBA, not secret, so it is not cleared afterwards.
        fixed (byte* input = src)
        fixed (byte* output = dst)
        fixed (byte* tweak = iv)
        {
            for (int offset = 0; offset < src.Length; offset += blockSize)
            {
                BinaryPrimitives.WriteUInt128LittleEndian(iv, lba);
                if (LibCrypto.CipherInit(context, 0, 0, null, tweak, LibCrypto.KeepDirection) != 1)
                {
                    LibCrypto.ThrowFailure("EVP_CipherInit_ex(iv)");
                }

                if (LibCrypto.CipherUpdate(context, output + offset, out int written, input + offset, blockSize) != 1 || written != blockSize)
                {
                    LibCrypto.ThrowFailure("EVP_CipherUpdate(aes-256-xts)");
                }

                lba++;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
    }
}

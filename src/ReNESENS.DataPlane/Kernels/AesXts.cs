using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using AesNi = System.Runtime.Intrinsics.X86.Aes;
using System.Security.Cryptography;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>Which code runs an <see cref="AesXts"/> or <see cref="AesGcmCipher"/> instance.</summary>
internal enum CipherImplementation
{
    /// <summary>OpenSSL libcrypto EVP (VAES/AVX-512 on CPUs that have them).</summary>
    OpenSsl,

    /// <summary>XTS: managed code on the 128-bit AES-NI intrinsics.</summary>
    ManagedAesNi,

    /// <summary>GCM: .NET's <see cref="System.Security.Cryptography.AesGcm"/> (itself OpenSSL-backed on Linux).</summary>
    DotNet,
}

/// <summary>
/// XTS-AES-256 (IEEE 1619-2018, NIST SP 800-38E) for block storage: the data unit is one logical
/// block, its tweak the logical block address as a 128-bit little-endian number. One call handles a
/// run of consecutive blocks; the LBA increases by one per block.
/// </summary>
/// <remarks>
/// <para>Runs on OpenSSL's libcrypto when it has VAES code (3.2 and later), else on managed AES-NI
/// code, else on any OpenSSL 3; <see cref="Implementation"/> says which. Neither path allocates per call.</para>
/// <para>An instance is not thread-safe: it reuses one cipher context per direction. Use one per
/// core or queue pair. <see cref="Dispose"/> clears the key schedules.</para>
/// </remarks>
public sealed class AesXts : IDisposable
{
    /// <summary>Length of the key: two 256-bit AES keys, the data key followed by the tweak key.</summary>
    public const int KeySizeInBytes = 64;

    /// <summary>The smallest data unit XTS can encrypt (one AES block).</summary>
    public const int MinBlockSize = 16;

    /// <summary>The largest data unit: IEEE 1619-2018 allows at most 2^20 AES blocks per data unit.</summary>
    public const int MaxBlockSize = 1 << 24;

    private readonly OpenSslXtsCore? _openSsl;
    private readonly AesNiXtsCore? _managed;
    private bool _disposed;

    /// <summary>Creates the cipher for <paramref name="key"/> on the fastest path this machine has.</summary>
    /// <param name="key">64 bytes: key1 (data) then key2 (tweak). The two halves must differ.</param>
    /// <exception cref="ArgumentException">The key is not 64 bytes, or its two halves are equal.</exception>
    /// <exception cref="PlatformNotSupportedException">Neither libcrypto.so.3 nor AES-NI is available.</exception>
    public AesXts(ReadOnlySpan<byte> key)
        : this(key, DefaultImplementation())
    {
    }

    /// <summary>Creates the cipher on the named path (tests and benchmarks pick each path this way).</summary>
    internal AesXts(ReadOnlySpan<byte> key, CipherImplementation implementation)
    {
        ValidateKey(key);
        switch (implementation)
        {
            case CipherImplementation.OpenSsl:
                if (!LibCrypto.IsAvailable)
                {
                    throw new PlatformNotSupportedException($"{LibCrypto.Library} (OpenSSL 3) could not be loaded.");
                }

                _openSsl = new OpenSslXtsCore(key);
                break;
            case CipherImplementation.ManagedAesNi:
                _managed = new AesNiXtsCore(key);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "XTS runs on OpenSSL or on managed AES-NI.");
        }

        Implementation = implementation;
    }

    /// <summary>Which code runs this instance.</summary>
    internal CipherImplementation Implementation { get; }

    /// <summary>Encrypts <c>src.Length / blockSize</c> consecutive logical blocks.</summary>
    /// <param name="src">Plaintext: a whole number of blocks (may be empty).</param>
    /// <param name="dst">Ciphertext, the same length as <paramref name="src"/>; may be the same memory (in place) but must not partly overlap it.</param>
    /// <param name="firstLba">The logical block address of the first block: its tweak.</param>
    /// <param name="blockSize">The data-unit size in bytes, from 16 to 16 MiB (typically 512 or 4096); a size that is not a multiple of 16 uses ciphertext stealing.</param>
    /// <exception cref="ArgumentException">Lengths differ, are not a multiple of <paramref name="blockSize"/>, or the buffers partly overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public void Encrypt(ReadOnlySpan<byte> src, Span<byte> dst, ulong firstLba, int blockSize) =>
        Transform(src, dst, firstLba, blockSize, encrypt: true);

    /// <summary>Decrypts <c>src.Length / blockSize</c> consecutive logical blocks.</summary>
    /// <param name="src">Ciphertext: a whole number of blocks (may be empty).</param>
    /// <param name="dst">Plaintext, the same length as <paramref name="src"/>; may be the same memory (in place) but must not partly overlap it.</param>
    /// <param name="firstLba">The logical block address of the first block: its tweak.</param>
    /// <param name="blockSize">The data-unit size used to encrypt, from 16 to 16 MiB.</param>
    /// <exception cref="ArgumentException">Lengths differ, are not a multiple of <paramref name="blockSize"/>, or the buffers partly overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public void Decrypt(ReadOnlySpan<byte> src, Span<byte> dst, ulong firstLba, int blockSize) =>
        Transform(src, dst, firstLba, blockSize, encrypt: false);

    /// <summary>Clears the key schedules (managed round keys are zeroed; OpenSSL cleanses its contexts when freeing them).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _openSsl?.Dispose();
        _managed?.Dispose();
    }

    /// <summary>
    /// OpenSSL from 3.2 on has VAES/AVX-512 XTS code; before that its XTS is 128-bit AES-NI like
    /// ours, and measured beside it (Debian 12's 3.0, quiet machine) our managed path was 1.22x its
    /// speed at 512-byte units, 1.10x at 4 KiB and equal at 64 KiB, while calling it through EVP cost
    /// a context reset per unit on top. So: a VAES-capable OpenSSL first, then AES-NI, then any OpenSSL.
    /// </summary>
    private static CipherImplementation DefaultImplementation()
    {
        const ulong OpenSsl32 = 0x3020_0000;
        bool openSsl = LibCrypto.IsAvailable;
        if (openSsl && LibCrypto.VersionNumber() >= OpenSsl32)
        {
            return CipherImplementation.OpenSsl;
        }

        if (AesNi.IsSupported)
        {
            return CipherImplementation.ManagedAesNi;
        }

        if (openSsl)
        {
            return CipherImplementation.OpenSsl;
        }

        throw new PlatformNotSupportedException($"AES-XTS needs {LibCrypto.Library} (OpenSSL 3) or a CPU with AES-NI; this machine has neither.");
    }

    private static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySizeInBytes)
        {
            KernelThrowHelper.ThrowArgument(nameof(key), $"An AES-256-XTS key is {KeySizeInBytes} bytes (two 256-bit keys); got {key.Length}.");
        }

        // IEEE 1619-2018 5.1 and FIPS 140-3 IG C.I require the data and tweak keys to differ.
        if (CryptographicOperations.FixedTimeEquals(key[..32], key[32..]))
        {
            KernelThrowHelper.ThrowArgument(nameof(key), "The two halves of an XTS key (data key and tweak key) must differ (IEEE 1619-2018, FIPS 140-3).");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Transform(ReadOnlySpan<byte> src, Span<byte> dst, ulong firstLba, int blockSize, bool encrypt)
    {
        if (_disposed)
        {
            KernelThrowHelper.ThrowObjectDisposed(this);
        }

        ValidateRun(src, dst, blockSize);
        if (src.IsEmpty)
        {
            return;
        }

        if (_openSsl is not null)
        {
            _openSsl.Transform(src, dst, firstLba, blockSize, encrypt);
        }
        else
        {
            _managed!.Transform(src, dst, firstLba, blockSize, encrypt);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidateRun(ReadOnlySpan<byte> src, ReadOnlySpan<byte> dst, int blockSize)
    {
        if (blockSize is < MinBlockSize or > MaxBlockSize)
        {
            KernelThrowHelper.ThrowArgumentOutOfRange(nameof(blockSize), blockSize, $"An XTS data unit is {MinBlockSize} bytes to 16 MiB.");
        }

        if (src.Length != dst.Length)
        {
            KernelThrowHelper.ThrowArgument(nameof(dst), $"The destination ({dst.Length} bytes) must be as long as the source ({src.Length} bytes).");
        }

        if (src.Length % blockSize != 0)
        {
            KernelThrowHelper.ThrowArgument(nameof(src), $"The length ({src.Length} bytes) is not a whole number of {blockSize}-byte blocks.");
        }

        if (src.Overlaps(dst, out int elementOffset) && elementOffset != 0)
        {
            KernelThrowHelper.ThrowArgument(nameof(dst), "The source and destination overlap without being the same memory; use the same span for in-place work.");
        }
    }
}

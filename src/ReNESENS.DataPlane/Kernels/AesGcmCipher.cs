using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag.
/// </summary>
/// <remarks>
/// <para>Runs on OpenSSL's libcrypto EVP directly when it loads, else on .NET's
/// <see cref="AesGcm"/> (which on Linux is itself OpenSSL underneath, one layer further away).
/// Neither path allocates per call on success.</para>
/// <para>A nonce must never be used twice with the same key: the caller owns that rule (a counter
/// per key is the usual answer). An instance is not thread-safe; <see cref="Dispose"/> clears the key.</para>
/// </remarks>
public sealed class AesGcmCipher : IDisposable
{
    /// <summary>Key length: 256 bits.</summary>
    public const int KeySizeInBytes = 32;

    /// <summary>Nonce length: 96 bits, the only size accepted (SP 800-38D 8.2 recommends it; other sizes are hashed and lose the counter-space guarantee).</summary>
    public const int NonceSizeInBytes = 12;

    /// <summary>Tag length: 128 bits.</summary>
    public const int TagSizeInBytes = 16;

    private readonly OpenSslGcmCore? _openSsl;
    private readonly AesGcm? _dotNet;
    private bool _disposed;

    /// <summary>Creates the cipher for a 32-byte <paramref name="key"/> on the fastest path this machine has.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public AesGcmCipher(ReadOnlySpan<byte> key)
        : this(key, LibCrypto.IsAvailable ? CipherImplementation.OpenSsl : CipherImplementation.DotNet)
    {
    }

    /// <summary>Creates the cipher on the named path (tests and benchmarks pick each path this way).</summary>
    internal AesGcmCipher(ReadOnlySpan<byte> key, CipherImplementation implementation)
    {
        if (key.Length != KeySizeInBytes)
        {
            KernelThrowHelper.ThrowArgument(nameof(key), $"An AES-256-GCM key is {KeySizeInBytes} bytes; got {key.Length}.");
        }

        switch (implementation)
        {
            case CipherImplementation.OpenSsl:
                if (!LibCrypto.IsAvailable)
                {
                    throw new PlatformNotSupportedException($"{LibCrypto.Library} (OpenSSL 3) could not be loaded.");
                }

                _openSsl = new OpenSslGcmCore(key);
                break;
            case CipherImplementation.DotNet:
                _dotNet = new AesGcm(key, TagSizeInBytes);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "GCM runs on OpenSSL or on System.Security.Cryptography.AesGcm.");
        }

        Implementation = implementation;
    }

    /// <summary>Which code runs this instance.</summary>
    internal CipherImplementation Implementation { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> and computes the tag over it and <paramref name="associatedData"/>.</summary>
    /// <param name="nonce">12 bytes, unique per message under this key.</param>
    /// <param name="plaintext">The message (may be empty).</param>
    /// <param name="ciphertext">As long as <paramref name="plaintext"/>; may be the same memory but must not partly overlap it.</param>
    /// <param name="tag">16 bytes, receives the authentication tag.</param>
    /// <param name="associatedData">Authenticated, not encrypted (may be empty).</param>
    /// <exception cref="ArgumentException">A length is wrong or the buffers partly overlap.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData = default)
    {
        Validate(nonce, plaintext, ciphertext, tag);
        if (_openSsl is not null)
        {
            _openSsl.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
        else
        {
            _dotNet!.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
    }

    /// <summary>Checks the tag and decrypts. Returns false when the tag does not match, and then <paramref name="plaintext"/> is all zeros.</summary>
    /// <param name="nonce">The 12-byte nonce used to encrypt.</param>
    /// <param name="ciphertext">The encrypted message (may be empty).</param>
    /// <param name="tag">The 16-byte tag to check.</param>
    /// <param name="plaintext">As long as <paramref name="ciphertext"/>; may be the same memory but must not partly overlap it.</param>
    /// <param name="associatedData">The associated data given to encrypt.</param>
    /// <returns>True when the message is authentic; false (and a zeroed <paramref name="plaintext"/>) when it is not.</returns>
    /// <exception cref="ArgumentException">A length is wrong or the buffers partly overlap.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        Validate(nonce, ciphertext, plaintext, tag);
        if (_openSsl is not null)
        {
            return _openSsl.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
        }

        try
        {
            _dotNet!.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm already clears the output on a mismatch; clear again so the contract does not
            // depend on that.
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    /// <summary>Clears the key (OpenSSL cleanses its contexts when freeing them; AesGcm frees its key handle).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _openSsl?.Dispose();
        _dotNet?.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Validate(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, ReadOnlySpan<byte> tag)
    {
        if (_disposed)
        {
            KernelThrowHelper.ThrowObjectDisposed(this);
        }

        if (nonce.Length != NonceSizeInBytes)
        {
            KernelThrowHelper.ThrowArgument(nameof(nonce), $"An AES-GCM nonce here is {NonceSizeInBytes} bytes; got {nonce.Length}.");
        }

        if (tag.Length != TagSizeInBytes)
        {
            KernelThrowHelper.ThrowArgument(nameof(tag), $"The tag is {TagSizeInBytes} bytes; got {tag.Length}.");
        }

        if (input.Length != output.Length)
        {
            KernelThrowHelper.ThrowArgument(nameof(output), $"The output ({output.Length} bytes) must be as long as the input ({input.Length} bytes).");
        }

        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
        {
            KernelThrowHelper.ThrowArgument(nameof(output), "The input and output overlap without being the same memory; use the same span for in-place work.");
        }
    }
}

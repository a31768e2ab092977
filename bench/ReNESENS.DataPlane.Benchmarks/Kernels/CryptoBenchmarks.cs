using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// AES-256-XTS and AES-256-GCM: our kernels beside OpenSSL EVP driven directly (the baseline of
/// each category) and .NET's AesGcm, in place over the same buffer. XTS data units are 512 bytes
/// for the 512-byte size and 4 KiB otherwise (65536 = a run of 16 logical blocks, one IV reset per
/// block, as a storage write would do). GCM messages carry 16 bytes of associated data.
/// </summary>
[Config(typeof(CryptoBenchmarkConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class CryptoBenchmarks : IDisposable
{
    private byte[] _buffer = [];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _aad = new byte[16];
    private byte[] _sealedTag = new byte[16];
    private byte[] _sealed = [];
    private byte[] _scratch = [];
    private AesXts _xtsOpenSsl = null!;
    private AesXts _xtsManaged = null!;
    private AesGcmCipher _gcm = null!;
    private AesGcm _dotNetGcm = null!;
    private nint _evpXtsEncrypt;
    private nint _evpXtsDecrypt;
    private nint _evpGcmEncrypt;
    private nint _evpGcmDecrypt;
    private int _unit;

    /// <summary>Bytes per operation.</summary>
    [Params(512, 4096, 65536)]
    public int Size { get; set; }

    /// <summary>Keys, contexts and buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] xtsKey = new byte[64];
        byte[] gcmKey = new byte[32];
        RandomNumberGenerator.Fill(xtsKey);
        RandomNumberGenerator.Fill(gcmKey);
        RandomNumberGenerator.Fill(_nonce);
        RandomNumberGenerator.Fill(_aad);
        _buffer = new byte[Size];
        _scratch = new byte[Size];
        RandomNumberGenerator.Fill(_buffer);
        _unit = Math.Min(Size, 4096);

        _xtsOpenSsl = new AesXts(xtsKey, CipherImplementation.OpenSsl);
        _xtsManaged = new AesXts(xtsKey, CipherImplementation.ManagedAesNi);
        _gcm = new AesGcmCipher(gcmKey, CipherImplementation.OpenSsl);
        _dotNetGcm = new AesGcm(gcmKey, 16);
        _evpXtsEncrypt = OpenSslEvpAnchor.CreateContext(LibCrypto.Aes256Xts(), xtsKey, encrypt: true);
        _evpXtsDecrypt = OpenSslEvpAnchor.CreateContext(LibCrypto.Aes256Xts(), xtsKey, encrypt: false);
        _evpGcmEncrypt = OpenSslEvpAnchor.CreateContext(LibCrypto.Aes256Gcm(), gcmKey, encrypt: true);
        _evpGcmDecrypt = OpenSslEvpAnchor.CreateContext(LibCrypto.Aes256Gcm(), gcmKey, encrypt: false);

        // Decrypt benchmarks open a real message so the tag check passes every time.
        _sealed = new byte[Size];
        _sealedTag = new byte[16];
        _gcm.Encrypt(_nonce, _buffer, _sealed, _sealedTag, _aad);
    }

    /// <summary>Frees the contexts and clears the keys.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _xtsOpenSsl?.Dispose();
        _xtsManaged?.Dispose();
        _gcm?.Dispose();
        _dotNetGcm?.Dispose();
        foreach (nint context in new[] { _evpXtsEncrypt, _evpXtsDecrypt, _evpGcmEncrypt, _evpGcmDecrypt })
        {
            if (context != 0)
            {
                LibCrypto.CipherContextFree(context);
            }
        }

        _evpXtsEncrypt = _evpXtsDecrypt = _evpGcmEncrypt = _evpGcmDecrypt = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Anchor: EVP_aes_256_xts directly.</summary>
    [Benchmark(Baseline = true, Description = "EVP XTS (anchor)")]
    [BenchmarkCategory("XTS encrypt")]
    public void XtsEncryptEvp() => OpenSslEvpAnchor.Xts(_evpXtsEncrypt, _buffer, _buffer, 1000, _unit);

    /// <summary>Ours, OpenSSL path.</summary>
    [Benchmark(Description = "AesXts OpenSSL")]
    [BenchmarkCategory("XTS encrypt")]
    public void XtsEncryptOpenSsl() => _xtsOpenSsl.Encrypt(_buffer, _buffer, 1000, _unit);

    /// <summary>Ours, managed AES-NI path.</summary>
    [Benchmark(Description = "AesXts managed AES-NI")]
    [BenchmarkCategory("XTS encrypt")]
    public void XtsEncryptManaged() => _xtsManaged.Encrypt(_buffer, _buffer, 1000, _unit);

    /// <summary>Anchor: EVP_aes_256_xts directly.</summary>
    [Benchmark(Baseline = true, Description = "EVP XTS (anchor)")]
    [BenchmarkCategory("XTS decrypt")]
    public void XtsDecryptEvp() => OpenSslEvpAnchor.Xts(_evpXtsDecrypt, _buffer, _buffer, 1000, _unit);

    /// <summary>Ours, OpenSSL path.</summary>
    [Benchmark(Description = "AesXts OpenSSL")]
    [BenchmarkCategory("XTS decrypt")]
    public void XtsDecryptOpenSsl() => _xtsOpenSsl.Decrypt(_buffer, _buffer, 1000, _unit);

    /// <summary>Ours, managed AES-NI path.</summary>
    [Benchmark(Description = "AesXts managed AES-NI")]
    [BenchmarkCategory("XTS decrypt")]
    public void XtsDecryptManaged() => _xtsManaged.Decrypt(_buffer, _buffer, 1000, _unit);

    /// <summary>Anchor: EVP_aes_256_gcm directly.</summary>
    [Benchmark(Baseline = true, Description = "EVP GCM (anchor)")]
    [BenchmarkCategory("GCM encrypt")]
    public bool GcmEncryptEvp() => OpenSslEvpAnchor.Gcm(_evpGcmEncrypt, _nonce, _buffer, _buffer, _tag, _aad, encrypt: true);

    /// <summary>Ours (OpenSSL path).</summary>
    [Benchmark(Description = "AesGcmCipher")]
    [BenchmarkCategory("GCM encrypt")]
    public void GcmEncryptOurs() => _gcm.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);

    /// <summary>.NET's AesGcm.</summary>
    [Benchmark(Description = ".NET AesGcm")]
    [BenchmarkCategory("GCM encrypt")]
    public void GcmEncryptDotNet() => _dotNetGcm.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);

    /// <summary>Anchor: EVP_aes_256_gcm directly (tag checked).</summary>
    [Benchmark(Baseline = true, Description = "EVP GCM (anchor)")]
    [BenchmarkCategory("GCM decrypt")]
    public bool GcmDecryptEvp() => OpenSslEvpAnchor.Gcm(_evpGcmDecrypt, _nonce, _sealed, _scratch, _sealedTag, _aad, encrypt: false);

    /// <summary>Ours (OpenSSL path).</summary>
    [Benchmark(Description = "AesGcmCipher")]
    [BenchmarkCategory("GCM decrypt")]
    public bool GcmDecryptOurs() => _gcm.Decrypt(_nonce, _sealed, _sealedTag, _scratch, _aad);

    /// <summary>.NET's AesGcm.</summary>
    [Benchmark(Description = ".NET AesGcm")]
    [BenchmarkCategory("GCM decrypt")]
    public void GcmDecryptDotNet() => _dotNetGcm.Decrypt(_nonce, _sealed, _sealedTag, _scratch, _aad);
}

/// <summary>
/// Short runs (one launch, 3 warmup and 8 measured iterations) so the crypto matrix fits in a few
/// minutes on a shared 2-core box; median and minimum beside the mean because another process can
/// take the core mid-iteration.
/// </summary>
public sealed class CryptoBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public CryptoBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(8).WithId("Short"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

using System.Security.Cryptography;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using AesNi = System.Runtime.Intrinsics.X86.Aes;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class AesXtsTests
{
    /// <summary>Both paths where this machine has them (OpenSSL, managed AES-NI).</summary>
    public static TheoryData<string> Paths() => new(PathNames());

    internal static string[] PathNames() => AesNi.IsSupported
        ? [nameof(CipherImplementation.OpenSsl), nameof(CipherImplementation.ManagedAesNi)]
        : [nameof(CipherImplementation.OpenSsl)];

    public static TheoryData<string, int> PathsAndIeeeVectors()
    {
        var data = new TheoryData<string, int>();
        foreach (string path in PathNames())
        {
            for (int i = 0; i < XtsVectors.Ieee.Length; i++)
            {
                data.Add(path, i);
            }
        }

        return data;
    }

    public static TheoryData<string, int> PathsAndUnitLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (string path in PathNames())
        {
            foreach (int length in new[] { 16, 17, 31, 32, 33, 100, 127, 128, 129, 143, 144, 512, 520, 4096, 4097 })
            {
                data.Add(path, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndIeeeVectors))]
    public void Ieee1619Vectors10To14EncryptAndDecrypt(string path, int index)
    {
        var (number, lba, hex) = XtsVectors.Ieee[index];
        byte[] key = Convert.FromHexString(XtsVectors.Vector10To14Key);
        byte[] plain = XtsVectors.Vector10To14Plaintext();
        byte[] expected = Convert.FromHexString(hex);
        using var xts = new AesXts(key, Parse(path));

        byte[] cipher = new byte[512];
        xts.Encrypt(plain, cipher, lba, 512);
        Assert.True(expected.AsSpan().SequenceEqual(cipher), $"IEEE 1619 vector {number} ciphertext differs on {path}");

        byte[] back = new byte[512];
        xts.Decrypt(expected, back, lba, 512);
        Assert.Equal(plain, back);

        // In place, both directions.
        byte[] buffer = (byte[])plain.Clone();
        xts.Encrypt(buffer, buffer, lba, 512);
        Assert.Equal(expected, buffer);
        xts.Decrypt(buffer, buffer, lba, 512);
        Assert.Equal(plain, buffer);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void OpenSslAes256StealingAndWholeBlockVectors(string path)
    {
        byte[] key = Convert.FromHexString(XtsVectors.Vector10To14Key);
        using var xts = new AesXts(key, Parse(path));
        foreach (var (length, hex) in XtsVectors.OpenSslStealing.Concat(XtsVectors.OpenSslWhole))
        {
            byte[] plain = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
            byte[] expected = Convert.FromHexString(hex);
            byte[] cipher = new byte[length];
            xts.Encrypt(plain, cipher, 0, length);
            Assert.True(expected.AsSpan().SequenceEqual(cipher), $"{length}-byte unit differs on {path}");
            xts.Decrypt(cipher, cipher, 0, length);
            Assert.Equal(plain, cipher);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndUnitLengths))]
    public void AgreesWithLibgcryptOnRandomKeysDataAndLbas(string path, int unit)
    {
        var random = new Random(unit * 7919 + path.Length);
        foreach (int units in new[] { 1, 3, 9 })
        {
            byte[] key = RandomKey(random);
            byte[] plain = new byte[unit * units];
            random.NextBytes(plain);
            ulong lba = (ulong)random.NextInt64();

            byte[] ours = new byte[plain.Length];
            byte[] theirs = new byte[plain.Length];
            using var xts = new AesXts(key, Parse(path));
            xts.Encrypt(plain, ours, lba, unit);
            LibgcryptXts.Transform(key, plain, theirs, lba, unit, encrypt: true);
            Assert.True(theirs.AsSpan().SequenceEqual(ours), $"{path} and libgcrypt differ: unit {unit}, {units} units, LBA {lba}");

            byte[] back = new byte[plain.Length];
            xts.Decrypt(theirs, back, lba, unit);
            Assert.Equal(plain, back);

            LibgcryptXts.Transform(key, ours, back, lba, unit, encrypt: false);
            Assert.Equal(plain, back);

            // In place.
            byte[] buffer = (byte[])plain.Clone();
            xts.Encrypt(buffer, buffer, lba, unit);
            Assert.Equal(ours, buffer);
            xts.Decrypt(buffer, buffer, lba, unit);
            Assert.Equal(plain, buffer);
        }
    }

    [Fact]
    public void BothPathsAndLibgcryptAgreeAcrossTheSixtyFourBitLbaBoundary()
    {
        // The tweak is the LBA as a 128-bit number: a run that starts at 2^64 - 2 carries into
        // the upper half instead of wrapping to LBA 0.
        var random = new Random(42);
        byte[] key = RandomKey(random);
        byte[] plain = new byte[4 * 512];
        random.NextBytes(plain);
        ulong lba = ulong.MaxValue - 1;
        byte[] theirs = new byte[plain.Length];
        LibgcryptXts.Transform(key, plain, theirs, lba, 512, encrypt: true);
        foreach (string path in PathNames())
        {
            using var xts = new AesXts(key, Parse(path));
            byte[] ours = new byte[plain.Length];
            xts.Encrypt(plain, ours, lba, 512);
            Assert.Equal(theirs, ours);
        }

        // And LBA 0 is not what the third block used.
        byte[] wrapped = new byte[512];
        LibgcryptXts.Transform(key, plain.AsSpan(1024, 512), wrapped, 0, 512, encrypt: true);
        Assert.NotEqual(wrapped, theirs.AsSpan(1024, 512).ToArray());
    }

    [Fact]
    public void ManagedAndOpenSslPathsAgreeOnEveryLengthFrom16To300()
    {
        if (!AesNi.IsSupported)
        {
            return;
        }

        var random = new Random(1619);
        byte[] key = RandomKey(random);
        using var openSsl = new AesXts(key, CipherImplementation.OpenSsl);
        using var managed = new AesXts(key, CipherImplementation.ManagedAesNi);
        for (int unit = 16; unit <= 300; unit++)
        {
            byte[] plain = new byte[unit * 2];
            random.NextBytes(plain);
            byte[] a = new byte[plain.Length];
            byte[] b = new byte[plain.Length];
            openSsl.Encrypt(plain, a, (ulong)unit, unit);
            managed.Encrypt(plain, b, (ulong)unit, unit);
            Assert.True(a.AsSpan().SequenceEqual(b), $"paths differ at unit {unit}");
            managed.Decrypt(a, b, (ulong)unit, unit);
            Assert.Equal(plain, b);
        }
    }

    [Fact]
    public void DefaultConstructorPrefersVaesOpenSslThenAesNiThenAnyOpenSsl()
    {
        using var xts = new AesXts(RandomKey(new Random(1)));
        CipherImplementation expected = LibCrypto.VersionNumber() >= 0x3020_0000UL
            ? CipherImplementation.OpenSsl
            : AesNi.IsSupported ? CipherImplementation.ManagedAesNi : CipherImplementation.OpenSsl;
        Assert.Equal(expected, xts.Implementation);
    }

    [Fact]
    public void ManagedPathRefusesToRunWithoutAesNi()
    {
        // Under DOTNET_EnableHWIntrinsic=0 the managed path says so instead of running a slow or wrong fallback.
        if (AesNi.IsSupported)
        {
            using var xts = new AesXts(RandomKey(new Random(2)), CipherImplementation.ManagedAesNi);
            Assert.Equal(CipherImplementation.ManagedAesNi, xts.Implementation);
        }
        else
        {
            Assert.Throws<PlatformNotSupportedException>(() => new AesXts(RandomKey(new Random(2)), CipherImplementation.ManagedAesNi));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(65)]
    public void RejectsAKeyOfTheWrongLength(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => new AesXts(new byte[length]));
        Assert.Equal("key", ex.ParamName);
        Assert.Contains("64 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RejectsEqualKeyHalves(string path)
    {
        byte[] key = new byte[64];
        RandomNumberGenerator.Fill(key.AsSpan(0, 32));
        key.AsSpan(0, 32).CopyTo(key.AsSpan(32));
        var ex = Assert.Throws<ArgumentException>(() => new AesXts(key, Parse(path)));
        Assert.Contains("must differ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RejectsBadRuns(string path)
    {
        using var xts = new AesXts(RandomKey(new Random(3)), Parse(path));
        byte[] buffer = new byte[1024];
        byte[] other = new byte[1024];

        Assert.Throws<ArgumentOutOfRangeException>(() => xts.Encrypt(buffer.AsSpan(0, 15), other.AsSpan(0, 15), 0, 15));
        Assert.Throws<ArgumentOutOfRangeException>(() => xts.Encrypt(buffer, other, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => xts.Decrypt(buffer, other, 0, -512));
        Assert.Throws<ArgumentOutOfRangeException>(() => xts.Encrypt(buffer, other, 0, AesXts.MaxBlockSize + 1));
        Assert.Throws<ArgumentException>(() => xts.Encrypt(buffer, other.AsSpan(0, 512), 0, 512));
        Assert.Throws<ArgumentException>(() => xts.Decrypt(buffer.AsSpan(0, 1000), other.AsSpan(0, 1000), 0, 512));
        // Partial overlap is refused; the exact same span (in place) is fine.
        Assert.Throws<ArgumentException>(() => xts.Encrypt(buffer.AsSpan(0, 512), buffer.AsSpan(16, 512), 0, 512));
        Assert.Throws<ArgumentException>(() => xts.Decrypt(buffer.AsSpan(16, 512), buffer.AsSpan(0, 512), 0, 512));
        xts.Encrypt(buffer, buffer, 0, 512);

        // An empty run is a no-op.
        xts.Encrypt([], [], 0, 512);

        xts.Dispose();
        xts.Dispose();
        Assert.Throws<ObjectDisposedException>(() => xts.Encrypt(buffer, other, 0, 512));
        Assert.Throws<ObjectDisposedException>(() => xts.Decrypt(buffer, other, 0, 512));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SteadyStateAllocatesNothing(string path)
    {
        using var xts = new AesXts(RandomKey(new Random(4)), Parse(path));
        byte[] buffer = new byte[8 * 4096];
        byte[] stolen = new byte[4 * 4097];
        xts.Encrypt(buffer, buffer, 0, 4096);
        xts.Encrypt(stolen, stolen, 0, 4097);
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                xts.Encrypt(buffer, buffer, (ulong)i, 4096);
                xts.Decrypt(buffer, buffer, (ulong)i, 512);
                xts.Encrypt(stolen, stolen, (ulong)i, 4097);
            }
        });

        Assert.Equal(0, allocated);
    }

    internal static CipherImplementation Parse(string path) => Enum.Parse<CipherImplementation>(path);

    internal static byte[] RandomKey(Random random)
    {
        byte[] key = new byte[64];
        random.NextBytes(key);
        return key;
    }
}

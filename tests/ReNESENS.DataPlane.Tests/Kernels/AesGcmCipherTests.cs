using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class AesGcmCipherTests
{
    public static TheoryData<string> Paths() => new() { nameof(CipherImplementation.OpenSsl), nameof(CipherImplementation.DotNet) };

    public static TheoryData<string, int> PathsAndCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string path in new[] { nameof(CipherImplementation.OpenSsl), nameof(CipherImplementation.DotNet) })
        {
            for (int i = 0; i < GcmVectors.Cases.Length; i++)
            {
                data.Add(path, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndCases))]
    public void GcmSpecCases13To16(string path, int index)
    {
        var c = GcmVectors.Cases[index];
        byte[] key = Convert.FromHexString(c.Key);
        byte[] nonce = Convert.FromHexString(c.Nonce);
        byte[] plain = Convert.FromHexString(c.Plaintext);
        byte[] aad = Convert.FromHexString(c.Aad);
        byte[] expected = Convert.FromHexString(c.Ciphertext);
        byte[] expectedTag = Convert.FromHexString(c.Tag);
        using var gcm = new AesGcmCipher(key, Parse(path));

        byte[] cipher = new byte[plain.Length];
        byte[] tag = new byte[16];
        gcm.Encrypt(nonce, plain, cipher, tag, aad);
        Assert.True(expected.AsSpan().SequenceEqual(cipher), $"case {c.Case} ciphertext on {path}");
        Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"case {c.Case} tag on {path}");

        byte[] back = new byte[plain.Length];
        Assert.True(gcm.Decrypt(nonce, expected, expectedTag, back, aad));
        Assert.Equal(plain, back);

        // In place.
        byte[] buffer = (byte[])plain.Clone();
        gcm.Encrypt(nonce, buffer, buffer, tag, aad);
        Assert.Equal(expected, buffer);
        Assert.True(gcm.Decrypt(nonce, buffer, tag, buffer, aad));
        Assert.Equal(plain, buffer);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void WrongTagCiphertextOrAadReturnsFalseAndClearsTheOutput(string path)
    {
        var c = GcmVectors.Cases[3];
        byte[] key = Convert.FromHexString(c.Key);
        byte[] nonce = Convert.FromHexString(c.Nonce);
        byte[] aad = Convert.FromHexString(c.Aad);
        byte[] cipher = Convert.FromHexString(c.Ciphertext);
        byte[] tag = Convert.FromHexString(c.Tag);
        using var gcm = new AesGcmCipher(key, Parse(path));
        byte[] output = new byte[cipher.Length];

        byte[] badTag = (byte[])tag.Clone();
        badTag[15] ^= 1;
        output.AsSpan().Fill(0xAA);
        Assert.False(gcm.Decrypt(nonce, cipher, badTag, output, aad));
        Assert.All(output, b => Assert.Equal(0, b));

        byte[] badCipher = (byte[])cipher.Clone();
        badCipher[0] ^= 0x80;
        output.AsSpan().Fill(0xAA);
        Assert.False(gcm.Decrypt(nonce, badCipher, tag, output, aad));
        Assert.All(output, b => Assert.Equal(0, b));

        output.AsSpan().Fill(0xAA);
        Assert.False(gcm.Decrypt(nonce, cipher, tag, output, aad.AsSpan(1)));
        Assert.All(output, b => Assert.Equal(0, b));

        byte[] badNonce = (byte[])nonce.Clone();
        badNonce[11] ^= 1;
        Assert.False(gcm.Decrypt(badNonce, cipher, tag, output, aad));

        // And the instance still works after failures.
        Assert.True(gcm.Decrypt(nonce, cipher, tag, output, aad));
        Assert.Equal(Convert.FromHexString(c.Plaintext), output);
    }

    [Fact]
    public void OpenSslAndDotNetPathsAgreeOnRandomMessages()
    {
        var random = new Random(38);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 63, 64, 65, 512, 4096, 4097, 65536 })
        {
            byte[] key = new byte[32];
            byte[] nonce = new byte[12];
            byte[] aad = new byte[length % 41];
            byte[] plain = new byte[length];
            random.NextBytes(key);
            random.NextBytes(nonce);
            random.NextBytes(aad);
            random.NextBytes(plain);
            using var a = new AesGcmCipher(key, CipherImplementation.OpenSsl);
            using var b = new AesGcmCipher(key, CipherImplementation.DotNet);
            byte[] ca = new byte[length], cb = new byte[length], ta = new byte[16], tb = new byte[16];
            a.Encrypt(nonce, plain, ca, ta, aad);
            b.Encrypt(nonce, plain, cb, tb, aad);
            Assert.Equal(ca, cb);
            Assert.Equal(ta, tb);
            byte[] back = new byte[length];
            Assert.True(b.Decrypt(nonce, ca, ta, back, aad));
            Assert.Equal(plain, back);
            Assert.True(a.Decrypt(nonce, cb, tb, back, aad));
            Assert.Equal(plain, back);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RejectsBadArguments(string path)
    {
        Assert.Throws<ArgumentException>(() => new AesGcmCipher(new byte[16], Parse(path)));
        Assert.Throws<ArgumentException>(() => new AesGcmCipher(new byte[33], Parse(path)));
        Assert.Throws<ArgumentException>(() => new AesGcmCipher(new byte[16]));

        using var gcm = new AesGcmCipher(new byte[32], Parse(path));
        byte[] data = new byte[64];
        byte[] output = new byte[64];
        byte[] tag = new byte[16];

        foreach (string hex in GcmVectors.NonStandardNonces)
        {
            var ex = Assert.Throws<ArgumentException>(() => gcm.Encrypt(Convert.FromHexString(hex), data, output, tag));
            Assert.Equal("nonce", ex.ParamName);
            Assert.Throws<ArgumentException>(() => gcm.Decrypt(Convert.FromHexString(hex), data, tag, output));
        }

        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], data, output, new byte[12]));
        Assert.Throws<ArgumentException>(() => gcm.Decrypt(new byte[12], data, new byte[15], output));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], data, output.AsSpan(1), tag));
        Assert.Throws<ArgumentException>(() => gcm.Decrypt(new byte[12], data.AsSpan(0, 32), tag, data.AsSpan(16, 32)));

        gcm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gcm.Encrypt(new byte[12], data, output, tag));
        Assert.Throws<ObjectDisposedException>(() => gcm.Decrypt(new byte[12], data, tag, output));
    }

    [Fact]
    public void OpenSslPathSteadyStateAllocatesNothing()
    {
        using var gcm = new AesGcmCipher(new byte[32], CipherImplementation.OpenSsl);
        Assert.Equal(CipherImplementation.OpenSsl, new AesGcmCipher(new byte[32]).Implementation);
        byte[] nonce = new byte[12];
        byte[] data = new byte[4096];
        byte[] aad = new byte[13];
        byte[] tag = new byte[16];
        gcm.Encrypt(nonce, data, data, tag, aad);
        gcm.Decrypt(nonce, data, tag, data, aad);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            nonce[0] = (byte)i;
            gcm.Encrypt(nonce, data, data, tag, aad);
            Assert.True(gcm.Decrypt(nonce, data, tag, data, aad));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static CipherImplementation Parse(string path) => Enum.Parse<CipherImplementation>(path);
}

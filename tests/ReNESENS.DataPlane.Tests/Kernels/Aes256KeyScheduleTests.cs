using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using ReNESENS.DataPlane.Kernels;
using AesNi = System.Runtime.Intrinsics.X86.Aes;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class Aes256KeyScheduleTests
{
    [Fact]
    public void Fips197AppendixC3EncryptsAndDecrypts()
    {
        if (!AesNi.IsSupported)
        {
            return;
        }

        // FIPS 197 Appendix C.3 (AES-256), also "AES 256 ECB tests (from FIPS-197 test vectors)" in
        // OpenSSL's test/recipes/30-test_evp_data/evpciph_aes_common.txt.
        byte[] key = Convert.FromHexString("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        var plain = Vector128.Create<byte>(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"));
        var cipher = Vector128.Create<byte>(Convert.FromHexString("8EA2B7CA516745BFEAFC49904B496089"));
        var encrypt = new Vector128<byte>[15];
        var decrypt = new Vector128<byte>[15];
        Aes256KeySchedule.ExpandEncrypt(key, encrypt);
        Aes256KeySchedule.DeriveDecrypt(encrypt, decrypt);
        Assert.Equal(cipher, Aes256KeySchedule.EncryptBlock(plain, encrypt));
        Assert.Equal(plain, Aes256KeySchedule.DecryptBlock(cipher, decrypt));
        // FIPS 197 A.3: the last round key of this key expansion.
        Assert.Equal(Vector128.Create<byte>(Convert.FromHexString("24FC79CCBF0979E9371AC23C6D68DE36")), encrypt[14]);
    }

    [Fact]
    public void TweakDoublingMatchesShiftAndReduce()
    {
        if (!AesNi.IsSupported)
        {
            return;
        }

        var random = new Random(7);
        Span<byte> bytes = stackalloc byte[16];
        Span<byte> gotBytes = stackalloc byte[16];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(bytes);
            if (i < 4)
            {
                bytes.Fill(i switch { 0 => (byte)0x00, 1 => (byte)0xff, 2 => (byte)0x80, _ => (byte)0x7f });
            }

            UInt128 value = BinaryPrimitives.ReadUInt128LittleEndian(bytes);
            UInt128 expected = (value << 1) ^ ((value >> 127) * 0x87);
            Vector128<byte> got = AesNiXtsCore.MultiplyByX(Vector128.Create<byte>(bytes));
            got.CopyTo(gotBytes);
            Assert.Equal(expected, BinaryPrimitives.ReadUInt128LittleEndian(gotBytes));
        }
    }
}

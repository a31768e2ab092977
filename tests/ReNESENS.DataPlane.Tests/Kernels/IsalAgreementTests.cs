using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// Our CRCs against Intel ISA-L (Debian's libisal2 2.30, installed by the test command) on the same
/// random bytes. Conventions found here: <c>crc32_iscsi(buf, len, init)</c> takes and returns the
/// raw register (no inversion inside), so <c>Crc32C.Compute(b) == ~crc32_iscsi(b, len, 0xFFFFFFFF)</c>;
/// <c>crc16_t10dif(init, buf, len)</c> has no inversion, so it equals <c>Crc16T10Dif.Append(init, b)</c>;
/// <c>crc64_ecma_refl(init, buf, len)</c> inverts on entry and exit (zlib style): it is CRC-64/XZ,
/// and ISA-L 2.30 has no NVMe (Rocksoft) 64-bit CRC, so our folding engine is compared with it on
/// the CRC-64/XZ generator instead.
/// </summary>
public unsafe partial class IsalAgreementTests
{
    private const string IsaL = "libisal.so.2";

    [LibraryImport(IsaL, EntryPoint = "crc32_iscsi")]
    private static partial uint Crc32Iscsi(byte* buffer, int length, uint init);

    [LibraryImport(IsaL, EntryPoint = "crc16_t10dif")]
    private static partial ushort Crc16T10Dif(ushort init, byte* buffer, ulong length);

    [LibraryImport(IsaL, EntryPoint = "crc64_ecma_refl")]
    private static partial ulong Crc64EcmaRefl(ulong init, byte* buffer, ulong length);

    public static TheoryData<int> Lengths() => [.. CrcReference.Lengths];

    [Fact]
    public void LibraryIsPresent() =>
        Assert.True(NativeLibrary.TryLoad(IsaL, out _), "libisal.so.2 not found: install Debian's libisal2 (the test command does)");

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Crc32CAgrees(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, length + 100);
        fixed (byte* p = data)
        {
            Assert.Equal(~Crc32Iscsi(p, length, 0xFFFFFFFF), Crc32C.Compute(data));
            // A raw register in, a raw register out: chaining works without inversions.
            Assert.Equal(Crc32Iscsi(p, length, 0x12345678), Crc32C.Update(0x12345678, data));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Crc16T10DifAgrees(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, length + 200);
        fixed (byte* p = data)
        {
            Assert.Equal(Crc16T10Dif(0, p, (ulong)length), OurCrc16(0, data));
            Assert.Equal(Crc16T10Dif(0xBEEF, p, (ulong)length), OurCrc16(0xBEEF, data));
        }
    }

    [Fact]
    public void Crc16T10DifAgreesOnNvmeBuffers()
    {
        foreach (string kind in new[] { "zeros", "ones", "incrementing", "decrementing" })
        {
            byte[] data = CrcReference.NvmeBuffer(kind);
            fixed (byte* p = data)
            {
                Assert.Equal(Crc16T10Dif(0, p, (ulong)data.Length), OurCrc16(0, data));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void FoldingEngineAgreesWithCrc64EcmaRefl(int length)
    {
        if (length < 16 || !CrcFolding.IsPclmulSupported)
        {
            return; // the engine folds whole 16-byte blocks; shorter inputs go to tables
        }

        CrcFoldConstants xz = new(0x42F0E1EBA9EA3693, reflected: true);
        byte[] data = CrcReference.RandomBytes(length, length + 300);
        int blocks = length & ~15;
        fixed (byte* p = data)
        {
            ulong isal = Crc64EcmaRefl(0, p, (ulong)blocks);
            Assert.Equal(isal, ~CrcFolding.Fold128<ReflectedBitOrder>(ulong.MaxValue, ref data[0], (nuint)blocks, xz));
            if (blocks >= CrcFolding.Vector512MinLength && CrcFolding.IsVector512Supported)
            {
                Assert.Equal(isal, ~CrcFolding.Fold512<ReflectedBitOrder>(ulong.MaxValue, ref data[0], (nuint)blocks, xz));
            }
        }
    }

    private static ushort OurCrc16(ushort init, byte[] data) => ReNESENS.DataPlane.Kernels.Crc16T10Dif.Append(init, data);
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

/// <summary>The C# mirrors against the _Static_asserts at the end of include/renesens_dpu.h.</summary>
public class DpuAbiLayoutTests
{
    [Fact]
    public void DeviceInfoMatchesTheCStruct()
    {
        Assert.Equal(128, Marshal.SizeOf<DpuDeviceInfo>());
        Assert.Equal(128, Unsafe.SizeOf<DpuDeviceInfo>());
        AssertOffsets<DpuDeviceInfo>(
            ("AbiVersion", 0), ("DeviceVersion", 4), ("OpMask", 8), ("MaxQueuePairs", 16), ("MaxQueueDepth", 20),
            ("MaxDataSize", 24), ("Flags", 28), ("Name", 32), ("Reserved96", 96));
    }

    [Fact]
    public void DescriptorMatchesTheCStruct()
    {
        Assert.Equal(128, Marshal.SizeOf<DpuDescriptor>());
        Assert.Equal(128, Unsafe.SizeOf<DpuDescriptor>());
        AssertOffsets<DpuDescriptor>(
            ("Cookie", 0), ("Op", 8), ("ChainLength", 9), ("ChainOps", 10), ("Reserved14", 14), ("SrcOffset", 16),
            ("DstOffset", 24), ("MetaOffset", 32), ("Lba", 40), ("CrcSeed", 48), ("InitialRefTag", 56), ("SrcLength", 64),
            ("DstCapacity", 68), ("MetaLength", 72), ("KeyHandle", 76), ("BlockSize", 80), ("CryptoUnit", 84), ("AppTag", 88),
            ("AppTagMask", 90), ("MetaSize", 92), ("PiFormat", 94), ("PiType", 95), ("PiChecks", 96), ("PiLocation", 97),
            ("MetaMode", 98), ("Reserved99", 99), ("CompressedLength", 104), ("AuxLength", 108), ("AuxOffset", 112), ("Reserved120", 120));
    }

    [Fact]
    public void CompletionMatchesTheCStruct()
    {
        Assert.Equal(48, Marshal.SizeOf<DpuCompletion>());
        Assert.Equal(48, Unsafe.SizeOf<DpuCompletion>());
        AssertOffsets<DpuCompletion>(
            ("Cookie", 0), ("Result", 8), ("Bytes", 16), ("Status", 20), ("PiErrorBlock", 24), ("PiErrorField", 28),
            ("Stage", 29), ("Reserved30", 30), ("PiExpected", 32), ("PiActual", 40));
    }

    [Fact]
    public void HeaderAssertsTheSameOffsets()
    {
        // The C side's own asserts, read back from the header so that the two lists cannot drift apart.
        string header = File.ReadAllText(Path.Combine(RepositoryRoot(), "src/ReNESENS.Native/include/renesens_dpu.h"));
        Assert.Contains("_Static_assert(sizeof(rn_dpu_desc) == 128", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(sizeof(rn_dpu_completion) == 48", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(offsetof(rn_dpu_desc, compressed_len) == 104", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(offsetof(rn_dpu_completion, pi_actual) == 40", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(offsetof(rn_dpu_desc, aux_len) == 108", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(offsetof(rn_dpu_desc, aux_offset) == 112", header, StringComparison.Ordinal);
        Assert.Contains("_Static_assert(offsetof(rn_dpu_desc, reserved_120) == 120", header, StringComparison.Ordinal);
        Assert.Contains("RN_DPU_OP_GCM_ENCRYPT = 11", header, StringComparison.Ordinal);
        Assert.Contains("RN_DPU_OP_GCM_DECRYPT = 12", header, StringComparison.Ordinal);
        Assert.Contains("RN_DPU_E_AUTH = 9", header, StringComparison.Ordinal);
        Assert.Contains("RN_DPU_KEY_AES256_GCM = 2", header, StringComparison.Ordinal);
        Assert.Contains($"#define RN_DPU_ABI_VERSION {DpuAbi.Version}u", header, StringComparison.Ordinal);
    }

    internal static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ReNESENS.DataPlane.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static void AssertOffsets<T>(params (string Field, int Offset)[] expected)
    {
        foreach ((string field, int offset) in expected)
        {
            Assert.Equal((nint)offset, Marshal.OffsetOf<T>(field));
        }

        Assert.Equal(expected.Length, typeof(T).GetFields().Length);
    }
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Offload;

/// <summary>CPU instruction sets a software engine's kernels use on this machine.</summary>
[Flags]
public enum OffloadCpuFeatures
{
    /// <summary>None: scalar code only.</summary>
    None = 0,

    /// <summary>SSE4.2 CRC32 instruction (CRC32C).</summary>
    Sse42 = 1,

    /// <summary>128-bit carry-less multiply (CRC folding).</summary>
    Pclmulqdq = 2,

    /// <summary>512-bit carry-less multiply (CRC folding on 512-bit registers).</summary>
    Vpclmulqdq = 4,

    /// <summary>AVX-512 (BW) with hardware-accelerated 512-bit vectors.</summary>
    Avx512 = 8,

    /// <summary>AES-NI (the managed XTS path).</summary>
    AesNi = 16,

    /// <summary>OpenSSL libcrypto runs the ciphers (which picks VAES/AVX-512 code itself when the CPU has it).</summary>
    OpenSsl = 32,
}

/// <summary>Reads what this process's JIT exposes.</summary>
internal static class OffloadCpu
{
    /// <summary>The features the kernels use here.</summary>
    internal static OffloadCpuFeatures Detect(bool cipherOnOpenSsl)
    {
        OffloadCpuFeatures f = OffloadCpuFeatures.None;
        if (Sse42.X64.IsSupported)
        {
            f |= OffloadCpuFeatures.Sse42;
        }

        if (Pclmulqdq.IsSupported)
        {
            f |= OffloadCpuFeatures.Pclmulqdq;
        }

        if (Pclmulqdq.V512.IsSupported)
        {
            f |= OffloadCpuFeatures.Vpclmulqdq;
        }

        if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated)
        {
            f |= OffloadCpuFeatures.Avx512;
        }

        if (Aes.IsSupported)
        {
            f |= OffloadCpuFeatures.AesNi;
        }

        if (cipherOnOpenSsl)
        {
            f |= OffloadCpuFeatures.OpenSsl;
        }

        return f;
    }

    /// <summary>Plain words: "AVX-512, VPCLMULQDQ, PCLMULQDQ, SSE4.2 CRC32, AES-NI" or "scalar code only".</summary>
    internal static string Describe(OffloadCpuFeatures f)
    {
        var parts = new List<string>(6);
        if ((f & OffloadCpuFeatures.Avx512) != 0)
        {
            parts.Add("AVX-512");
        }

        if ((f & OffloadCpuFeatures.Vpclmulqdq) != 0)
        {
            parts.Add("VPCLMULQDQ");
        }

        if ((f & OffloadCpuFeatures.Pclmulqdq) != 0)
        {
            parts.Add("PCLMULQDQ");
        }

        if ((f & OffloadCpuFeatures.Sse42) != 0)
        {
            parts.Add("SSE4.2 CRC32");
        }

        if ((f & OffloadCpuFeatures.AesNi) != 0)
        {
            parts.Add("AES-NI");
        }

        if ((f & OffloadCpuFeatures.OpenSsl) != 0)
        {
            parts.Add("OpenSSL ciphers");
        }

        return parts.Count == 0 ? "scalar code only" : string.Join(", ", parts);
    }
}

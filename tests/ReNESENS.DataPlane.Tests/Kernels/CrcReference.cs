namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// Bit-at-a-time CRCs straight from the definition (Williams, "A Painless Guide to CRC Error
/// Detection Algorithms", the Rocksoft model: width, poly, init, refin/refout, xorout): slow,
/// independent of every table and folding constant in the library.
/// </summary>
internal static class CrcReference
{
    /// <summary>An LSB-first CRC; <paramref name="reflectedPolynomial"/> is the generator bit-reversed in <paramref name="width"/> bits.</summary>
    public static ulong Reflected(ReadOnlySpan<byte> data, ulong reflectedPolynomial, ulong init, ulong xorOut)
    {
        ulong crc = init;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
            }
        }

        return crc ^ xorOut;
    }

    /// <summary>An MSB-first CRC of <paramref name="width"/> bits (8..64).</summary>
    public static ulong Normal(ReadOnlySpan<byte> data, int width, ulong polynomial, ulong init, ulong xorOut)
    {
        ulong top = 1UL << (width - 1);
        ulong mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        ulong crc = init;
        foreach (byte b in data)
        {
            crc ^= (ulong)b << (width - 8);
            for (int i = 0; i < 8; i++)
            {
                crc = ((crc & top) != 0 ? (crc << 1) ^ polynomial : crc << 1) & mask;
            }
        }

        return (crc ^ xorOut) & mask;
    }

    public static uint Crc32C(ReadOnlySpan<byte> data) => (uint)Reflected(data, 0x82F63B78, 0xFFFFFFFF, 0xFFFFFFFF);

    public static ulong Crc64Nvme(ReadOnlySpan<byte> data) => Reflected(data, 0x9A6C9329AC4BC9B5, ulong.MaxValue, ulong.MaxValue);

    /// <summary>CRC-64/XZ, which ISA-L calls crc64_ecma_refl.</summary>
    public static ulong Crc64Xz(ReadOnlySpan<byte> data) => Reflected(data, 0xC96C5795D7870F42, ulong.MaxValue, ulong.MaxValue);

    public static ushort Crc16T10Dif(ReadOnlySpan<byte> data) => (ushort)Normal(data, 16, 0x8BB7, 0, 0);

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The lengths that reach every path and every tail (STYLE.md point 6 and more).</summary>
    public static readonly int[] Lengths = [0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 63, 64, 65, 127, 128, 129, 255, 256, 257, 271, 320, 511, 512, 1001, 4096, 65536, 65537];

    /// <summary>Every code path paired with every length of <see cref="Lengths"/>, for a theory.</summary>
    public static TheoryData<string, int> EveryLength(IEnumerable<string> paths)
    {
        TheoryData<string, int> data = [];
        foreach (string path in paths)
        {
            foreach (int length in Lengths)
            {
                data.Add(path, length);
            }
        }

        return data;
    }

    /// <summary>The NVMe spec's 4 KiB test buffers: all 00h, all FFh, incrementing and decrementing bytes.</summary>
    public static byte[] NvmeBuffer(string kind)
    {
        byte[] data = new byte[4096];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = kind switch
            {
                "zeros" => 0,
                "ones" => 0xFF,
                "incrementing" => (byte)i,
                "decrementing" => (byte)(0xFF - i),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }

        return data;
    }
}

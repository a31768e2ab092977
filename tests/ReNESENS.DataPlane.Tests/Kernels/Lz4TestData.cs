using System.Text;

namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>Inputs for the LZ4 tests: compressible text, runs, random bytes and a mix of them.</summary>
internal static class Lz4TestData
{
    private static readonly string[] Words =
    [
        "virtqueue", "descriptor", "namespace", "completion", "submission", "the", "a", "of", "packet",
        "buffer", "offload", "checksum", "segment", "NVMe", "TCP", "guest", "host", "ring", "burst", "\n",
    ];

    public static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(length + 16);
        while (sb.Length < length)
        {
            sb.Append(Words[random.Next(Words.Length)]).Append(' ');
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    public static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Segments of text, zeros, random bytes and repeats of earlier data.</summary>
    public static byte[] Mixed(int length, int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[length];
        int at = 0;
        while (at < length)
        {
            int n = Math.Min(length - at, random.Next(1, 3000));
            Span<byte> part = data.AsSpan(at, n);
            switch (random.Next(4))
            {
                case 0:
                    Text(n, random.Next()).CopyTo(part);
                    break;
                case 1:
                    part.Clear();
                    break;
                case 2:
                    random.NextBytes(part);
                    break;
                default:
                    if (at > 0)
                    {
                        int from = random.Next(at);
                        for (int i = 0; i < n; i++)
                        {
                            part[i] = data[from + (i % (at - from))];
                        }
                    }

                    break;
            }

            at += n;
        }

        return data;
    }
}

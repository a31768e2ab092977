using System.Buffers;
using System.Buffers.Binary;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>NVMe/TCP header and data digests: CRC32C of the bytes, stored little-endian in the 4 bytes after them.</summary>
internal static class PduDigest
{
    /// <summary>The digest of <paramref name="bytes"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> bytes) => Crc32C.Compute(bytes);

    /// <summary>Reads a stored digest.</summary>
    public static uint Read(ReadOnlySpan<byte> digest) => BinaryPrimitives.ReadUInt32LittleEndian(digest);

    /// <summary>Writes the digest of <paramref name="bytes"/> into <paramref name="destination"/>.</summary>
    public static void Write(ReadOnlySpan<byte> bytes, Span<byte> destination)
        => BinaryPrimitives.WriteUInt32LittleEndian(destination, Compute(bytes));

    /// <summary>Whether the 4 stored bytes of <paramref name="digest"/> are the digest of <paramref name="data"/>, which may span several segments.</summary>
    public static bool Matches(ReadOnlySequence<byte> data, ReadOnlySequence<byte> digest)
    {
        uint crc = 0;
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            crc = Crc32C.Append(crc, segment.Span);
        }

        Span<byte> stored = stackalloc byte[4];
        digest.CopyTo(stored);
        return crc == Read(stored);
    }
}

using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>Byte access across the segments of a packet chain by offset from the start of the packet.</summary>
internal static class PacketBytes
{
    /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/>; the range must lie inside the packet.</summary>
    internal static void CopyOut(PacketBuffer head, int offset, Span<byte> destination)
    {
        for (PacketBuffer? s = head; s is not null && destination.Length > 0; s = s.Next)
        {
            int len = s.DataLength;
            if (offset >= len)
            {
                offset -= len;
                continue;
            }

            int n = Math.Min(len - offset, destination.Length);
            s.Data.Slice(offset, n).CopyTo(destination);
            destination = destination[n..];
            offset = 0;
        }
    }

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/>; the range must lie inside the packet.</summary>
    internal static void CopyIn(PacketBuffer head, int offset, ReadOnlySpan<byte> source)
    {
        for (PacketBuffer? s = head; s is not null && source.Length > 0; s = s.Next)
        {
            int len = s.DataLength;
            if (offset >= len)
            {
                offset -= len;
                continue;
            }

            int n = Math.Min(len - offset, source.Length);
            source[..n].CopyTo(s.Data.Slice(offset, n));
            source = source[n..];
            offset = 0;
        }
    }

    /// <summary>The one's complement sum (not complemented) of the bytes from <paramref name="offset"/> to the end of the packet.</summary>
    internal static ushort SumToEnd(PacketBuffer head, int offset)
    {
        ushort sum = 0;
        int summed = 0;
        for (PacketBuffer? s = head; s is not null; s = s.Next)
        {
            int len = s.DataLength;
            if (offset >= len)
            {
                offset -= len;
                continue;
            }

            ReadOnlySpan<byte> piece = s.Data[offset..];
            sum = InternetChecksum.Combine(sum, InternetChecksum.Sum(piece), summed);
            summed += piece.Length;
            offset = 0;
        }

        return sum;
    }
}

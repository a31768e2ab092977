using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of the data
/// taken as big-endian 16-bit words, an odd last byte padded with a zero byte. Used by IPv4, TCP,
/// UDP and ICMP, and by virtio-net checksum completion.
/// </summary>
/// <remarks>
/// <para>Every 16-bit value here (sums, checksums, field values) is the number the two bytes spell in
/// network byte order: write a result with <c>BinaryPrimitives.WriteUInt16BigEndian</c>, read a field
/// with <c>ReadUInt16BigEndian</c>.</para>
/// <para>Sums (<see cref="Sum"/>) are folded to 16 bits and not complemented, so that pieces (a
/// pseudo-header, a header, a payload in several buffers) can be summed apart and joined with
/// <see cref="Combine"/>, which byte-swaps a piece that starts at an odd offset (RFC 1071 §2(B)).
/// <see cref="Update"/> patches a checksum after one 16-bit field changed (RFC 1624 eqn. 3).</para>
/// <para>Paths: 512-, 256- and 128-bit vectors (32-bit words widened into 64-bit lanes, folded at the
/// end, RFC 1071 §2(C) "deferred carries"), and a scalar loop.</para>
/// </remarks>
public static partial class InternetChecksum
{
    /// <summary>The checksum of <paramref name="source"/>: the complement of <see cref="Sum"/>.</summary>
    /// <param name="source">the bytes, starting at an even offset of the checksummed area.</param>
    /// <returns>the checksum, to be stored big-endian.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Compute(ReadOnlySpan<byte> source) => (ushort)~Sum(source);

    /// <summary>The one's complement sum of <paramref name="source"/>, folded to 16 bits, not complemented.</summary>
    /// <param name="source">the bytes; an odd last byte is the high byte of a word whose low byte is 0.</param>
    /// <returns>the sum (0 only for data whose words are all 0).</returns>
    public static ushort Sum(ReadOnlySpan<byte> source)
    {
        ulong sum = Vector512.IsHardwareAccelerated && source.Length >= 64 ? SumVector512(source)
            : Vector256.IsHardwareAccelerated && source.Length >= 32 ? SumVector256(source)
            : Vector128.IsHardwareAccelerated && source.Length >= 16 ? SumVector128(source)
            : SumScalar(source);
        return FinishLittleEndian(sum);
    }

    /// <summary>Joins the sums of two consecutive pieces.</summary>
    /// <param name="sumA">the sum of the first piece.</param>
    /// <param name="sumB">the sum of the piece that follows it.</param>
    /// <param name="lengthA">the length in bytes of the first piece: when odd, the second piece's words
    /// straddle the first's last byte and its sum is byte-swapped before it is added.</param>
    /// <returns>the sum of both pieces.</returns>
    public static ushort Combine(ushort sumA, ushort sumB, int lengthA) =>
        Add(sumA, (lengthA & 1) != 0 ? BinaryPrimitives.ReverseEndianness(sumB) : sumB);

    /// <summary>One's complement addition of two 16-bit values (end-around carry).</summary>
    /// <param name="a">a sum or word.</param>
    /// <param name="b">another sum or word.</param>
    /// <returns>their one's complement sum.</returns>
    public static ushort Add(ushort a, ushort b)
    {
        uint sum = (uint)a + b;
        return (ushort)((sum & 0xFFFF) + (sum >> 16));
    }

    /// <summary>
    /// The checksum after one 16-bit word of the covered data changed from <paramref name="oldValue"/>
    /// to <paramref name="newValue"/>, without reading the data again: RFC 1624 eqn. 3,
    /// HC' = ~(~HC + ~m + m') in one's complement arithmetic. Eqn. 3 rather than RFC 1141's
    /// HC' = HC + m + ~m', which can give 0x0000 where a full recomputation gives 0xFFFF (RFC 1624 §3).
    /// </summary>
    /// <param name="oldChecksum">the checksum as stored before the change.</param>
    /// <param name="oldValue">the word's old value, at an even offset of the covered data.</param>
    /// <param name="newValue">the word's new value.</param>
    /// <returns>the checksum to store.</returns>
    public static ushort Update(ushort oldChecksum, ushort oldValue, ushort newValue)
    {
        uint sum = (uint)(ushort)~oldChecksum + (ushort)~oldValue + newValue;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>
    /// Folds a 64-bit sum of little-endian words to 16 bits with end-around carries, then swaps it to
    /// network order: a sum taken in the other byte order is the byte swap of the right one
    /// (RFC 1071 §2(B)).
    /// </summary>
    internal static ushort FinishLittleEndian(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return BinaryPrimitives.ReverseEndianness((ushort)sum);
    }
}

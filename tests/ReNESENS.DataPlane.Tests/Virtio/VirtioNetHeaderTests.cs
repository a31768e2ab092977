using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Virtio;

public sealed class VirtioNetHeaderTests : IDisposable
{
    private readonly BufferPool _pool = BufferPool.Create(8, 2048, PageKind.Small, cacheSize: 0);

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void FieldsSitAtTheSpecificationOffsetsInLittleEndian()
    {
        // VIRTIO 1.2 5.1.6: flags u8 @0, gso_type u8 @1, hdr_len le16 @2, gso_size le16 @4,
        // csum_start le16 @6, csum_offset le16 @8, num_buffers le16 @10.
        byte[] wire = [0x01, 0x04, 0x42, 0x00, 0xA8, 0x05, 0x36, 0x00, 0x10, 0x00, 0x03, 0x00];
        VirtioNetHeader h = VirtioNetHeader.Read(wire);
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, h.Flags);
        Assert.Equal(VirtioNetHeader.GsoTcpV6, h.GsoType);
        Assert.Equal(0x42, h.HeaderLength);
        Assert.Equal(1448, h.GsoSize);
        Assert.Equal(54, h.ChecksumStart);
        Assert.Equal(16, h.ChecksumOffset);
        Assert.Equal(3, h.NumBuffers);

        byte[] back = new byte[VirtioNetHeader.Size];
        h.Write(back);
        Assert.Equal(wire, back);
    }

    [Fact]
    public void TheLegacyHeaderHasNoBufferCount()
    {
        byte[] wire = [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        VirtioNetHeader h = VirtioNetHeader.Read(wire);
        Assert.Equal(VirtioNetHeader.FlagDataValid, h.Flags);
        Assert.Equal(0, h.NumBuffers);
        Assert.Throws<ArgumentException>(() => VirtioNetHeader.Read(wire.AsSpan(0, 9)));
        Assert.Throws<ArgumentException>(() => h.Write(new byte[9]));
    }

    [Fact]
    public void ASoundTsoHeaderIsAppliedToThePacket()
    {
        PacketBuffer p = Rent(1514);
        var h = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, GsoType = VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, GsoSize = 1448, ChecksumStart = 34, ChecksumOffset = 16 };
        Assert.Equal(VirtioNetHeaderError.None, h.TryApplyTo(p));
        Assert.Equal(ChecksumState.Partial, p.ChecksumState);
        Assert.Equal(34, p.ChecksumStart);
        Assert.Equal(16, p.ChecksumOffset);
        Assert.Equal(GsoType.TcpV4, p.GsoType);
        Assert.Equal(1448, p.GsoSize);

        VirtioNetHeader back = VirtioNetHeader.FromPacket(p, numBuffers: 2);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, back.GsoType);
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, back.Flags);
        Assert.Equal(2, back.NumBuffers);
        p.Release();
    }

    [Theory]
    [InlineData(0x08, 0, 0, 0, 0, VirtioNetHeaderError.UnknownFlags)]
    [InlineData(0x01, 0, 0, 99, 0, VirtioNetHeaderError.ChecksumOutOfBounds)] // 99 + 0 + 2 > 100
    [InlineData(0x01, 0, 0, 0xFFFF, 0xFFFF, VirtioNetHeaderError.ChecksumOutOfBounds)] // no 16-bit wrap
    [InlineData(0x00, 2, 1400, 0, 0, VirtioNetHeaderError.UnknownGsoType)]
    [InlineData(0x00, 0x80, 0, 0, 0, VirtioNetHeaderError.UnknownGsoType)]
    [InlineData(0x01, 0x85, 1400, 34, 6, VirtioNetHeaderError.UnknownGsoType)] // ECN on UDP L4
    [InlineData(0x01, 1, 0, 34, 16, VirtioNetHeaderError.ZeroSegmentSize)]
    [InlineData(0x00, 1, 1448, 0, 0, VirtioNetHeaderError.SegmentationWithoutChecksum)]
    public void AnUnsoundHeaderIsRefusedAndLeavesThePacketAlone(byte flags, byte gso, int gsoSize, int start, int offset, VirtioNetHeaderError expected)
    {
        PacketBuffer p = Rent(100);
        p.SetChecksumValid();
        var h = new VirtioNetHeader { Flags = flags, GsoType = gso, GsoSize = (ushort)gsoSize, ChecksumStart = (ushort)start, ChecksumOffset = (ushort)offset };
        Assert.Equal(expected, h.TryApplyTo(p));
        Assert.Equal(ChecksumState.Valid, p.ChecksumState);
        Assert.Equal(GsoType.None, p.GsoType);
        p.Release();
    }

    [Fact]
    public void RandomHeadersNeverThrowAndAreEitherAppliedOrRefused()
    {
        var random = new Random(1234);
        byte[] wire = new byte[VirtioNetHeader.Size];
        int applied = 0;
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(wire);
            wire[0] &= 0x07; // mostly known flags, so the deeper checks are reached
            PacketBuffer p = Rent(random.Next(0, 1500));
            VirtioNetHeaderError error = VirtioNetHeader.Read(wire).TryApplyTo(p);
            if (error == VirtioNetHeaderError.None)
            {
                applied++;
                Assert.True(p.ChecksumState != ChecksumState.Partial || p.ChecksumStart + p.ChecksumOffset + 2 <= p.PacketLength);
            }

            p.Release();
        }

        Assert.InRange(applied, 1, 19_999);
    }

    private PacketBuffer Rent(int length)
    {
        Assert.True(_pool.TryRent(out PacketBuffer? p));
        p.Append(length);
        return p;
    }
}

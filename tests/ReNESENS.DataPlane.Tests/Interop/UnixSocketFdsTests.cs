using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Interop;

// Some tests count this process's open descriptors: no other test may open or close one meanwhile.
[Collection("fd-count")]
public class UnixSocketFdsTests
{
    [Fact]
    public void ADescriptorSentWithAMessageMapsTheSameMemory()
    {
        (SafeFdHandle a, SafeFdHandle b) = UnixSocketFds.CreatePair();
        using (a)
        using (b)
        using (DmaRegion region = DmaRegion.Create(4096, PageKind.Small))
        {
            region.GetSpan(0, 4).Fill(0x33);
            Assert.Equal(3, UnixSocketFds.Send(a, "hi!"u8, [region.FileDescriptor]));

            var buffer = new byte[16];
            var fds = new SafeFdHandle?[4];
            Assert.Equal(3, UnixSocketFds.Receive(b, buffer, fds, out int count));
            Assert.Equal("hi!"u8.ToArray(), buffer[..3]);
            Assert.Equal(1, count);
            using SafeFdHandle received = fds[0]!;
            Assert.NotEqual(region.FileDescriptor.Fd, received.Fd);
            using DmaRegion peer = DmaRegion.Map(received, 0, 4096);
            Assert.Equal(0x33, peer.GetSpan(3, 1)[0]);
        }
    }

    [Fact]
    public void MoreDescriptorsThanAskedForAreRefusedAndClosed()
    {
        (SafeFdHandle a, SafeFdHandle b) = UnixSocketFds.CreatePair();
        using (a)
        using (b)
        {
            using EventFd e1 = EventFd.Create();
            using EventFd e2 = EventFd.Create();
            using EventFd e3 = EventFd.Create();
            int before = OpenDescriptorCount();
            UnixSocketFds.Send(a, "x"u8, [e1.Handle, e2.Handle, e3.Handle]);
            var fds = new SafeFdHandle?[2];
            NativeCallException ex = Assert.Throws<NativeCallException>(() => UnixSocketFds.Receive(b, new byte[8], fds, out _));
            Assert.Equal(90, ex.Errno);
            Assert.All(fds, Assert.Null);
            Assert.Equal(before, OpenDescriptorCount());
        }
    }

    [Fact]
    public void DescriptorsWhenNoneAreExpectedAreClosed()
    {
        (SafeFdHandle a, SafeFdHandle b) = UnixSocketFds.CreatePair();
        using (a)
        using (b)
        {
            using EventFd e = EventFd.Create();
            int before = OpenDescriptorCount();
            UnixSocketFds.Send(a, "x"u8, [e.Handle]);
            Assert.Throws<NativeCallException>(() => UnixSocketFds.Receive(b, new byte[8], Span<SafeFdHandle?>.Empty, out _));
            Assert.Equal(before, OpenDescriptorCount());
        }
    }

    [Fact]
    public void EndOfStreamReadsZero()
    {
        (SafeFdHandle a, SafeFdHandle b) = UnixSocketFds.CreatePair();
        using (b)
        {
            a.Dispose();
            Assert.Equal(0, UnixSocketFds.Receive(b, new byte[8], new SafeFdHandle?[1], out int count));
            Assert.Equal(0, count);
        }
    }

    [Fact]
    public void TooManyDescriptorsToSendIsMisuse()
    {
        (SafeFdHandle a, SafeFdHandle b) = UnixSocketFds.CreatePair();
        using (a)
        using (b)
        {
            var many = new SafeFdHandle[17];
            Array.Fill(many, a);
            Assert.Throws<ArgumentOutOfRangeException>(() => UnixSocketFds.Send(a, "x"u8, many));
        }
    }

    private static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;
}

using System.Diagnostics;
using System.Net.Sockets;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public class ByteRingCrossProcessTests
{
    [Fact]
    public async Task AnotherProcessEchoesEveryRecordThroughSharedMemory()
    {
        const int Count = 200_000;
        const long Capacity = 64 * 1024;
        long outOffset = ByteRing.GetRequiredSize(Capacity);
        using DmaRegion region = DmaRegion.Create(2 * outOffset, PageKind.Small);
        ByteRing toPeer = ByteRing.Create(region, 0, Capacity);
        ByteRing fromPeer = ByteRing.Create(region, outOffset, Capacity);

        string path = Path.Combine(Path.GetTempPath(), $"rn-bytering-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        string peer = Path.Combine(AppContext.BaseDirectory, "ReNESENS.DataPlane.TestPeer.dll");
        using Process child = Process.Start(new ProcessStartInfo("dotnet", [peer, "bytering", path, Count.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
        })!;
        try
        {
            using Socket connection = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
            File.Delete(path);
            var header = new byte[24];
            BitConverter.TryWriteBytes(header.AsSpan(0), region.Length);
            BitConverter.TryWriteBytes(header.AsSpan(8), 0L);
            BitConverter.TryWriteBytes(header.AsSpan(16), outOffset);
            UnixSocketFds.Send(connection.SafeHandle, header, [region.FileDescriptor]);

            long bytes = Exchange(toPeer, fromPeer, child, Count);

            connection.ReceiveTimeout = 30_000;
            var done = new byte[4];
            Assert.Equal(4, connection.Receive(done));
            Assert.True(child.WaitForExit(30_000));
            Assert.Equal(0, child.ExitCode);
            Assert.False(fromPeer.TryRead(out _));
            Assert.True(bytes > 100_000_000);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }

            File.Delete(path);
        }
    }

    private static long Exchange(ByteRing toPeer, ByteRing fromPeer, Process child, int count)
    {
        var rng = new Random(42);
        long bytes = 0;
        int sent = 0;
        int echoed = 0;
        var watch = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (echoed < count)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"stalled at {sent} sent, {echoed} echoed back");
            bool progressed = false;
            if (sent < count)
            {
                int length = rng.Next(0, 1500);
                if (toPeer.TryReserve(length, out Span<byte> record))
                {
                    ByteRingTests.Fill(record, sent++);
                    toPeer.Commit(length);
                    bytes += length;
                    progressed = true;
                }
            }

            if (fromPeer.TryRead(out ReadOnlySpan<byte> echo))
            {
                ByteRingTests.Check(echo, echoed++);
                fromPeer.Release();
                progressed = true;
            }

            if (!progressed)
            {
                Assert.False(child.HasExited && child.ExitCode != 0, child.HasExited ? child.StandardError.ReadToEnd() : null);
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        return bytes;
    }
}

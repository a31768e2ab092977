using System.Globalization;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.IntegrationTests.Interop;

public class TapDeviceTests
{
    private const int IffTap = 0x0002;
    private const int IffNoPi = 0x1000;
    private const int IffVnetHdr = 0x4000;
    private const int IffMultiQueue = 0x0100;

    [Fact]
    public void TheKernelSeesATapWithTheFlagsWeAskedForAndRemovesItOnClose()
    {
        string name = $"rnt{Environment.ProcessId % 100000}";
        string sys = $"/sys/class/net/{name}";
        using (SafeFdHandle tap = TapDevice.Open(name, vnetHeader: true, multiQueue: true, out string actual))
        {
            Assert.Equal(name, actual);
            Assert.True(Directory.Exists(sys));
            int flags = int.Parse(File.ReadAllText($"{sys}/tun_flags").Trim()[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(IffTap | IffNoPi | IffVnetHdr | IffMultiQueue, flags);

            TapDevice.SetVnetHeaderSize(tap, 12);
            TapDevice.SetOffload(tap, TapDevice.OffloadChecksum | TapDevice.OffloadTso4 | TapDevice.OffloadTso6);

            // The kernel refuses a virtio-net header shorter than the 10-byte legacy one.
            NativeCallException e = Assert.Throws<NativeCallException>(() => TapDevice.SetVnetHeaderSize(tap, 4));
            Assert.Equal("rn_tap_set_vnet_hdr_size", e.Call);
            Assert.Equal(22, e.Errno);
        }

        Assert.False(Directory.Exists(sys));
    }

    [Fact]
    public void TheKernelPicksANameWhenNoneIsGiven()
    {
        using SafeFdHandle tap = TapDevice.Open(string.Empty, vnetHeader: false, multiQueue: false, out string actual);
        Assert.StartsWith("tap", actual, StringComparison.Ordinal);
        Assert.True(Directory.Exists($"/sys/class/net/{actual}"));
    }

    [Fact]
    public void OverlongNamesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TapDevice.Open("a-name-that-is-too-long", false, false, out _));
    }
}

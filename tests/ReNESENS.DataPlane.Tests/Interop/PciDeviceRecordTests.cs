using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

public class PciDeviceRecordTests
{
    [Fact]
    public unsafe void LayoutMatchesTheCStruct()
    {
        // Mirrors the _Static_asserts in src/ReNESENS.Native/src/rn_common.c.
        Assert.Equal(40, sizeof(PciDeviceRecord));
        PciDeviceRecord r = default;
        byte* b = (byte*)&r;
        Assert.Equal(32, (int)((byte*)&r.Vendor - b));
        Assert.Equal(34, (int)((byte*)&r.Device - b));
        Assert.Equal(36, (int)((byte*)&r.ClassCode - b));
        Assert.Equal(0, (int)(r.Address - b));
        Assert.Equal(40, Unsafe.SizeOf<PciDeviceRecord>());
    }
}

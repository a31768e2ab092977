using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public class RingIndicesTests
{
    [Fact]
    public void EachSideOwnsItsOwn128BytesBetweenPadding()
    {
        Assert.Equal(128, Unsafe.SizeOf<RingHeadTail>());
        Assert.Equal(512, Unsafe.SizeOf<RingIndices>());

        RingIndices indices = default;
        ref byte start = ref Unsafe.As<RingIndices, byte>(ref indices);
        Assert.Equal(128, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<RingHeadTail, byte>(ref indices.Producer)));
        Assert.Equal(256, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<RingHeadTail, byte>(ref indices.Consumer)));

        RingHeadTail side = default;
        ref byte sideStart = ref Unsafe.As<RingHeadTail, byte>(ref side);
        Assert.Equal(0, (int)Unsafe.ByteOffset(ref sideStart, ref Unsafe.As<ulong, byte>(ref side.Head)));
        Assert.Equal(8, (int)Unsafe.ByteOffset(ref sideStart, ref Unsafe.As<ulong, byte>(ref side.Tail)));
        Assert.Equal(16, (int)Unsafe.ByteOffset(ref sideStart, ref Unsafe.As<ulong, byte>(ref side.OppositeTailCache)));
    }
}

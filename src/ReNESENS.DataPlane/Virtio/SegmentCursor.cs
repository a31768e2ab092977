using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>Reads or writes bytes across the checked segments of one or more descriptor chains, in order.</summary>
internal unsafe ref struct SegmentCursor
{
    private readonly ReadOnlySpan<BufferSegment> _segments;
    private int _index;
    private uint _offset;

    internal SegmentCursor(ReadOnlySpan<BufferSegment> segments)
    {
        _segments = segments;
        _index = 0;
        _offset = 0;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes out of guest memory; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Read(scoped Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length && _index < _segments.Length)
        {
            Span<byte> chunk = Current();
            int n = Math.Min(chunk.Length, destination.Length - done);
            chunk[..n].CopyTo(destination[done..]);
            Advance(n);
            done += n;
        }

        return done;
    }

    /// <summary>Copies up to <paramref name="source"/>.Length bytes into guest memory; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Write(scoped ReadOnlySpan<byte> source)
    {
        int done = 0;
        while (done < source.Length && _index < _segments.Length)
        {
            Span<byte> chunk = Current();
            int n = Math.Min(chunk.Length, source.Length - done);
            source.Slice(done, n).CopyTo(chunk);
            Advance(n);
            done += n;
        }

        return done;
    }

    private readonly Span<byte> Current()
    {
        BufferSegment s = _segments[_index];

        // Invariant: the segment was translated whole (Pointer..Pointer+Length is mapped guest memory) and _offset < Length.
        // A segment may exceed int.MaxValue; only the first 1 GiB of what is left is exposed at once.
        return new Span<byte>(s.Pointer + _offset, (int)Math.Min(s.Length - _offset, 1u << 30));
    }

    private void Advance(int n)
    {
        _offset += (uint)n;
        if (_offset == _segments[_index].Length)
        {
            _index++;
            _offset = 0;
        }
    }
}

namespace ReNESENS.DataPlane.Memory;

/// <summary>Walks the segments of a <see cref="PacketBuffer"/> chain without allocating; see <see cref="PacketBuffer.Segments"/>.</summary>
public struct PacketSegmentEnumerator
{
    private readonly PacketBuffer _head;
    private PacketBuffer? _current;
    private bool _started;

    internal PacketSegmentEnumerator(PacketBuffer head)
    {
        _head = head;
        _current = null;
        _started = false;
    }

    /// <summary>The current segment.</summary>
    public readonly PacketBuffer Current => _current!;

    /// <summary>Returns this enumerator, so it can be used in <c>foreach</c>.</summary>
    public readonly PacketSegmentEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next segment.</summary>
    /// <returns>False after the last segment.</returns>
    public bool MoveNext()
    {
        _current = _started ? _current?.Next : _head;
        _started = true;
        return _current is not null;
    }
}

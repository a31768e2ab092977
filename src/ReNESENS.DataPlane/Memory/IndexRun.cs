using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Memory;

/// <summary>A run of up to 32 buffer indices on the stack, gathered by a burst release before they go back to the pool.</summary>
[InlineArray(Length)]
internal struct IndexRun
{
    /// <summary>How many indices a run holds.</summary>
    internal const int Length = 32;

    private int _first;
}

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// Up to three figures per benchmark invocation, kept in preallocated rings (nothing allocated while
/// measuring), and the median of a value computed from them over the more recent half of the
/// invocations: the first half includes BenchmarkDotNet's jitting, pilot and warmup stages.
/// </summary>
internal sealed class InvocationSamples
{
    private const int Capacity = 1 << 16;
    private readonly long[] _a = new long[Capacity];
    private readonly long[] _b = new long[Capacity];
    private readonly long[] _c = new long[Capacity];

    /// <summary>Invocations recorded.</summary>
    internal int Count { get; private set; }

    internal void Add(long a, long b = 0, long c = 0)
    {
        int at = Count++ & (Capacity - 1);
        _a[at] = a;
        _b[at] = b;
        _c[at] = c;
    }

    /// <summary>The median of <paramref name="value"/>(a, b, c) over the recent half of the invocations.</summary>
    internal double Median(Func<long, long, long, double> value)
    {
        int kept = Math.Max(1, Math.Min(Count, Capacity) / 2);
        var values = new double[kept];
        for (int k = 0; k < kept; k++)
        {
            int at = (Count - 1 - k) & (Capacity - 1);
            values[k] = value(_a[at], _b[at], _c[at]);
        }

        Array.Sort(values);
        return values[kept / 2];
    }
}

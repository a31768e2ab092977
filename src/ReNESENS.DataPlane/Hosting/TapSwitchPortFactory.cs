using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// Opens <see cref="TapPort"/>s (type <c>tap</c>). Settings: <c>interface</c> (default: the port's name) and
/// <c>offloads</c> (<c>true</c>/<c>false</c>, default true). All TAP ports share one pool of superframe buffers.
/// </summary>
public sealed class TapSwitchPortFactory : ISwitchPortFactory, IDisposable
{
    /// <summary>The type name.</summary>
    public const string TypeName = "tap";

    /// <summary>Buffers of the shared pool: bursts of 32 in flight per queue, plus flood copies; 64 KiB each.</summary>
    private const int PoolBuffers = 1024;

    private readonly Lazy<BufferPool> _pool = new(() => BufferPool.Create(PoolBuffers, TapPort.SuperframeBufferSize));

    /// <inheritdoc />
    public string Type => TypeName;

    /// <inheritdoc />
    public IReadOnlyList<IPacketPort> Open(SwitchPortConfiguration configuration, int queueCount)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string name = configuration.Settings.TryGetValue("interface", out string? iface) ? iface : configuration.Name;
        var options = new TapPortOptions
        {
            EnableOffloads = !configuration.Settings.TryGetValue("offloads", out string? o) || !bool.TryParse(o, out bool on) || on,
        };
        return queueCount == 1 ? [TapPort.Open(name, _pool.Value, options)] : TapPort.OpenQueues(name, queueCount, _pool.Value, options);
    }

    /// <summary>Frees the shared pool (after every port is closed).</summary>
    public void Dispose()
    {
        if (_pool.IsValueCreated)
        {
            _pool.Value.Dispose();
        }
    }
}

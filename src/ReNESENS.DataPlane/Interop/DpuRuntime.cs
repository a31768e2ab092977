using System.Diagnostics.CodeAnalysis;
using System.Text;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// An opened device behind a runtime library that implements <c>renesens_dpu.h</c>: the library is
/// loaded with <c>dlopen</c> by name and every call goes through an unmanaged function pointer
/// resolved once with <c>dlsym</c>. <see cref="TryOpen"/> refuses a runtime with another ABI version,
/// a missing symbol or a device that lacks a needed operation, and says why.
/// </summary>
/// <remarks>
/// <para>Dispose the queue pairs first: the device closes only when none is left.</para>
/// <para>Unsafe because the calls are unmanaged function pointers. Invariants: each pointer comes from
/// <c>dlsym</c> of the symbol whose C signature it is cast to (the header's); the library stays
/// loaded until <see cref="Dispose"/>, which closes the device first; every buffer passed is pinned
/// (fixed) for the duration of the call and sized as the call's count says.</para>
/// </remarks>
internal sealed unsafe class DpuRuntime : IDisposable
{
    /// <summary>Every symbol the host needs, in the order it resolves them.</summary>
    internal static readonly string[] Symbols =
    [
        "rn_dpu_abi_version", "rn_dpu_open", "rn_dpu_query", "rn_dpu_qp_create", "rn_dpu_qp_destroy",
        "rn_dpu_key_load", "rn_dpu_key_destroy", "rn_dpu_submit", "rn_dpu_poll", "rn_dpu_reset", "rn_dpu_close",
    ];

    private readonly NativeLibraryHandle _library;
    private readonly delegate* unmanaged<nint, DpuDeviceInfo*, int> _query;
    private readonly delegate* unmanaged<nint, int, ulong, uint, nint*, int> _qpCreate;
    private readonly delegate* unmanaged<nint, uint, byte*, uint, uint*, int> _keyLoad;
    private readonly delegate* unmanaged<nint, uint, int> _keyDestroy;
    private readonly delegate* unmanaged<nint, int> _reset;
    private readonly delegate* unmanaged<nint, int> _close;
    private nint _device;

    private DpuRuntime(NativeLibraryHandle library, nint[] fn, nint device, in DpuDeviceInfo info, string libraryName)
    {
        _library = library;
        _query = (delegate* unmanaged<nint, DpuDeviceInfo*, int>)fn[2];
        _qpCreate = (delegate* unmanaged<nint, int, ulong, uint, nint*, int>)fn[3];
        QpDestroy = (delegate* unmanaged<nint, int>)fn[4];
        _keyLoad = (delegate* unmanaged<nint, uint, byte*, uint, uint*, int>)fn[5];
        _keyDestroy = (delegate* unmanaged<nint, uint, int>)fn[6];
        Submit = (delegate* unmanaged<nint, DpuDescriptor*, uint, int>)fn[7];
        Poll = (delegate* unmanaged<nint, DpuCompletion*, uint, int>)fn[8];
        _reset = (delegate* unmanaged<nint, int>)fn[9];
        _close = (delegate* unmanaged<nint, int>)fn[10];
        _device = device;
        Info = info;
        Name = info.GetName();
        LibraryName = libraryName;
    }

    /// <summary>What the device reported when it was opened.</summary>
    internal DpuDeviceInfo Info { get; }

    /// <summary>The device's name.</summary>
    internal string Name { get; }

    /// <summary>The library name it was loaded by.</summary>
    internal string LibraryName { get; }

    /// <summary>True when the device says it is an emulation, not a board.</summary>
    internal bool IsEmulated => (Info.Flags & DpuAbi.DeviceEmulated) != 0;

    internal delegate* unmanaged<nint, DpuDescriptor*, uint, int> Submit { get; }

    internal delegate* unmanaged<nint, DpuCompletion*, uint, int> Poll { get; }

    internal delegate* unmanaged<nint, int> QpDestroy { get; }

    /// <summary>
    /// Loads <paramref name="library"/>, checks its ABI version and symbols, opens the device with
    /// <paramref name="config"/> and checks that its op mask holds <paramref name="requiredOps"/>.
    /// On any refusal returns false and a sentence that says which check failed.
    /// </summary>
    internal static bool TryOpen(string library, string config, ulong requiredOps, [NotNullWhen(true)] out DpuRuntime? runtime, out string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(library);
        ArgumentNullException.ThrowIfNull(config);
        runtime = null;
        if (!NativeLibraryHandle.TryLoad(library, out NativeLibraryHandle? handle, out string error))
        {
            reason = $"device runtime '{library}' is not loadable: {error}";
            return false;
        }

        var fn = new nint[Symbols.Length];
        for (int i = 0; i < Symbols.Length; i++)
        {
            if (!handle.TryGetSymbol(Symbols[i], out fn[i], out error))
            {
                handle.Dispose();
                reason = $"device runtime '{library}' lacks {Symbols[i]}: {error}";
                return false;
            }
        }

        uint version = ((delegate* unmanaged<uint>)fn[0])();
        if (version != DpuAbi.Version)
        {
            handle.Dispose();
            reason = $"device runtime '{library}' implements ABI version {version}, this host needs {DpuAbi.Version}";
            return false;
        }

        byte[] configBytes = Encoding.UTF8.GetBytes(config + "\0");
        nint device;
        int rc;
        fixed (byte* c = configBytes)
        {
            rc = ((delegate* unmanaged<byte*, nint*, int>)fn[1])(c, &device);
        }

        if (rc < 0)
        {
            handle.Dispose();
            reason = $"device runtime '{library}' could not open the device (rn_dpu_open: errno {-rc}) with config '{config}'";
            return false;
        }

        DpuDeviceInfo info;
        rc = ((delegate* unmanaged<nint, DpuDeviceInfo*, int>)fn[2])(device, &info);
        string? refusal = rc < 0 ? $"rn_dpu_query failed (errno {-rc})"
            : info.AbiVersion != DpuAbi.Version ? $"the device reports ABI version {info.AbiVersion}, this host needs {DpuAbi.Version}"
            : (info.OpMask & requiredOps) != requiredOps ? $"the device lacks {DescribeOps(requiredOps & ~info.OpMask)}"
            : info.MaxQueuePairs == 0 || info.MaxQueueDepth == 0 || info.MaxDataSize == 0 ? "the device reports no queue pairs, depth or data size"
            : null;
        if (refusal is not null)
        {
            _ = ((delegate* unmanaged<nint, int>)fn[10])(device);
            handle.Dispose();
            reason = $"device runtime '{library}' refused: {refusal}";
            return false;
        }

        runtime = new DpuRuntime(handle, fn, device, info, library);
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// A bare file name that exists beside this assembly (the emulated device ships there) becomes that
    /// path; anything else is left for <c>dlopen</c>'s own search.
    /// </summary>
    internal static string Resolve(string library)
    {
        if (!library.Contains('/', StringComparison.Ordinal))
        {
            string beside = Path.Combine(AppContext.BaseDirectory, library);
            if (File.Exists(beside))
            {
                return beside;
            }
        }

        return library;
    }

    /// <summary>Names the ops set in <paramref name="mask"/>, e.g. "XtsEncrypt, XtsDecrypt".</summary>
    internal static string DescribeOps(ulong mask)
    {
        var names = new List<string>();
        for (int bit = 0; bit < 64; bit++)
        {
            if ((mask & (1UL << bit)) != 0)
            {
                names.Add(Enum.IsDefined((DpuOp)bit) ? ((DpuOp)bit).ToString() : $"op {bit}");
            }
        }

        return string.Join(", ", names);
    }

    /// <summary>Creates a queue pair of <paramref name="depth"/> descriptors over <paramref name="region"/>.</summary>
    /// <exception cref="NativeCallException">The runtime refused (bad depth, too many queue pairs, mapping failed).</exception>
    internal DpuQueuePair CreateQueuePair(DmaRegion region, uint depth)
    {
        ArgumentNullException.ThrowIfNull(region);
        ObjectDisposedException.ThrowIf(_device == 0, this);
        nint qp;
        bool added = false;
        SafeFdHandle fd = region.FileDescriptor;
        try
        {
            fd.DangerousAddRef(ref added);
            NativeError.Check(_qpCreate(_device, fd.Fd, (ulong)region.Length, depth, &qp), "rn_dpu_qp_create");
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }

        return new DpuQueuePair(this, qp, depth);
    }

    /// <summary>Loads a key of <paramref name="type"/> (XTS: 64 bytes, GCM: 32) into the device; returns its handle.</summary>
    internal uint LoadKey(DpuKeyType type, ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        uint handle;
        fixed (byte* k = key)
        {
            NativeError.Check(_keyLoad(_device, (uint)type, k, (uint)key.Length, &handle), "rn_dpu_key_load");
        }

        return handle;
    }

    /// <summary>Destroys a key loaded with <see cref="LoadKey"/>.</summary>
    internal void DestroyKey(uint handle)
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        NativeError.Check(_keyDestroy(_device, handle), "rn_dpu_key_destroy");
    }

    /// <summary>Resets the device: nothing accepted before completes, and no buffer of it is touched once this returns.</summary>
    internal void Reset()
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        NativeError.Check(_reset(_device), "rn_dpu_reset");
    }

    /// <summary>Asks the device for its info again (tests use it to see that the device still answers).</summary>
    internal DpuDeviceInfo Query()
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        DpuDeviceInfo info;
        NativeError.Check(_query(_device, &info), "rn_dpu_query");
        return info;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_device != 0)
        {
            NativeError.Check(_close(_device), "rn_dpu_close");
            _device = 0;
            _library.Dispose();
        }
    }
}

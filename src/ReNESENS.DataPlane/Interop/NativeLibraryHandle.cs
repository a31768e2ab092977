using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>A library loaded with <c>dlopen</c> (a board vendor's runtime); closed exactly once.</summary>
internal sealed unsafe class NativeLibraryHandle : SafeHandle
{
    private const int ErrorLength = 512;

    private NativeLibraryHandle(nint handle)
        : base(0, ownsHandle: true) => SetHandle(handle);

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Loads <paramref name="name"/>; returns false with the loader's message when it cannot.</summary>
    internal static bool TryLoad(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NativeLibraryHandle? library, out string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        byte* text = stackalloc byte[ErrorLength];
        text[0] = 0;
        if (NativeMethods.DlOpen(name, out nint h, text, ErrorLength) < 0)
        {
            library = null;
            error = Marshal.PtrToStringUTF8((nint)text) ?? "unknown";
            return false;
        }

        library = new NativeLibraryHandle(h);
        error = string.Empty;
        return true;
    }

    /// <summary>Looks up <paramref name="symbol"/>; returns false with the loader's message when it is missing.</summary>
    internal bool TryGetSymbol(string symbol, out nint address, out string error)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        byte* text = stackalloc byte[ErrorLength];
        text[0] = 0;
        if (NativeMethods.DlSym(handle, symbol, out address, text, ErrorLength) < 0)
        {
            error = Marshal.PtrToStringUTF8((nint)text) ?? "unknown";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => NativeMethods.DlClose(handle) == 0;
}

namespace ReNESENS.DataPlane.Interop;

/// <summary>Facts about the loaded native shim.</summary>
public static class NativeLibraryInfo
{
    /// <summary>The shim's version as <c>(major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch</c>; loading it proves it is present.</summary>
    public static int Version => NativeMethods.Version();
}

using System.Diagnostics;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>A private ramfs mount (a file system without O_DIRECT), unmounted and removed on dispose. Needs root, as the suite does.</summary>
internal sealed class RamfsMount : IDisposable
{
    public RamfsMount()
    {
        Path = System.IO.Path.Combine("/tmp", $"rn-ramfs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        Run("mount", "-t", "ramfs", "ramfs", Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        Run("umount", Path);
        Directory.Delete(Path);
    }

    private static void Run(string program, params string[] arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }
    }
}

using System.Text;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>vhostsettings</c>: the settings of a <c>vhost-user</c> switch port as a configuration file gives
/// them. Byte 0 (mod 4, plus 1) is the switch's forwarding thread count; the rest, as UTF-8, is lines of
/// <c>key=value</c> (a line without <c>=</c> is a key with an empty value).
/// </summary>
/// <remarks>
/// <see cref="VhostUserSwitchPortFactory.ParseOptions"/> must either return options the backend accepts (socket set,
/// one queue pair per thread) or throw an <see cref="ArgumentException"/> that names the port and the setting; any
/// other exception is a bug.
/// </remarks>
public static class VhostUserSettingsTarget
{
    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int threads = (input[0] % 4) + 1;
        var port = new SwitchPortConfiguration { Name = "fuzz", Type = VhostUserSwitchPortFactory.TypeName };
        foreach (string line in Encoding.UTF8.GetString(input[1..]).Split('\n'))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            port.Settings[eq < 0 ? line : line[..eq]] = eq < 0 ? string.Empty : line[(eq + 1)..];
        }

        VhostUserBackendOptions options;
        try
        {
            options = VhostUserSwitchPortFactory.ParseOptions(port, threads);
        }
        catch (ArgumentException e)
        {
            Check(e.Message.StartsWith("vhost-user port 'fuzz': ", StringComparison.Ordinal), $"unclear error: {e.Message}");
            return;
        }

        Check(!string.IsNullOrWhiteSpace(options.SocketPath), "accepted without a socket");
        Check(options.QueuePairs == threads, $"{options.QueuePairs} queue pairs for {threads} threads");
        Check(options.Mode is VhostUserMode.Server or VhostUserMode.Client, $"mode {options.Mode}");
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException(what);
        }
    }
}

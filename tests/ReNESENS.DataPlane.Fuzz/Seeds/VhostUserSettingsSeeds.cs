using System.Text;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>Valid and near-valid starting inputs for <see cref="Targets.VhostUserSettingsTarget"/>.</summary>
internal static class VhostUserSettingsSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        (string Name, byte Threads, string Text)[] seeds =
        [
            ("server-defaults", 0, "socket=/tmp/vm1.sock"),
            ("client-all-off", 0, "socket=/run/vm1.sock\nmode=client\nqueues=1\nmergeable=false\npacked=false\nindirect=false\nevent-index=false\noffloads=false"),
            ("two-queues", 1, "socket=/tmp/vm2.sock\nmode=Server\nqueues=2\npacked=True"),
            ("queues-mismatch", 0, "socket=/tmp/vm3.sock\nqueues=4"),
            ("bad-mode", 2, "socket=/tmp/vm4.sock\nmode=listen\nqueues=3"),
        ];
        foreach ((string name, byte threads, string text) in seeds)
        {
            yield return (name, [threads, .. Encoding.UTF8.GetBytes(text)]);
        }
    }
}

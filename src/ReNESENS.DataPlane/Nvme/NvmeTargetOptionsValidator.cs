using System.Globalization;
using System.Net;
using System.Text;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// Checks a whole <see cref="NvmeTcpTargetOptions"/> tree (configuration from outside) and names every bad value by
/// its configuration path (<c>Subsystems:0:Namespaces:1:BlockSize</c>), so that a config file fails with all of its
/// problems at once, before anything is opened.
/// </summary>
internal static class NvmeTargetOptionsValidator
{
    /// <summary>Longest NQN in bytes (NVMe base 2.0, 4.5: 223 bytes, UTF-8, without the terminating NUL).</summary>
    public const int MaxNqnBytes = 223;

    public static List<string> Collect(NvmeTcpTargetOptions options)
    {
        var errors = new List<string>();
        if (options.MaxQueueDepth is < 2 or > 1024)
        {
            errors.Add(Invariant($"MaxQueueDepth: {options.MaxQueueDepth} is not 2..1024."));
        }

        if (options.MaxIoQueues is < 1 or > 64)
        {
            errors.Add(Invariant($"MaxIoQueues: {options.MaxIoQueues} is not 1..64."));
        }

        if (options.MaxDataTransferSize < 4096 || options.MaxDataTransferSize > (16 << 20) || !int.IsPow2(options.MaxDataTransferSize))
        {
            errors.Add(Invariant($"MaxDataTransferSize: {options.MaxDataTransferSize} is not a power of two from 4096 to 16 MiB."));
        }

        if (options.MaxH2CData < 4096 || options.MaxH2CData % 4 != 0 || options.MaxH2CData > options.MaxDataTransferSize)
        {
            errors.Add(Invariant($"MaxH2CData: {options.MaxH2CData} is not a multiple of 4 from 4096 up to MaxDataTransferSize."));
        }

        if (options.InCapsuleDataSize is < 1024 or > 65536 || options.InCapsuleDataSize % 16 != 0)
        {
            errors.Add(Invariant($"InCapsuleDataSize: {options.InCapsuleDataSize} is not a multiple of 16 from 1024 to 65536 (Connect data is 1024 bytes)."));
        }

        if (options.ConnectTimeout <= TimeSpan.Zero || options.ConnectTimeout > TimeSpan.FromHours(1))
        {
            errors.Add(Invariant($"ConnectTimeout: {options.ConnectTimeout} is not more than 0 and at most one hour."));
        }

        if (options.Listeners.Count == 0)
        {
            CheckListener(errors, string.Empty, options.Address, options.Port);
        }

        var endPoints = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Listeners.Count; i++)
        {
            NvmeListenerOptions? listener = options.Listeners[i];
            string path = Invariant($"Listeners:{i}:");
            if (listener is null)
            {
                errors.Add(path + " is empty.");
                continue;
            }

            if (CheckListener(errors, path, listener.Address, listener.Port) is { } endPoint && endPoint.Port != 0 && !endPoints.Add(endPoint.ToString()))
            {
                errors.Add(Invariant($"{path} {endPoint} is listed twice."));
            }
        }

        var nqns = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Subsystems.Count; i++)
        {
            string path = Invariant($"Subsystems:{i}:");
            if (options.Subsystems[i] is not { } subsystem)
            {
                errors.Add(path + " is empty.");
                continue;
            }

            if (SubsystemProblem(subsystem) is { } problem)
            {
                errors.Add(path + problem);
            }
            else if (!nqns.Add(subsystem.Nqn))
            {
                errors.Add(Invariant($"{path}Nqn: {subsystem.Nqn} is listed twice."));
            }

            var nsids = new HashSet<uint>();
            for (int n = 0; n < subsystem.Namespaces.Count; n++)
            {
                string nsPath = Invariant($"{path}Namespaces:{n}:");
                if (subsystem.Namespaces[n] is not { } ns)
                {
                    errors.Add(nsPath + " is empty.");
                }
                else if (NamespaceProblem(ns) is { } nsProblem)
                {
                    errors.Add(nsPath + nsProblem);
                }
                else if (ns.NamespaceId > subsystem.MaxNamespaceId)
                {
                    errors.Add(Invariant($"{nsPath}NamespaceId: {ns.NamespaceId} is above the subsystem's MaxNamespaceId {subsystem.MaxNamespaceId}."));
                }
                else if (!nsids.Add(ns.NamespaceId))
                {
                    errors.Add(Invariant($"{nsPath}NamespaceId: {ns.NamespaceId} is listed twice in {subsystem.Nqn}."));
                }
            }
        }

        return errors;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem of <paramref name="options"/>.</summary>
    public static void ThrowIfInvalid(NvmeTcpTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> errors = Collect(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid NVMe/TCP target options: " + string.Join(" ", errors), nameof(options));
        }
    }

    /// <summary>What is wrong with a subsystem's own fields (not its namespaces), as "Field: why"; null when nothing.</summary>
    public static string? SubsystemProblem(NvmeSubsystemOptions subsystem)
    {
        if (NqnProblem(subsystem.Nqn) is { } nqn)
        {
            return "Nqn: " + nqn;
        }

        if (subsystem.Nqn == NvmeOpcodes.DiscoveryNqn)
        {
            return "Nqn: " + NvmeOpcodes.DiscoveryNqn + " is the discovery subsystem's, always present.";
        }

        if (AsciiProblem(subsystem.SerialNumber, 20) is { } serial)
        {
            return "SerialNumber: " + serial;
        }

        if (AsciiProblem(subsystem.ModelNumber, 40) is { } model)
        {
            return "ModelNumber: " + model;
        }

        if (subsystem.MaxNamespaceId is 0 or >= 0xFFFFFFFE)
        {
            return Invariant($"MaxNamespaceId: {subsystem.MaxNamespaceId} is not 1..FFFFFFFDh.");
        }

        for (int h = 0; h < subsystem.AllowedHosts.Count; h++)
        {
            if (NqnProblem(subsystem.AllowedHosts[h]) is { } host)
            {
                return Invariant($"AllowedHosts:{h}: {host}");
            }
        }

        return null;
    }

    /// <summary>What is wrong with a namespace's options, as "Field: why"; null when nothing.</summary>
    public static string? NamespaceProblem(NvmeNamespaceOptions ns)
    {
        if (ns.NamespaceId is 0 or >= 0xFFFFFFFE)
        {
            return Invariant($"NamespaceId: {ns.NamespaceId} is not a valid namespace identifier (1..FFFFFFFDh).");
        }

        if (ns.BlockSize is not (512 or 4096))
        {
            return Invariant($"BlockSize: {ns.BlockSize} is not 512 or 4096.");
        }

        if ((ns.SizeBytes != 0 || ns.FilePath is null) && (ns.SizeBytes < ns.BlockSize || ns.SizeBytes % ns.BlockSize != 0))
        {
            return Invariant($"SizeBytes: {ns.SizeBytes} is not a positive multiple of the block size {ns.BlockSize} (0 only with FilePath: the whole device or file).");
        }

        if (ns.MaxSizeBytes != 0 && (ns.MaxSizeBytes < ns.SizeBytes || ns.MaxSizeBytes % ns.BlockSize != 0))
        {
            return Invariant($"MaxSizeBytes: {ns.MaxSizeBytes} is not 0 or a multiple of the block size {ns.BlockSize} of at least SizeBytes.");
        }

        if (ns.MaxSizeBytes != 0 && (ns.FilePath is not null || ns.Transform is not null))
        {
            return "MaxSizeBytes: is for RAM namespaces (files grow without it, block devices up to their size).";
        }

        if (!Enum.IsDefined(ns.DirectIo))
        {
            return Invariant($"DirectIo: {(int)ns.DirectIo} is not Auto, Required or Off.");
        }

        if (ns.Transform is not null && ns.FilePath is not null)
        {
            return "Transform: a namespace is either a transform namespace or a file namespace, not both.";
        }

        if (ns.FilePath is { Length: 0 })
        {
            return "FilePath: is empty.";
        }

        if (ns.Transform is { } transform)
        {
            if (transform.Key.Length != 128 || !IsHex(transform.Key))
            {
                return Invariant($"Transform:Key: is {transform.Key.Length} characters; AES-256-XTS needs 128 hexadecimal digits (64 bytes).");
            }

            if (transform.StoreSizeBytes < 0)
            {
                return Invariant($"Transform:StoreSizeBytes: {transform.StoreSizeBytes} is negative.");
            }
        }

        return null;
    }

    private static IPEndPoint? CheckListener(List<string> errors, string path, string? address, int port)
    {
        bool ok = true;
        if (!IPAddress.TryParse(address, out IPAddress? ip))
        {
            errors.Add(Invariant($"{path}Address: '{address}' is not an IPv4 or IPv6 address."));
            ok = false;
        }

        if (port is < 0 or > 65535)
        {
            errors.Add(Invariant($"{path}Port: {port} is not 0..65535."));
            ok = false;
        }

        return ok ? new IPEndPoint(ip!, port) : null;
    }

    private static string? NqnProblem(string? nqn)
    {
        if (string.IsNullOrEmpty(nqn))
        {
            return "is empty.";
        }

        if (Encoding.UTF8.GetByteCount(nqn) > MaxNqnBytes)
        {
            return Invariant($"is longer than {MaxNqnBytes} bytes.");
        }

        if (nqn.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character.";
        }

        return null;
    }

    private static string? AsciiProblem(string? text, int max)
    {
        if (text is null)
        {
            return "is missing.";
        }

        if (text.Length > max)
        {
            return Invariant($"'{text}' is longer than {max} characters.");
        }

        foreach (char c in text)
        {
            if (c is < ' ' or > '~')
            {
                return Invariant($"'{text}' has a character that is not printable ASCII.");
            }
        }

        return null;
    }

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// Reads <see cref="NvmeTcpTargetOptions"/> from configuration (a JSON file's <c>Target</c> section, the command
/// line, environment variables) without reflection, so that it stays trimming- and AOT-safe. Keys are matched
/// without regard to case; every key it does not know and every value it cannot convert is reported by its full
/// configuration path, all at once.
/// </summary>
/// <remarks>
/// Keys: <c>Address</c>, <c>Port</c>, <c>Listeners</c> (a list of <c>Address</c>, <c>Port</c>), <c>MaxQueueDepth</c>,
/// <c>MaxIoQueues</c>, <c>MaxH2CData</c>, <c>InCapsuleDataSize</c>, <c>MaxDataTransferSize</c>, <c>ConnectTimeout</c>
/// (<c>hh:mm:ss</c>), and <c>Subsystems</c>: a list of <c>Nqn</c>, <c>SerialNumber</c>, <c>ModelNumber</c>,
/// <c>MaxNamespaceId</c>, <c>AllowedHosts</c> (a list of host NQNs) and <c>Namespaces</c>: a list of
/// <c>NamespaceId</c>, <c>SizeBytes</c>, <c>MaxSizeBytes</c>, <c>BlockSize</c>, <c>FilePath</c>, <c>DirectIo</c>
/// (<c>Auto</c>, <c>Required</c>, <c>Off</c>), <c>Uuid</c> and <c>Transform</c> (<c>Key</c>, <c>StoreSizeBytes</c>).
/// Values are checked for their type here and for their meaning by the target's own validation (which
/// <see cref="NvmeTcpTargetServiceCollectionExtensions.AddNvmeTcpTarget(Microsoft.Extensions.DependencyInjection.IServiceCollection, IConfiguration)"/>
/// runs at host start).
/// </remarks>
public static class NvmeTcpTargetConfiguration
{
    /// <summary>Adds what <paramref name="configuration"/> says to <paramref name="options"/> (values replaced, lists appended to).</summary>
    /// <param name="configuration">The target's section.</param>
    /// <param name="options">The options to fill.</param>
    /// <exception cref="OptionsValidationException">A key is unknown or a value does not convert; the failures name each by path.</exception>
    public static void Bind(IConfiguration configuration, NvmeTcpTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        ReadTarget(configuration, options, errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(NvmeTcpTargetOptions), errors);
        }
    }

    private static void ReadTarget(IConfiguration section, NvmeTcpTargetOptions o, List<string> errors)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "ADDRESS": o.Address = Text(child, errors) ?? o.Address; break;
                case "PORT": o.Port = Integer(child, errors, int.MinValue, int.MaxValue, o.Port); break;
                case "MAXQUEUEDEPTH": o.MaxQueueDepth = Integer(child, errors, int.MinValue, int.MaxValue, o.MaxQueueDepth); break;
                case "MAXIOQUEUES": o.MaxIoQueues = Integer(child, errors, int.MinValue, int.MaxValue, o.MaxIoQueues); break;
                case "MAXH2CDATA": o.MaxH2CData = Integer(child, errors, int.MinValue, int.MaxValue, o.MaxH2CData); break;
                case "INCAPSULEDATASIZE": o.InCapsuleDataSize = Integer(child, errors, int.MinValue, int.MaxValue, o.InCapsuleDataSize); break;
                case "MAXDATATRANSFERSIZE": o.MaxDataTransferSize = Integer(child, errors, int.MinValue, int.MaxValue, o.MaxDataTransferSize); break;
                case "CONNECTTIMEOUT": o.ConnectTimeout = Duration(child, errors, o.ConnectTimeout); break;
                case "LISTENERS":
                    foreach (IConfigurationSection item in Items(child, errors))
                    {
                        var listener = new NvmeListenerOptions();
                        ReadListener(item, listener, errors);
                        o.Listeners.Add(listener);
                    }

                    break;
                case "SUBSYSTEMS":
                    foreach (IConfigurationSection item in Items(child, errors))
                    {
                        var subsystem = new NvmeSubsystemOptions();
                        ReadSubsystem(item, subsystem, errors);
                        o.Subsystems.Add(subsystem);
                    }

                    break;
                default:
                    Unknown(child, errors, "Address, Port, Listeners, MaxQueueDepth, MaxIoQueues, MaxH2CData, InCapsuleDataSize, MaxDataTransferSize, ConnectTimeout, Subsystems");
                    break;
            }
        }
    }

    private static void ReadListener(IConfigurationSection section, NvmeListenerOptions o, List<string> errors)
    {
        foreach (IConfigurationSection child in Fields(section, errors))
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "ADDRESS": o.Address = Text(child, errors) ?? o.Address; break;
                case "PORT": o.Port = Integer(child, errors, int.MinValue, int.MaxValue, o.Port); break;
                default: Unknown(child, errors, "Address, Port"); break;
            }
        }
    }

    private static void ReadSubsystem(IConfigurationSection section, NvmeSubsystemOptions o, List<string> errors)
    {
        foreach (IConfigurationSection child in Fields(section, errors))
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "NQN": o.Nqn = Text(child, errors) ?? o.Nqn; break;
                case "SERIALNUMBER": o.SerialNumber = Text(child, errors) ?? o.SerialNumber; break;
                case "MODELNUMBER": o.ModelNumber = Text(child, errors) ?? o.ModelNumber; break;
                case "MAXNAMESPACEID": o.MaxNamespaceId = (uint)Integer(child, errors, 0, uint.MaxValue, o.MaxNamespaceId); break;
                case "ALLOWEDHOSTS":
                    foreach (IConfigurationSection item in Items(child, errors))
                    {
                        if (Text(item, errors) is { } host)
                        {
                            o.AllowedHosts.Add(host);
                        }
                    }

                    break;
                case "NAMESPACES":
                    foreach (IConfigurationSection item in Items(child, errors))
                    {
                        var ns = new NvmeNamespaceOptions();
                        ReadNamespace(item, ns, errors);
                        o.Namespaces.Add(ns);
                    }

                    break;
                default:
                    Unknown(child, errors, "Nqn, SerialNumber, ModelNumber, MaxNamespaceId, AllowedHosts, Namespaces");
                    break;
            }
        }
    }

    private static void ReadNamespace(IConfigurationSection section, NvmeNamespaceOptions o, List<string> errors)
    {
        foreach (IConfigurationSection child in Fields(section, errors))
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "NAMESPACEID": o.NamespaceId = (uint)Integer(child, errors, 0, uint.MaxValue, o.NamespaceId); break;
                case "SIZEBYTES": o.SizeBytes = Integer(child, errors, long.MinValue, long.MaxValue, o.SizeBytes); break;
                case "MAXSIZEBYTES": o.MaxSizeBytes = Integer(child, errors, long.MinValue, long.MaxValue, o.MaxSizeBytes); break;
                case "BLOCKSIZE": o.BlockSize = Integer(child, errors, int.MinValue, int.MaxValue, o.BlockSize); break;
                case "FILEPATH": o.FilePath = Text(child, errors) ?? o.FilePath; break;
                case "DIRECTIO": o.DirectIo = DirectIoMode(child, errors, o.DirectIo); break;
                case "UUID":
                    if (Text(child, errors) is { } text)
                    {
                        if (Guid.TryParse(text, out Guid uuid))
                        {
                            o.Uuid = uuid;
                        }
                        else
                        {
                            errors.Add($"{child.Path}: '{text}' is not a UUID.");
                        }
                    }

                    break;
                case "TRANSFORM":
                    var transform = o.Transform ?? new NvmeNamespaceTransformOptions();
                    foreach (IConfigurationSection field in Fields(child, errors))
                    {
                        switch (field.Key.ToUpperInvariant())
                        {
                            case "KEY": transform.Key = Text(field, errors) ?? transform.Key; break;
                            case "STORESIZEBYTES": transform.StoreSizeBytes = Integer(field, errors, long.MinValue, long.MaxValue, transform.StoreSizeBytes); break;
                            default: Unknown(field, errors, "Key, StoreSizeBytes"); break;
                        }
                    }

                    o.Transform = transform;
                    break;
                default:
                    Unknown(child, errors, "NamespaceId, SizeBytes, MaxSizeBytes, BlockSize, FilePath, DirectIo, Uuid, Transform");
                    break;
            }
        }
    }

    /// <summary>The fields of an object; a plain value where an object belongs is an error.</summary>
    private static List<IConfigurationSection> Fields(IConfigurationSection section, List<string> errors)
    {
        List<IConfigurationSection> children = [.. section.GetChildren()];
        if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            errors.Add($"{section.Path}: '{section.Value}' is a value where settings belong.");
        }

        return children;
    }

    /// <summary>The elements of a list, in index order; keys that are not 0, 1, 2... are errors.</summary>
    private static List<IConfigurationSection> Items(IConfigurationSection section, List<string> errors)
    {
        var items = new SortedList<int, IConfigurationSection>();
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < 65536 && !items.ContainsKey(index))
            {
                items.Add(index, child);
            }
            else
            {
                errors.Add($"{child.Path}: '{child.Key}' is not a list index (give {section.Key} as a JSON array).");
            }
        }

        if (items.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            errors.Add($"{section.Path}: '{section.Value}' is a value where a list belongs.");
        }

        return [.. items.Values];
    }

    private static string? Text(IConfigurationSection section, List<string> errors)
    {
        if (section.Value is null)
        {
            if (section.GetChildren().Any())
            {
                errors.Add($"{section.Path}: is a section where a value belongs.");
            }

            return null;
        }

        return section.Value;
    }

    private static long Integer(IConfigurationSection section, List<string> errors, long min, long max, long current)
    {
        if (Text(section, errors) is not { } text)
        {
            return current;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section.Path}: '{text}' is not an integer from {min} to {max}."));
        return current;
    }

    private static int Integer(IConfigurationSection section, List<string> errors, int min, int max, int current) => (int)Integer(section, errors, (long)min, max, (long)current);

    private static long Integer(IConfigurationSection section, List<string> errors, uint min, uint max, uint current) => Integer(section, errors, (long)min, max, (long)current);

    private static TimeSpan Duration(IConfigurationSection section, List<string> errors, TimeSpan current)
    {
        if (Text(section, errors) is not { } text)
        {
            return current;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value))
        {
            return value;
        }

        errors.Add($"{section.Path}: '{text}' is not a duration (hh:mm:ss).");
        return current;
    }

    private static NvmeDirectIoMode DirectIoMode(IConfigurationSection section, List<string> errors, NvmeDirectIoMode current)
    {
        if (Text(section, errors) is not { } text)
        {
            return current;
        }

        foreach (NvmeDirectIoMode mode in Enum.GetValues<NvmeDirectIoMode>())
        {
            if (string.Equals(text.Trim(), mode.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        errors.Add($"{section.Path}: '{text}' is not Auto, Required or Off.");
        return current;
    }

    private static void Unknown(IConfigurationSection section, List<string> errors, string known)
        => errors.Add($"{section.Path}: is not a setting here (known: {known}).");
}

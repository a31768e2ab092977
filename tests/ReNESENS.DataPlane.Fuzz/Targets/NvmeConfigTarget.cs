using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>nvmeconfig</c>: a JSON configuration file as the sample NVMe/TCP target reads it (the input is the
/// file). The JSON parser may refuse it (<see cref="FormatException"/>, <see cref="InvalidDataException"/>, or
/// <see cref="System.Text.Json.JsonException"/> for bytes that are not UTF-8); then
/// <see cref="NvmeTcpTargetConfiguration.Bind"/> must either fill the options or throw an
/// <see cref="OptionsValidationException"/> whose every failure names a <c>Target:</c> path; then the validator must
/// return its list without throwing, and options it finds valid must build a target core (RAM namespaces of at most
/// 64 MiB in all; files, block devices and transform namespaces are not opened here).
/// </summary>
public static class NvmeConfigTarget
{
    /// <summary>Total RAM the target may allocate for one input.</summary>
    private const long MaxRamBytes = 64L << 20;

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(input.ToArray())).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            return;
        }

        var options = new NvmeTcpTargetOptions();
        try
        {
            NvmeTcpTargetConfiguration.Bind(configuration.GetSection("Target"), options);
        }
        catch (OptionsValidationException e)
        {
            foreach (string failure in e.Failures)
            {
                Check(failure.StartsWith("Target:", StringComparison.Ordinal) && failure.Contains(": ", StringComparison.Ordinal), $"a failure without its path: {failure}");
            }

            Check(e.Failures.Any(), "an exception without failures");
            return;
        }

        List<string> problems = NvmeTargetOptionsValidator.Collect(options);
        foreach (string problem in problems)
        {
            Check(problem.Length > 0 && problem.Contains(':', StringComparison.Ordinal), $"a problem without its path: {problem}");
        }

        if (problems.Count > 0 || !Buildable(options))
        {
            return;
        }

        // Valid by the validator: the target must accept it as it is.
        using var core = new NvmeTargetCore(options, NullLogger.Instance);
        Check(core.Subsystems.Length == options.Subsystems.Count, "a valid subsystem went missing");
    }

    private static bool Buildable(NvmeTcpTargetOptions options)
    {
        long ram = 0;
        foreach (NvmeSubsystemOptions subsystem in options.Subsystems)
        {
            foreach (NvmeNamespaceOptions ns in subsystem.Namespaces)
            {
                if (ns.FilePath is not null || ns.Transform is not null)
                {
                    return false;
                }

                ram += Math.Max(ns.SizeBytes, ns.MaxSizeBytes);
                if (ram > MaxRamBytes)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException(what);
        }
    }
}

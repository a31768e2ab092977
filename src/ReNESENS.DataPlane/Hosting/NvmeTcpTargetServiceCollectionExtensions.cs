using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>Registers the hosted NVMe/TCP target.</summary>
public static class NvmeTcpTargetServiceCollectionExtensions
{
    /// <summary>
    /// Adds the target as a hosted service (<see cref="NvmeTcpTargetService"/>, also resolvable itself) and its options,
    /// validated as a whole when the host starts (every bad value named by its path). Metrics go to the meter
    /// <see cref="NvmeTcpTarget.MeterName"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Fills the options.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddNvmeTcpTarget(this IServiceCollection services, Action<NvmeTcpTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<NvmeTcpTargetOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NvmeTcpTargetOptions>, NvmeTcpTargetOptionsValidation>());
        services.TryAddSingleton<NvmeTcpTargetService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<NvmeTcpTargetService>());
        return services;
    }

    /// <summary>Adds the target with its options read from <paramref name="configuration"/> by <see cref="NvmeTcpTargetConfiguration.Bind"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The target's section (for example <c>Target</c> of a JSON file).</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddNvmeTcpTarget(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddNvmeTcpTarget(o => NvmeTcpTargetConfiguration.Bind(configuration, o));
    }
}

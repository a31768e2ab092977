using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>Registers the hosted virtual switch.</summary>
public static class VirtualSwitchServiceCollectionExtensions
{
    /// <summary>
    /// Adds the switch as a hosted service (<see cref="VirtualSwitchService"/>, also resolvable itself), its options and
    /// the <c>tap</c> and <c>vhost-user</c> port types. Metrics go to the meter <see cref="SwitchMetrics.MeterName"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Fills the options (bind configuration here).</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddVirtualSwitch(this IServiceCollection services, Action<VirtualSwitchHostOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<VirtualSwitchHostOptions>().Configure(configure);
        services.AddSwitchPortFactory<TapSwitchPortFactory>();
        services.AddSwitchPortFactory<VhostUserSwitchPortFactory>();
        services.TryAddSingleton<VirtualSwitchService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<VirtualSwitchService>());
        return services;
    }

    /// <summary>Adds a port type (for example vhost-user) the hosted switch can open.</summary>
    /// <typeparam name="TFactory">The factory.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddSwitchPortFactory<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFactory>(this IServiceCollection services)
        where TFactory : class, ISwitchPortFactory
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISwitchPortFactory, TFactory>());
        return services;
    }
}

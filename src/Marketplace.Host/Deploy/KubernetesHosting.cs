using Orleans.Hosting;

namespace Marketplace.Host.Deploy;

/// <summary>
/// Orleans' Kubernetes hosting (Microsoft.Orleans.Hosting.Kubernetes): the silo takes its address, service and cluster ids
/// from the pod (<c>POD_IP</c>, <c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>ORLEANS_SERVICE_ID</c>, <c>ORLEANS_CLUSTER_ID</c>)
/// and deletes the pods of silos that membership declared dead. Applied only with <c>Cluster:Kubernetes=true</c> and
/// inside a pod (<c>KUBERNETES_SERVICE_HOST</c> set), so the same settings still run on a developer's machine.
/// </summary>
public static class KubernetesHosting
{
    /// <summary>The setting that asks for Kubernetes hosting.</summary>
    public const string Setting = "Cluster:Kubernetes";

    /// <summary>True when <see cref="Setting"/> is on and <paramref name="kubernetesServiceHost"/> (the variable every pod has) is set.</summary>
    public static bool Applies(IConfiguration configuration, string? kubernetesServiceHost)
        => configuration.GetValue<bool>(Setting) && !string.IsNullOrEmpty(kubernetesServiceHost);

    /// <summary>Uses Kubernetes hosting when <see cref="Applies"/>.</summary>
    public static ISiloBuilder AddMarketplaceKubernetes(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (Applies(configuration, Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            silo.UseKubernetesHosting();
        }

        return silo;
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>The kustomize files of the output, and the list of what the deployment must supply.</summary>
internal static class Kustomize
{
    /// <summary>The base: every file of the services and stores, their images, and the settings as a generated ConfigMap.</summary>
    public static string Base(IEnumerable<string> files, IEnumerable<string> settingKeys, IEnumerable<string> images, IConfiguration configuration) =>
        Kustomization(files) + Images(images, configuration) + Settings(settingKeys, configuration);

    public static string Kustomization(IEnumerable<string> resources)
    {
        var text = new StringBuilder("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        foreach (var resource in resources.Where(r => r != "kustomization.yaml"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  - {resource}\n");
        }

        return text.ToString();
    }

    /// <summary>Production: every API and the gateway at least <paramref name="replicas"/> pods, also at the autoscaler's low end.</summary>
    public static string Production(IReadOnlyList<string> scaled, int replicas)
    {
        var text = new StringBuilder(Kustomization(["../../base"]));
        text.Append("replicas:\n");
        foreach (var name in scaled)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - name: {name}\n    count: {replicas}\n");
        }

        text.Append("patches:\n");
        foreach (var name in scaled)
        {
            text.Append(CultureInfo.InvariantCulture, $"""
                  - target: {"{"} kind: HorizontalPodAutoscaler, name: {name} {"}"}
                    patch: |-
                      - op: replace
                        path: /spec/minReplicas
                        value: {replicas}

                """);
        }

        return text.ToString();
    }

    /// <summary>
    /// The workloads name each image by its service (<c>image: catalog</c>); here it becomes the one <c>publish-images</c>
    /// pushed, with the same <c>--Images:Registry</c> and <c>--Images:Tag</c> (<see cref="ContainerImages"/>).
    /// </summary>
    private static string Images(IEnumerable<string> names, IConfiguration configuration)
    {
        var text = new StringBuilder("images:\n");
        foreach (var name in names)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  - name: {name}\n    newName: {ContainerImages.Reference(configuration, name)}\n    newTag: {JsonSerializer.Serialize(ContainerImages.Tag(configuration))}\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// The parameters that are not secret (host names, the issuer) are the deployment's settings, given when the output is
    /// generated (<c>--Parameters:{name}=…</c>) and kept in the ConfigMap <c>parameters</c> it writes.
    /// </summary>
    private static string Settings(IEnumerable<string> keys, IConfiguration configuration)
    {
        var missing = keys.Where(key => configuration[$"Parameters:{key}"] is not { Length: > 0 }).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException("The Kubernetes output needs the deployment's settings: "
                + string.Join(' ', missing.Select(key => $"--Parameters:{key}=…")));
        }

        var text = new StringBuilder($"configMapGenerator:\n  - name: {ValueResolver.Parameters}\n    literals:\n");
        foreach (var key in keys)
        {
            text.Append(CultureInfo.InvariantCulture, $"      - {JsonSerializer.Serialize($"{key}={configuration[$"Parameters:{key}"]}")}\n");
        }

        return text.ToString();
    }

    public static string Parameters(ValueResolver resolver, IConfiguration configuration)
    {
        var text = new StringBuilder("""
            # Parameters of this deployment

            The manifests refer to the secrets below and hold none of them. Create the Secret in the namespace before
            applying an overlay (e.g. `kubectl create secret generic parameters --from-env-file=secrets.env`, one
            `key=value` per line), or let your secret store create it. Also expected: the ConfigMap `telemetry` with
            `otlp-endpoint`, the OTLP address of the cluster's OpenTelemetry collector, and a TLS certificate
            `<front door>-tls` for each ingress.

            ## Secret `parameters`


            """);
        foreach (var key in resolver.SecretKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}`\n");
        }

        text.Append("\n## Login Secrets (type `kubernetes.io/basic-auth`: `username` = the role, `password`)\n\n");
        foreach (var secret in resolver.LoginSecrets)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{secret}`\n");
        }

        text.Append("\n## Settings (ConfigMap `parameters`, generated from the values given to the generator)\n\n");
        foreach (var key in resolver.SettingKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}` = `{configuration[$"Parameters:{key}"]}`\n");
        }

        return text.ToString();
    }
}

using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Publishing;
using k8s.Models;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>
/// Turns what Aspire's manifest says of a resource — its environment, arguments and connection strings, with
/// placeholders such as <c>{catalogdb-catalog.connectionString}</c>, <c>{identity.bindings.http.url}</c> or
/// <c>{postgres-catalog-password.value}</c> — into what a pod sees: in-cluster addresses, and parameters as references to
/// the <see cref="Parameters"/> Secret (secret ones) or ConfigMap (the others), never their values. A parameter is an
/// environment variable of its own, and the values that contain it refer to it as <c>$(NAME)</c>.
/// </summary>
internal sealed partial class ValueResolver(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext,
    Func<IResource, string, Address?> addressOf, Func<ParameterResource, SecretKey?> secretOf)
{
    /// <summary>The name of the Secret and of the ConfigMap that hold the parameters (keys: the parameter names).</summary>
    public const string Parameters = "parameters";

    private const string UriEncodedSuffix = "-uri-encoded";

    /// <summary>The environment of a resource as the manifest has it (before resolution), and its arguments.</summary>
    public async Task<(IReadOnlyList<(string Name, string Value)> Environment, IReadOnlyList<string> Arguments)> ReadAsync(IResource resource)
    {
        using var json = await WriteAsync(async context =>
        {
            await context.WriteEnvironmentVariablesAsync(resource);
            await context.WriteCommandLineArgumentsAsync(resource);
        });
        var root = json.RootElement;
        IReadOnlyList<(string, string)> environment = root.TryGetProperty("env", out var env)
            ? [.. env.EnumerateObject().Select(p => (p.Name, p.Value.GetString() ?? ""))]
            : [];
        IReadOnlyList<string> arguments = root.TryGetProperty("args", out var args) ? [.. args.EnumerateArray().Select(a => a.GetString() ?? "")] : [];
        return (environment, arguments);
    }

    /// <summary>
    /// The container environment for <paramref name="variables"/>: parameter references first (so that <c>$(NAME)</c>
    /// resolves), then the variables; one that names something not deployed (an HTTPS endpoint: inside the cluster the
    /// services speak HTTP) is left out.
    /// </summary>
    /// <param name="variables">The environment as the manifest has it.</param>
    /// <param name="reached">Receives the names of the resources whose endpoints the environment points at.</param>
    public async Task<List<V1EnvVar>> EnvironmentAsync(IEnumerable<(string Name, string Value)> variables, ISet<string>? reached = null)
    {
        var resolution = new Resolution(reached ?? new HashSet<string>());
        var resolved = new List<V1EnvVar>();
        foreach (var (name, value) in variables)
        {
            if (await ResolveAsync(value, resolution) is { } text)
            {
                resolved.Add(new V1EnvVar { Name = name, Value = text });
            }
        }

        return [.. resolution.Parameters.Select(p => Reference(p.Key, p.Value)), .. resolved];
    }

    /// <summary>The keys of the Secret <see cref="Parameters"/> that a resolved value referred to.</summary>
    public SortedSet<string> SecretKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>The other Secrets referred to (a login's: <c>username</c> and <c>password</c>).</summary>
    public SortedSet<string> LoginSecrets { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> SettingKeys { get; } = new(StringComparer.Ordinal);

    public static string VariableOf(string parameter) => "PARAMETER_" + NotAlphanumeric().Replace(parameter, "_").ToUpperInvariant();

    private V1EnvVar Reference(string variable, ParameterResource parameter)
    {
        if (secretOf(parameter) is { } login)
        {
            LoginSecrets.Add(login.Secret);
            return new V1EnvVar { Name = variable, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = login.Secret, Key = login.Key } } };
        }

        if (parameter.Secret)
        {
            SecretKeys.Add(parameter.Name);
            return new V1EnvVar { Name = variable, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = Parameters, Key = parameter.Name } } };
        }

        SettingKeys.Add(parameter.Name);
        return new V1EnvVar { Name = variable, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = Parameters, Key = parameter.Name } } };
    }

    private async Task<string?> ResolveAsync(string expression, Resolution resolution)
    {
        var text = new StringBuilder();
        var last = 0;
        foreach (Match placeholder in Placeholder().Matches(expression))
        {
            text.Append(expression, last, placeholder.Index - last);
            last = placeholder.Index + placeholder.Length;
            var path = placeholder.Groups[1].Value.Split('.');
            var value = await ResolvePlaceholderAsync(path, resolution);
            if (value is null)
            {
                return null;
            }

            text.Append(value);
        }

        text.Append(expression, last, expression.Length - last);
        return DistinctHosts(text.ToString());
    }

    private async Task<string?> ResolvePlaceholderAsync(string[] path, Resolution resolution)
    {
        var name = path[0];
        switch (path[1..])
        {
            case ["value"]:
                // A parameter; or its URI-encoded form, which a pod cannot compute: the operator supplies URI-safe values
                // (generated ones are).
                var parameter = Find(name) as ParameterResource
                    ?? (name.EndsWith(UriEncodedSuffix, StringComparison.Ordinal) ? Find(name[..^UriEncodedSuffix.Length]) as ParameterResource : null)
                    ?? throw Unsupported(path);
                var variable = VariableOf(parameter.Name);
                resolution.Parameters[variable] = parameter;
                return $"$({variable})";
            case ["connectionString"]:
                using (var json = await WriteAsync(context =>
                {
                    context.WriteConnectionString(Find(name) ?? throw Unsupported(path));
                    return Task.CompletedTask;
                }))
                {
                    return await ResolveAsync(json.RootElement.GetProperty("connectionString").GetString() ?? "", resolution);
                }

            case ["bindings", var endpoint, var property]:
                var address = addressOf(Find(name) ?? throw Unsupported(path), endpoint);
                if (address is not null)
                {
                    resolution.Reached.Add(name);
                }

                return address is null ? null : property switch
                {
                    "url" => $"{address.Scheme}://{address.Host}:{address.Port}",
                    "host" => address.Host,
                    "port" or "targetPort" => address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "scheme" => address.Scheme,
                    _ => throw Unsupported(path),
                };
            default:
                throw Unsupported(path);
        }
    }

    private IResource? Find(string name) => model.Resources.SingleOrDefault(r => r.Name == name);

    private static InvalidOperationException Unsupported(string[] path) =>
        new($"The Kubernetes output cannot express '{{{string.Join('.', path)}}}'.");

    private async Task<JsonDocument> WriteAsync(Func<ManifestPublishingContext, Task> write)
    {
        using var stream = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(stream))
        {
            var context = new ManifestPublishingContext(executionContext, Path.Combine(Path.GetTempPath(), "aspire-manifest.json"), writer);
            writer.WriteStartObject();
            await write(context);
            writer.WriteEndObject();
        }

        return JsonDocument.Parse(stream.ToArray());
    }

    /// <summary>Replicas of one server share one address in the cluster: a host list names it once.</summary>
    private static string DistinctHosts(string value) => HostList().Replace(value, match =>
        $"Host={string.Join(',', match.Groups[1].Value.Split(',').Distinct(StringComparer.Ordinal))}");

    [GeneratedRegex(@"\{([A-Za-z0-9_.-]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("[^A-Za-z0-9]")]
    private static partial Regex NotAlphanumeric();

    [GeneratedRegex("Host=([^;]+)")]
    private static partial Regex HostList();
}

/// <summary>What resolving one environment collects: the parameters it refers to, by variable, and the resources it reaches.</summary>
internal sealed record Resolution(ISet<string> Reached)
{
    public SortedDictionary<string, ParameterResource> Parameters { get; } = new(StringComparer.Ordinal);
}

/// <summary>A key of a Secret of its own (not <see cref="ValueResolver.Parameters"/>).</summary>
internal sealed record SecretKey(string Secret, string Key);

/// <summary>Where a resource's endpoint is reached inside the cluster.</summary>
internal sealed record Address(string Scheme, string Host, int Port);

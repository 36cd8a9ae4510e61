using System.Reflection;
using System.Text.Json.Nodes;

namespace Platform.AppHost.Tests;

/// <summary>Publishes the AppHost's manifest once (the same command azd runs) for the tests to read.</summary>
public sealed class PublishedManifest : IAsyncLifetime
{
    // The build configuration of these tests (and so of the AppHost they reference). Read from the assembly, not
    // with a preprocessor condition on DEBUG: the template engine would evaluate that one itself.
    private static readonly string Configuration =
        typeof(PublishedManifest).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"platform-manifest-{Guid.NewGuid():N}.json");

    public JsonObject Resources { get; private set; } = [];

    public string Text { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        // Two read replicas whatever the solution's default, as in the other tests.
        Text = await PublishAsync(_path, "--Infrastructure:PostgresReadReplicas=2", "--Orders:Shards=2");
        Resources = JsonNode.Parse(Text)!["resources"]!.AsObject();
    }

    /// <summary>Publishes the manifest to <paramref name="path"/> with these AppHost settings; returns its text.</summary>
    public static async Task<string> PublishAsync(string path, params string[] settings)
    {
        var project = Projects.Platform_AppHost.ProjectPath;
        var (exitCode, output) = await Commands.RunAsync("dotnet",
            ["run", "--project", project, "--no-build", "-c", Configuration, "--no-launch-profile", "--",
             "--publisher", "manifest", "--output-path", path, .. settings]);
        Assert.True(exitCode == 0, $"manifest publishing failed: {output}");
        return await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        File.Delete(_path);
        return ValueTask.CompletedTask;
    }
}

public sealed class ManifestTests(PublishedManifest manifest) : IClassFixture<PublishedManifest>
{
    // annotated.string is a value too: Aspire's RabbitMQ integration derives the URI-encoded password from its parameter.
    private static readonly string[] DeployableTypes =
        ["container.v0", "container.v1", "project.v0", "project.v1", "parameter.v0", "value.v0", "annotated.string"];

    [Fact]
    public void The_manifest_has_only_resources_azd_can_deploy()
    {
        Assert.NotEmpty(manifest.Resources);
        Assert.All(manifest.Resources, resource => Assert.Contains((string)resource.Value!["type"]!, DeployableTypes));
        Assert.DoesNotContain("executable.v0", manifest.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_manifest_has_the_primary_its_replicas_redis_and_rabbitmq_as_containers()
    {
        foreach (var name in new[] { "postgres", "postgres-replica1", "postgres-replica2", "redis", "eventbus" })
        {
            Assert.True(manifest.Resources.ContainsKey(name), name);
            Assert.StartsWith("container.", (string)manifest.Resources[name]!["type"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Only_the_gateway_and_the_web_app_are_reachable_from_outside()
    {
        var external = manifest.Resources
            .Where(r => r.Value!["bindings"] is JsonObject bindings && bindings.Any(b => (bool?)b.Value!["external"] == true))
            .Select(r => r.Key).Order(StringComparer.Ordinal).ToArray();

        string[] expected = ["gateway",
//#if (web)
            "web",
//#endif
        ];
        Assert.Equal(expected, external);
    }

    [Fact]
    public void Each_database_has_a_primary_and_a_readonly_connection_string()
    {
        // The second orders shard on a cluster of its own, with as many replicas.
        foreach (var (database, cluster) in new[] { ("identitydb", "postgres"), ("catalogdb", "postgres"), ("ordersdb", "postgres"), ("ordersdb2", "postgres-ordersdb2") })
        {
            Assert.Contains($"{{{cluster}.", (string)manifest.Resources[database]!["connectionString"]!, StringComparison.Ordinal);
            var reads = (string)manifest.Resources[$"{database}-readonly"]!["connectionString"]!;
            Assert.Contains($"{{{cluster}-replica1.bindings.tcp.host}}", reads, StringComparison.Ordinal);
            Assert.Contains($"{{{cluster}-replica2.bindings.tcp.host}}", reads, StringComparison.Ordinal);
            Assert.Contains($"Database={database}", reads, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_no_read_replicas_every_readonly_connection_string_is_the_primary()
    {
        var path = Path.Combine(Path.GetTempPath(), $"platform-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var resources = JsonNode.Parse(await PublishedManifest.PublishAsync(path, "--Infrastructure:PostgresReadReplicas=0", "--Orders:Shards=2"))!["resources"]!.AsObject();

            Assert.DoesNotContain(resources, r => r.Key.StartsWith("postgres-replica", StringComparison.Ordinal));
            foreach (var (database, cluster) in new[] { ("identitydb", "postgres"), ("catalogdb", "postgres"), ("ordersdb", "postgres"), ("ordersdb2", "postgres-ordersdb2") })
            {
                var reads = (string)resources[$"{database}-readonly"]!["connectionString"]!;
                Assert.StartsWith($"Host={{{cluster}.bindings.tcp.host}}:{{{cluster}.bindings.tcp.port}};", reads, StringComparison.Ordinal);
                Assert.Contains($"Database={database}", reads, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Secrets_are_generated_or_asked_for_never_values()
    {
        var secrets = manifest.Resources
            .Where(r => (string)r.Value!["type"]! == "parameter.v0" && (bool?)r.Value["inputs"]?["value"]?["secret"] == true)
            .ToDictionary(r => r.Key, r => r.Value!);

        string[] expected =
        [
            "eventbus-password", "identity-data-protection-certificate", "identity-demo-password", "identity-encryption-key", "identity-signing-key",
            "identity-web-secret", "identity-workers-secret", "postgres-password", "postgres-streaming-password", "redis-password",
            // each service's database login
            "postgres-catalog-password", "postgres-identity-password", "postgres-orders-password",
            // the second orders shard's cluster: its superuser, replication and orders logins
            "postgres-ordersdb2-password", "postgres-ordersdb2-streaming-password", "postgres-ordersdb2-orders-password",
            // each service's Redis and broker user
            "redis-catalog-password", "redis-gateway-password", "redis-identity-password",
            "eventbus-catalog-password", "eventbus-orders-password",
//#if (web)
            "web-data-protection-certificate", "redis-web-password", "eventbus-web-password",
//#endif
//#if (workers)
            "postgres-inventory-password", "postgres-payments-password", "eventbus-inventory-password", "eventbus-payments-password",
//#endif
        ];
        Assert.Equal(expected.Order(), secrets.Keys.Order());
        foreach (var (name, parameter) in secrets)
        {
            Assert.Equal($"{{{name}.inputs.value}}", (string)parameter["value"]!);
            var defaultValue = parameter["inputs"]!["value"]!["default"];
            Assert.True(defaultValue is null || defaultValue["generate"] is not null, $"{name} has a default that is not generated");
            Assert.Null(defaultValue?["value"]);
        }

        // There is no generator for an RSA key or a certificate: a deployment supplies its own.
        Assert.Null(secrets["identity-signing-key"]["inputs"]!["value"]!["default"]);
        Assert.Null(secrets["identity-data-protection-certificate"]["inputs"]!["value"]!["default"]);
    }

    [Fact]
    public void Deployed_services_keep_the_runtimes_defaults()
    {
        // GC, thread pool spinning, PGO and the metrics interval are tuned for a dozen processes on one machine only.
        var projects = manifest.Resources.Where(r => ((string)r.Value!["type"]!).StartsWith("project.", StringComparison.Ordinal)).ToArray();
        var settings = projects.SelectMany(r => r.Value!["env"]?.AsObject() ?? []).Select(e => e.Key).ToArray();

        Assert.NotEmpty(projects);
        Assert.DoesNotContain(settings, name => name.StartsWith("DOTNET_", StringComparison.Ordinal)
            || name == "OTEL_METRIC_EXPORT_INTERVAL");
    }

    [Fact]
    public void Every_password_setting_refers_to_a_parameter()
    {
        var settings = manifest.Resources
            .SelectMany(r => r.Value!["env"]?.AsObject() ?? [])
            .Where(e => e.Key.Contains("PASS", StringComparison.OrdinalIgnoreCase))
            .ToArray();

        Assert.NotEmpty(settings);
        Assert.All(settings, e => Assert.Matches(@"^\{[a-z0-9-]+-password\.value\}$", (string)e.Value!));
    }

    [Theory]
    [InlineData("gateway")]
//#if (web)
    [InlineData("web")]
//#endif
    public void A_deployed_front_door_answers_only_the_host_names_the_deployment_gives_it(string frontDoor)
    {
        var parameter = manifest.Resources[$"{frontDoor}-allowed-hosts"]!;

        Assert.Equal($"{{{frontDoor}-allowed-hosts.value}}", (string)manifest.Resources[frontDoor]!["env"]!["AllowedHosts"]!);
        Assert.Equal("parameter.v0", (string)parameter["type"]!);
        Assert.Null(parameter["inputs"]!["value"]!["default"]); // no host to assume: the deployment states its own
    }

    [Fact]
    public void A_deployment_states_the_public_url_that_is_the_token_issuer()
    {
        var parameter = manifest.Resources["identity-issuer"]!;

        Assert.Equal("{identity-issuer.value}", (string)manifest.Resources["identity"]!["env"]!["Identity__Issuer"]!);
        Assert.Null(parameter["inputs"]!["value"]!["default"]); // the gateway's public URL: the deployment's to say
    }

    [Fact]
    public void Azd_deploys_the_apphost_to_container_apps()
    {
        var appHost = Path.GetFullPath(Projects.Platform_AppHost.ProjectPath); // the AppHost's folder
        var root = Path.GetDirectoryName(appHost)!;
        var azure = File.ReadAllLines(Path.Combine(root, "azure.yaml")).Select(line => line.Trim()).ToList();

        Assert.Contains("host: containerapp", azure);
        Assert.Contains("language: dotnet", azure);
        var project = azure.Single(line => line.StartsWith("project: ", StringComparison.Ordinal))["project: ".Length..];
        var projectFile = Path.GetFullPath(Path.Combine(root, project));
        Assert.True(File.Exists(projectFile), $"{project} does not exist");
        Assert.Equal(appHost, Path.GetDirectoryName(projectFile));
    }
}

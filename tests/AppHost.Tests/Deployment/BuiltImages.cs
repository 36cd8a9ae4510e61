using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s.Models;

namespace Platform.AppHost.Tests.Deployment;

/// <summary>
/// Every service's image as <c>publish-images</c> builds it (the .NET SDK, from the projects), pushed to a registry of
/// this fixture's own (Debian's docker-registry on loopback, data in a temporary folder) on stand-ins of the .NET base
/// images (eng/base-images.sh), and the Kubernetes output generated for that registry and tag.
/// </summary>
public sealed class BuiltImages : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("image-registry-");
    private Process? _registry;

    /// <summary>Why the images cannot be built here, or null.</summary>
    public static string? SkipReason => Environment.UserName == "root" ? null
        : "the image tests build base images with debootstrap and run images with podman as root: run the tests as root (CI does)";

    public string Registry { get; } = $"127.0.0.1:{Ports.Free()}";

    public string Tag { get; } = $"test-{Guid.NewGuid():N}"[..13];

    /// <summary>The rendered <c>dev</c> overlay of the Kubernetes output generated with <see cref="Registry"/> and <see cref="Tag"/>.</summary>
    public IReadOnlyList<object> Kubernetes { get; private set; } = [];

    /// <summary>What the SDK and podman need to reach a registry over plain HTTP, and where the base images are.</summary>
    public IReadOnlyDictionary<string, string> BuildEnvironment => new Dictionary<string, string>
    {
        ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = Registry,
        ["ContainerBaseImageMirror"] = Registry,
    };

    public async ValueTask InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        await File.WriteAllTextAsync(Path.Combine(_directory.FullName, "config.yml"), $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_directory.FullName}/data
            http:
              addr: {Registry}
            """);
        _registry = Process.Start(new ProcessStartInfo("docker-registry", ["serve", "config.yml"])
        {
            WorkingDirectory = _directory.FullName, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _registry.OutputDataReceived += (_, _) => { };
        _registry.ErrorDataReceived += (_, _) => { };
        _registry.BeginOutputReadLine();
        _registry.BeginErrorReadLine();

        var solution = Path.GetDirectoryName(Projects.Platform_AppHost.ProjectPath.TrimEnd('/'))!;
        var (exitCode, output) = await Commands.RunAsync("bash", [Path.Combine(solution, "eng", "base-images.sh"), Registry]);
        Assert.True(exitCode == 0, $"eng/base-images.sh failed: {output}");

        (exitCode, output) = await Commands.RunAsync("dotnet",
            ["run", "--project", Projects.Platform_AppHost.ProjectPath, "--no-build", "-c", GeneratedKubernetes.Configuration, "--no-launch-profile", "--",
             "--operation", "publish", "--step", "publish-images", $"--Images:Registry={Registry}", $"--Images:Tag={Tag}"],
            environment: BuildEnvironment);
        Assert.True(exitCode == 0, $"publish-images failed: {output}");

        var kubernetes = Path.Combine(_directory.FullName, "k8s");
        await GeneratedKubernetes.GenerateAsync(kubernetes, [.. GeneratedKubernetes.Settings, $"--Images:Registry={Registry}", $"--Images:Tag={Tag}"]);
        Kubernetes = await GeneratedKubernetes.RenderAsync(Path.Combine(kubernetes, "overlays", "dev"));
    }

    /// <summary>The repositories in the registry besides the base images.</summary>
    public async Task<IReadOnlyList<string>> RepositoriesAsync()
    {
        using var http = new HttpClient();
        using var catalog = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{Registry}/v2/_catalog")));
        return [.. catalog.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!).Where(r => !r.StartsWith("dotnet/", StringComparison.Ordinal))];
    }

    /// <summary>The configuration of an image in the registry (<c>config</c> of the OCI image configuration: User, ExposedPorts, …).</summary>
    public async Task<JsonElement> ConfigurationAsync(string repository)
    {
        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{Registry}/v2/{repository}/manifests/{Tag}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{repository}:{Tag} is not in the registry ({(int)response.StatusCode})");
        using var manifest = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var digest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString();
        using var configuration = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{Registry}/v2/{repository}/blobs/{digest}")));
        return configuration.RootElement.GetProperty("config").Clone();
    }

    /// <summary>Every container of the rendered Deployments and Jobs (init containers too), with the pod's security context.</summary>
    public IEnumerable<(string Workload, V1Container Container, V1PodSecurityContext Pod)> Containers() =>
        Kubernetes.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(Kubernetes.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)))
            .SelectMany(w => w.Spec.Containers.Concat(w.Spec.InitContainers ?? []).Select(c => (w.Item1, c, w.Spec.SecurityContext)));

    public async ValueTask DisposeAsync()
    {
        if (_registry is not null)
        {
            // The images podman pulled to run them go with the registry.
            var (_, pulled) = await Commands.RunAsync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", $"reference={Registry}/*:{Tag}"]);
            var references = pulled.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (references.Length > 0)
            {
                await Commands.RunAsync("podman", ["rmi", "--force", .. references]);
            }

            _registry.Kill(entireProcessTree: true);
            await _registry.WaitForExitAsync();
            _registry.Dispose();
        }

        _directory.Delete(recursive: true);
    }
}

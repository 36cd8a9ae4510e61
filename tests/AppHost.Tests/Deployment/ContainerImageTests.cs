using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Platform.AppHost.Tests.Identity;
//#if (workers)
using Platform.AppHost.Tests.Services;
//#endif

namespace Platform.AppHost.Tests.Deployment;

/// <summary>
/// The services' images end to end: built by the SDK from the projects, pushed to a registry, named exactly as the
/// Kubernetes output runs them, and run (podman, as the restricted pods run them: read-only, no capabilities, the image's
/// own user) against the running platform in place of a service process.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class ContainerImageTests(SharedAppFixture fixture, BuiltImages images) : IClassFixture<BuiltImages>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_workload_runs_an_image_pushed_for_it_that_is_non_root_with_the_port_its_probes_use()
    {
        Assert.SkipWhen(BuiltImages.SkipReason is not null, BuiltImages.SkipReason ?? "");
        var containers = images.Containers().ToList();
        var repositories = await images.RepositoriesAsync();

        // Each service has one image; its migration Job and the init container that waits for it run that same image.
        Assert.Equal(
            containers.Select(c => c.Container.Image).Distinct().Order(StringComparer.Ordinal),
            repositories.Select(r => $"{images.Registry}/{r}:{images.Tag}").Order(StringComparer.Ordinal));
        Assert.Contains("catalog", repositories);
        Assert.Contains(containers, c => c.Workload == "catalog-migrations" && c.Container.Image == $"{images.Registry}/catalog:{images.Tag}");

        foreach (var repository in repositories)
        {
            var configuration = await images.ConfigurationAsync(repository);
            var runs = containers.Where(c => c.Container.Image == $"{images.Registry}/{repository}:{images.Tag}").ToList();
            Assert.All(runs, c => Assert.Equal(c.Pod.RunAsUser?.ToString(System.Globalization.CultureInfo.InvariantCulture), configuration.GetProperty("User").GetString()));
            Assert.Equal("dotnet", configuration.GetProperty("Entrypoint")[0].GetString());

            // The ports its containers declare — HTTP for the probes and Service (workers serve none), metrics — are the image's.
            var served = runs.SelectMany(c => c.Container.Ports ?? []).Select(p => $"{p.ContainerPort}/tcp").Distinct().ToList();
            var exposed = configuration.TryGetProperty("ExposedPorts", out var ports) ? ports.EnumerateObject().Select(p => p.Name).ToList() : [];
            Assert.True(served.Order().SequenceEqual(exposed.Order()), $"{repository} exposes [{string.Join(", ", exposed)}], its containers serve [{string.Join(", ", served)}]");
            Assert.All(runs.Where(c => c.Container.ReadinessProbe is not null), c => Assert.Equal("http", c.Container.ReadinessProbe.HttpGet.Port.Value));
        }
    }

    [Fact]
    public async Task A_service_image_serves_its_api_read_only_without_capabilities_as_its_own_user_against_the_running_services()
    {
        Assert.SkipWhen(BuiltImages.SkipReason is not null, BuiltImages.SkipReason ?? "");
        var app = fixture.LocalApp;
        var port = Ports.Free();
        await using var container = await RunningImage.StartAsync(images, "catalog",
            (await LocalProcesses.EnvironmentsOfAsync(app, "catalog"))[0], ("ASPNETCORE_HTTP_PORTS", $"{port}"));
        Assert.Equal(1654, container.UserId());

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.ReachesAsync(() => StatusAsync(http, "/health"), status => status == HttpStatusCode.OK,
            async status => $"the catalog image did not become healthy ({status}): {await container.LogsAsync()}", TimeSpan.FromSeconds(60));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/products?pageSize=5");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        using var response = await http.SendAsync(request, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await container.LogsAsync()}");
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(5, page.RootElement.GetProperty("items").GetArrayLength());
    }
//#if (workers)

    [Fact]
    public async Task A_worker_image_consumes_its_queue_beside_the_worker_processes()
    {
        Assert.SkipWhen(BuiltImages.SkipReason is not null, BuiltImages.SkipReason ?? "");
        var app = fixture.LocalApp;
        var before = await Queues.ConsumersAsync(app, "payments");

        await using (var container = await RunningImage.StartAsync(images, "payments", (await LocalProcesses.EnvironmentsOfAsync(app, "payments"))[0]))
        {
            Assert.Equal(1654, container.UserId());
            await Eventually.ReachesAsync(() => Queues.ConsumersAsync(app, "payments"), consumers => consumers == before + 1,
                async consumers => $"the payments image did not join its queue ({consumers} consumers, {before} before): {await container.LogsAsync()}",
                TimeSpan.FromSeconds(60));
        }

        await Eventually.ReachesAsync(() => Queues.ConsumersAsync(app, "payments"), consumers => consumers == before,
            consumers => $"the stopped container still consumes ({consumers})", TimeSpan.FromSeconds(30));
    }
//#endif

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), Cancellation);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            return null;
        }
    }
}

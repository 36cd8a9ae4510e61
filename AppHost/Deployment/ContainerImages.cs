#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // the pipeline API: Aspire 13's extension point for publishing steps
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Infrastructure.Local;
using Platform.AppHost.Services;

namespace Platform.AppHost.Deployment;

/// <summary>
/// The services' container images, built by the .NET SDK from each project of the app model (no Dockerfile: repository,
/// user and port are set in the projects, eng/Containers.targets) and pushed to a registry — the images the Kubernetes
/// output runs (<see cref="Reference"/>). A publishing step (docs/images.md):
/// <c>dotnet run --project AppHost -- --operation publish --step publish-images --Images:Registry=registry.example.com [--Images:Tag=1.2.3]</c>.
/// </summary>
public static class ContainerImages
{
    public const string StepName = "publish-images";

    public static IDistributedApplicationBuilder AddContainerImages(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Pipeline.AddStep(StepName, async context =>
        {
            try
            {
                var configuration = context.Services.GetRequiredService<IConfiguration>();
                var registry = configuration["Images:Registry"] is { Length: > 0 } r ? r
                    : throw new InvalidOperationException("The images need a registry to go to: --Images:Registry=host[:port]");
                foreach (var project in Projects(context.Model))
                {
                    await PublishAsync(project, registry, Tag(configuration), context.Logger, context.CancellationToken);
                }
            }
            catch
            {
                Environment.ExitCode = 1; // Aspire logs a failed step but ends the AppHost with 0
                throw;
            }
        });
        return builder;
    }

    /// <summary>The projects that are images: each .NET project of the app model, not its migration step (which runs the service's image).</summary>
    internal static IEnumerable<ProjectResource> Projects(DistributedApplicationModel model)
    {
        var steps = model.Resources.OfType<ProjectResource>()
            .SelectMany(p => p.Annotations.OfType<ServiceResources.MigrationStepAnnotation>()).Select(a => a.Step.Resource).ToHashSet();
        return model.Resources.OfType<ProjectResource>().Where(p => !steps.Contains(p));
    }

    /// <summary>The tag of every image: <c>Images:Tag</c>, else the solution's version (the projects' default tag).</summary>
    internal static string Tag(IConfiguration configuration) => configuration["Images:Tag"] is { Length: > 0 } tag ? tag
        : typeof(ContainerImages).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>A service's image as a deployment names it: <c>[{Images:Registry}/]{resource}</c> (the project's repository).</summary>
    internal static string Reference(IConfiguration configuration, string resource) =>
        configuration["Images:Registry"] is { Length: > 0 } registry ? $"{registry}/{resource}" : resource;

    private static async Task PublishAsync(ProjectResource project, string registry, string tag, ILogger logger, CancellationToken cancellationToken)
    {
        var path = project.GetProjectMetadata().ProjectPath;
        logger.LogInformation("Building the image of {Resource} ({Project})", project.Name, Path.GetFileName(path));
        var repository = (await LocalProcess.RunAsync("dotnet",
            ["publish", path, "-c", "Release", "-t:PublishContainer", "-nologo", $"-p:ContainerRegistry={registry}",
             $"-p:ContainerImageTag={tag}", "-getProperty:ContainerRepository"], cancellationToken)).Trim();
        if (repository != project.Name)
        {
            throw new InvalidOperationException($"{path} publishes the image '{repository}' but the deployment runs '{project.Name}', its "
                + $"resource name: set <ContainerRepository>{project.Name}</ContainerRepository> in the project.");
        }

        logger.LogInformation("Pushed {Image}", $"{registry}/{repository}:{tag}");
    }
}

namespace Platform.Template.Tests;

/// <summary>
/// Packs templates/ from this checkout and installs the package into a template hive of its own
/// (<c>--debug:custom-hive</c>): the user's own <c>dotnet new</c> templates are never touched.
/// </summary>
public sealed class TemplateFixture : IAsyncLifetime
{
    /// <summary>A dotted name: namespaces, project names and Aspire's Projects.* types must all come out right.</summary>
    public const string SolutionName = "Contoso.Retail.Platform";

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("platform-template-");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public string Hive => Path.Combine(_work.FullName, "hive");

    public string Package { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var packages = Path.Combine(_work.FullName, "packages");
        (await DotNet.RunAsync(RepositoryRoot, "pack", "templates/Platform.Templates.csproj", "-c", "Release", "-o", packages, "-nologo"))
            .Succeeded("dotnet pack templates");
        Package = Directory.GetFiles(packages, "*.nupkg").Single();
        (await DotNet.RunAsync(_work.FullName, "new", "install", Package, "--debug:custom-hive", Hive))
            .Succeeded("dotnet new install");
    }

    /// <summary>Runs <c>dotnet new platform</c> with these options into a new folder; returns the folder.</summary>
    public async Task<string> CreateAsync(string folder, params string[] options)
    {
        var output = Path.Combine(_work.FullName, folder);
        (await NewAsync(["-n", SolutionName, "-o", output, .. options])).Succeeded($"dotnet new platform {string.Join(' ', options)}");
        return output;
    }

    /// <summary><c>dotnet new platform</c> with these arguments, in the fixture's hive, without update checks (no template registry here).</summary>
    public Task<DotNet.Result> NewAsync(params string[] arguments) =>
        DotNet.RunAsync(_work.FullName, ["new", "platform", .. arguments, "--debug:custom-hive", Hive, "--no-update-check"]);

    /// <summary><c>dotnet new platform-service</c> with these arguments, run in <paramref name="solution"/> as the README says.</summary>
    public Task<DotNet.Result> NewServiceAsync(string solution, params string[] arguments) =>
        DotNet.RunAsync(solution, ["new", "platform-service", .. arguments, "--debug:custom-hive", Hive, "--no-update-check"]);

    public ValueTask DisposeAsync()
    {
        _work.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "templates", "Platform.Templates.csproj")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No templates/Platform.Templates.csproj above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class TemplateCollection : ICollectionFixture<TemplateFixture>
{
    public const string Name = "template";
}

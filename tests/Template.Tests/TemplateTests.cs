using System.Text.RegularExpressions;

namespace Platform.Template.Tests;

/// <summary>
/// The template as users get it: packed, installed, instantiated with a dotted name for several option
/// combinations, each built with warnings as errors; the default one also runs its whole suite.
/// </summary>
[Collection(TemplateCollection.Name)]
public sealed partial class TemplateTests(TemplateFixture template)
{
    /// <summary>Between them and the other tests, every value of the options that only set a value in the AppHost's settings.</summary>
    public static TheoryData<string, string[]> ValueCombinations => new()
    {
        { "one-replica-one-shard-containers", ["-r", "1", "-s", "1", "-m", "containers"] },
        { "no-replicas-four-shards-local", ["--replicas", "0", "--shards", "4", "--infrastructure", "local"] },
    };

    [Fact]
    public async Task Help_lists_every_option_with_its_short_name_and_default()
    {
        var help = (await template.NewAsync("--help")).Succeeded("dotnet new platform --help").Output;

        Assert.Contains("-r, --replicas <0|1|2|3>", help, StringComparison.Ordinal);
        Assert.Contains("-s, --shards <1|2|4>", help, StringComparison.Ordinal);
        Assert.Contains("-m, --infrastructure", help, StringComparison.Ordinal);
        Assert.Contains("-w, --workers", help, StringComparison.Ordinal);
        Assert.Contains("--web", help, StringComparison.Ordinal);
        Assert.Contains("Default: 2", help, StringComparison.Ordinal);
        Assert.Contains("Default: auto", help, StringComparison.Ordinal);
        Assert.Contains("Default: true", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_count_out_of_range_is_refused()
    {
        var result = await template.NewAsync("-n", TemplateFixture.SolutionName, "-o", Path.Combine(Path.GetTempPath(), "never-created"), "--replicas", "5");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'5' is not a valid value for --replicas", result.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The solution users get, tested as a user would: its whole suite (every platform test, renamed), with the command its
    /// README gives. The repository's own full run leaves its platform tests to this one (see eng/test.sh).
    /// </summary>
    [Fact]
    public async Task The_default_solution_builds_and_passes_its_whole_suite()
    {
        var solution = await template.CreateAsync("default");
        AssertGenerated(solution, workers: true, web: true, replicas: 2, mode: "auto");

        var tests = await DotNet.RunCommandAsync(Path.Combine(solution, "eng", "test.sh"), solution, readyToRun: true);

        // What the run counted, for the repository's summary line.
        var summary = TestSummary().Match(tests.Output);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "generated-solution-tests.txt"), summary.Success ? summary.Value : "");
        tests.Succeeded("eng/test.sh in the generated solution");
        Assert.True(summary.Success, tests.Output);
        Assert.True(int.Parse(summary.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture) >= 100, summary.Value);
        Assert.Equal("0", summary.Groups["failed"].Value);
        Assert.Equal("0", summary.Groups["skipped"].Value);
    }

    [Fact]
    public async Task A_solution_without_workers_or_web_app_builds_starts_healthy_and_takes_orders()
    {
        var solution = await template.CreateAsync("no-workers-no-web-three-replicas", "-w", "false", "--web", "false", "-r", "3");
        AssertGenerated(solution, workers: false, web: false, replicas: 3, mode: "auto");
        await BuildAsync(solution);

        // Unit tests; every remaining resource healthy (no inventory, payments, paymentsdb, web); orders accepted and read back.
        await RunFastTestsAsync(solution, "*.ServiceDefaultsTests", "*.InfrastructureTests", "*.OrdersTests");
    }

    [Fact]
    public async Task A_service_added_with_platform_service_has_the_shape_builds_and_passes_its_tests()
    {
        // Also the option combination no other test builds: the web app without workers, no replicas, one shard, local only.
        var solution = await template.CreateAsync("service-added-no-workers-no-replicas-one-shard-local",
            "--workers", "false", "--replicas", "0", "--shards", "1", "--infrastructure", "local");
        AssertGenerated(solution, workers: false, web: true, replicas: 0, mode: "local", shards: 1);

        var added = (await template.NewServiceAsync(solution, "-n", "Shipping", "--solution", TemplateFixture.SolutionName))
            .Succeeded("dotnet new platform-service");

        var service = Path.Combine(solution, "services", "Shipping");
        foreach (var file in new[] { "Program.cs", "Hosting/ShippingExtensions.cs", "Data/ShippingDb.cs", $"{TemplateFixture.SolutionName}.Shipping.csproj" })
        {
            Assert.True(File.Exists(Path.Combine(service, file)), $"services/Shipping/{file} is missing.");
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(service, "Data", "Migrations"), "*_Initial.cs"));
        Assert.True(File.Exists(Path.Combine(solution, "tests", "Services.Tests", "ShippingApiTests.cs")));
        Assert.Contains($"services/Shipping/{TemplateFixture.SolutionName}.Shipping.csproj",
            File.ReadAllText(Path.Combine(solution, $"{TemplateFixture.SolutionName}.slnx")).Replace('\\', '/'), StringComparison.Ordinal);
        Assert.Contains("Shipping.csproj", File.ReadAllText(Path.Combine(solution, "AppHost", $"{TemplateFixture.SolutionName}.AppHost.csproj")), StringComparison.Ordinal);
        // The one line for the AppHost, with this solution's names; added as a user would, it must compile.
        var line = AppHostLine().Match(added.Output);
        Assert.True(line.Success, added.Output);
        Assert.StartsWith($"builder.AddService<Projects.{TemplateFixture.SolutionName.Replace('.', '_')}_Shipping>(\"shipping\")", line.Value, StringComparison.Ordinal);
        var program = Path.Combine(solution, "AppHost", "Program.cs");
        File.WriteAllText(program, File.ReadAllText(program).Replace("builder.Build().Run();", line.Value + "\n\nbuilder.Build().Run();", StringComparison.Ordinal));
        var code = string.Join("\n", Directory.GetFiles(service, "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        Assert.DoesNotContain("Sample", code, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"shippingdb\"", code, StringComparison.Ordinal);

        await BuildAsync(solution);
        await RunFastTestsAsync(solution, "*.ShippingApiTests");

        // The deployment follows the app model: the added service is a Deployment with its migration Job, its database a
        // Database of the Postgres cluster owned by its role, with no YAML written by hand.
        var deployment = Path.Combine(solution, "k8s-output");
        (await DotNet.RunAsync(solution, "run", "--project", "AppHost", "--no-build", "-c", "Release", "--no-launch-profile", "--",
                "--operation", "publish", "--step", "publish-kubernetes", "--output-path", deployment, "--Parameters:gateway-allowed-hosts=api.shop.test",
                "--Parameters:web-allowed-hosts=shop.test", "--Parameters:identity-issuer=https://api.shop.test"))
            .Succeeded("publish-kubernetes in the generated solution");
        var shipping = File.ReadAllText(Path.Combine(deployment, "base", "shipping.yaml"));
        Assert.Contains("kind: Deployment", shipping, StringComparison.Ordinal);
        Assert.Contains("wait-for-migrations", shipping, StringComparison.Ordinal);
        Assert.Contains("kind: Job", File.ReadAllText(Path.Combine(deployment, "base", "shipping-migrations.yaml")), StringComparison.Ordinal);
        var postgres = File.ReadAllText(Path.Combine(deployment, "base", "postgres.yaml"));
        Assert.Matches(@"name: shippingdb\s+owner: shipping", postgres);
        // One shard: the orders in one database of the one cluster, as before sharding.
        Assert.Matches(@"name: ordersdb\s+owner: orders", postgres);
        Assert.DoesNotContain("ordersdb2", postgres, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(deployment, "base")), f => f.Contains("ordersdb2", StringComparison.Ordinal));
        Assert.Contains("- shipping.yaml", File.ReadAllText(Path.Combine(deployment, "base", "kustomization.yaml")), StringComparison.Ordinal);
        // Its image (publish-images) is the one that Deployment runs: the project's repository is its resource name.
        Assert.Matches(@"- name: shipping\s+newName: shipping\s", File.ReadAllText(Path.Combine(deployment, "base", "kustomization.yaml")));
        var repository = (await DotNet.RunAsync(solution, "msbuild", Path.Combine(service, $"{TemplateFixture.SolutionName}.Shipping.csproj"),
            "-getProperty:ContainerRepository")).Succeeded("reading the added service's image repository");
        Assert.Equal("shipping", repository.Output.Trim());
    }

    /// <summary>
    /// Replicas, shards and infrastructure mode are values the AppHost reads when it starts: a solution generated with
    /// other values is the default solution but for those lines of <c>AppHost/appsettings.json</c>, file for file and byte
    /// for byte, so the default solution's build and suite stand for its code (building the same code again proves nothing).
    /// </summary>
    [Theory]
    [MemberData(nameof(ValueCombinations))]
    public async Task Value_options_change_only_their_lines_of_the_AppHost_settings(string folder, string[] options)
    {
        var solution = await template.CreateAsync(folder, options);
        var defaults = await template.CreateAsync(folder + "-defaults");
        var (replicas, shards, mode) = (Option(options, "--replicas", "-r")!, Option(options, "--shards", "-s")!, Option(options, "--infrastructure", "-m")!);
        AssertGenerated(solution, workers: true, web: true, int.Parse(replicas, System.Globalization.CultureInfo.InvariantCulture), mode,
            int.Parse(shards, System.Globalization.CultureInfo.InvariantCulture));

        var files = SolutionFiles(solution);
        Assert.Equal(SolutionFiles(defaults), files);
        var differing = files.Where(f => !File.ReadAllBytes(Path.Combine(solution, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(defaults, f))));
        Assert.Equal(["AppHost/appsettings.json"], differing);

        var lines = File.ReadAllLines(Path.Combine(solution, "AppHost", "appsettings.json"));
        var defaultLines = File.ReadAllLines(Path.Combine(defaults, "AppHost", "appsettings.json"));
        Assert.Equal(defaultLines.Length, lines.Length);
        var changed = lines.Zip(defaultLines).Where(pair => pair.First != pair.Second).Select(pair => pair.First.Trim().TrimEnd(','));
        string[] expected = [$"\"Mode\": \"{mode}\"", $"\"PostgresReadReplicas\": {replicas}", $"\"Shards\": {shards}"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), changed.Order(StringComparer.Ordinal));
    }

    private static List<string> SolutionFiles(string solution) =>
        [.. Directory.GetFiles(solution, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(solution, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static async Task RunFastTestsAsync(string solution, params string[] testClasses)
    {
        // As the README tells a user: the script itself, which must have come out executable.
        var tests = await DotNet.RunCommandAsync(Path.Combine(solution, "eng", "test.sh"), solution,
            [.. testClasses.SelectMany(c => new[] { "--filter-class", c })]);

        tests.Succeeded("eng/test.sh in the generated solution");
        var summary = TestSummary().Match(tests.Output);
        Assert.True(summary.Success, tests.Output);
        Assert.True(int.Parse(summary.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture) >= 3, summary.Value);
        Assert.Equal("0", summary.Groups["failed"].Value);
    }

    private static async Task BuildAsync(string solution) =>
        (await DotNet.RunAsync(solution, "build", $"{TemplateFixture.SolutionName}.slnx", "-c", "Release", "-warnaserror", "-nologo", "-v", "quiet"))
            .Succeeded($"dotnet build {Path.GetFileName(solution)}");

    /// <summary>What every generated solution must look like: renamed throughout, options applied, nothing of the template's own left.</summary>
    private static void AssertGenerated(string solution, bool workers, bool web, int replicas, string mode, int shards = 2)
    {
        var files = Directory.GetFiles(solution, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(solution, f).Replace('\\', '/'))
            .ToList();

        Assert.Contains($"{TemplateFixture.SolutionName}.slnx", files);
        Assert.Contains($"AppHost/{TemplateFixture.SolutionName}.AppHost.csproj", files);
        Assert.DoesNotContain(files, f => f.Split('/').Any(part => part.StartsWith("Platform.", StringComparison.Ordinal)));
        Assert.DoesNotContain(files, f => f.StartsWith("templates/", StringComparison.Ordinal) || f.StartsWith(".ci/", StringComparison.Ordinal)
            || f.StartsWith("tests/Template.Tests/", StringComparison.Ordinal) || f.StartsWith(".template.config/", StringComparison.Ordinal));
        Assert.Equal(workers, files.Any(f => f.StartsWith("services/Workers/", StringComparison.Ordinal)));
        Assert.Equal(web, files.Any(f => f.StartsWith("web/", StringComparison.Ordinal)));
        Assert.Equal(web, files.Any(f => f.StartsWith("tests/Web.Tests/", StringComparison.Ordinal)));

        foreach (var file in files)
        {
            var text = File.ReadAllText(Path.Combine(solution, file));
            Assert.False(TemplateDirective().IsMatch(text), $"{file} still has a template directive.");
        }

        // The package keeps no file modes: the post-action makes the scripts executable again.
        var scripts = files.Where(f => f.EndsWith(".sh", StringComparison.Ordinal) && f != "eng/prerequisites.sh").ToList();
        Assert.Contains("eng/run.sh", scripts);
        Assert.Equal(workers, scripts.Contains("eng/bench/orders.sh"));
        Assert.Equal(web, scripts.Contains("eng/bench/web.sh"));
        if (!OperatingSystem.IsWindows())
        {
            foreach (var script in scripts)
            {
                Assert.True(File.GetUnixFileMode(Path.Combine(solution, script)).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable.");
            }
        }

        // Its own CI runs the README's test command.
        Assert.Contains("eng/test.sh", File.ReadAllText(Path.Combine(solution, ".github", "workflows", "ci.yml")), StringComparison.Ordinal);

        var settings = File.ReadAllText(Path.Combine(solution, "AppHost", "appsettings.json"));
        Assert.Contains($"\"PostgresReadReplicas\": {replicas}", settings, StringComparison.Ordinal);
        Assert.Contains($"\"Shards\": {shards}", settings, StringComparison.Ordinal);
        Assert.Contains($"\"Mode\": \"{mode}\"", settings, StringComparison.Ordinal);
    }

    private static string? Option(string[] options, string longName, string shortName)
    {
        var index = Array.FindIndex(options, o => o == longName || o == shortName);
        return index < 0 ? null : options[index + 1];
    }

    // The template's directives: //#if (…) in code, <!--#if (…) --> in XML and Markdown, #if (…) in scripts. A plain
    // #if in C# is one too (the engine evaluates #if DEBUG itself), so none may be left either.
    [GeneratedRegex(@"(//|<!--)\s*#(if|else|elseif|endif)\b|^\s*#if\b", RegexOptions.Multiline)]
    private static partial Regex TemplateDirective();

    [GeneratedRegex(@"builder\.AddService<[^\n]*;")]
    private static partial Regex AppHostLine();

    [GeneratedRegex(@"Tests: (?<passed>\d+) passed, (?<failed>\d+) failed, (?<skipped>\d+) skipped")]
    private static partial Regex TestSummary();
}

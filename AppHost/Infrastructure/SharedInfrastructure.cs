using Microsoft.Extensions.Configuration;

namespace Platform.AppHost.Infrastructure;

/// <summary>
/// The shared infrastructure of the platform and how it runs: as containers, or as local processes
/// from the machine's own binaries. Services cannot tell the difference: they get the same
/// connection-string names either way.
/// </summary>
/// <remarks>
/// Configuration (appsettings, environment or command line, e.g. <c>--Infrastructure:Mode=local</c>):
/// <list type="bullet">
/// <item><c>Infrastructure:Mode</c>: <c>auto</c> (default: containers when a healthy container runtime answers, otherwise local), <c>containers</c> or <c>local</c>.</item>
/// <item><c>Infrastructure:StateDirectory</c>: where local data and generated passwords live (default <c>.state</c> next to the solution).</item>
/// <item><c>Infrastructure:PostgresReadReplicas</c>: number of streaming read replicas (default 2).</item>
/// </list>
/// Publishing (manifest / azd) always uses containers.
/// </remarks>
public sealed class SharedInfrastructure
{
    internal SharedInfrastructure(IDistributedApplicationBuilder builder)
    {
        Builder = builder;
        var section = builder.Configuration.GetSection("Infrastructure");
        Mode = ChooseMode(builder, section["Mode"]);
        StateDirectory = Path.GetFullPath(section["StateDirectory"] ?? Path.Combine("..", ".state"), builder.AppHostDirectory);
        PostgresReadReplicas = section.GetValue("PostgresReadReplicas", 2);
        if (PostgresReadReplicas is < 0 or > 8)
        {
            throw new DistributedApplicationException($"Infrastructure:PostgresReadReplicas must be between 0 and 8 (was {PostgresReadReplicas}).");
        }

        if (builder.ExecutionContext.IsRunMode)
        {
            // Owner-only, but traversable, so a server running as another account can reach its own folder inside.
            Directory.CreateDirectory(StateDirectory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }
    }

    internal IDistributedApplicationBuilder Builder { get; }

    /// <summary>How the infrastructure runs in this invocation.</summary>
    public InfrastructureMode Mode { get; }

    /// <summary>The git-ignored folder for local data and generated secrets.</summary>
    public string StateDirectory { get; }

    /// <summary>How many streaming read replicas follow the Postgres primary.</summary>
    public int PostgresReadReplicas { get; }

    /// <summary>
    /// A random key, made with the state folder, that names what lives outside it (volumes, fallback
    /// folders): a new state folder, with new passwords, never meets data made with the old ones.
    /// </summary>
    internal string StateKey => _stateKey ??= ReadOrCreateStateKey();

    private string? _stateKey;

    private string ReadOrCreateStateKey()
    {
        var path = Path.Combine(StateDirectory, "id");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5));
        File.WriteAllText(path, key);
        return key;
    }

    /// <summary>
    /// The container volume for a resource's data. In run mode it is keyed by the state folder, so
    /// that volumes and the generated passwords that open them are created (and dropped) together;
    /// publishing leaves naming to the deployment.
    /// </summary>
    internal string? DataVolumeName(string resourceName) => Builder.ExecutionContext.IsRunMode
        ? $"{Builder.Environment.ApplicationName.ToLowerInvariant()}-{StateKey}-{resourceName}-data"
        : null;

    /// <summary>
    /// A generated password parameter (letters and digits only: it goes into URIs and conninfo
    /// strings; at least one of each kind, so it passes password rules). In run mode the value is
    /// kept in the state folder; <c>Parameters:{name}</c> overrides it.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddPassword(string name)
    {
        var generate = new GenerateParameterDefault { MinLength = 24, Special = false, MinLower = 1, MinUpper = 1, MinNumeric = 1 };
        return AddSecret(name, generate.GetDefaultValue, generate);
    }

    /// <summary>
    /// A generated RSA private key (base64 PKCS#8), e.g. to sign tokens. In run mode it is kept in
    /// the state folder; a deployment must supply its own (there is no generator for keys).
    /// </summary>
    public IResourceBuilder<ParameterResource> AddRsaKey(string name) => AddSecret(name, () =>
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return Convert.ToBase64String(rsa.ExportPkcs8PrivateKey());
    }, publishDefault: null);

    /// <summary>
    /// A generated self-signed certificate with its private key (base64 PKCS#12, no password), e.g. to encrypt Data
    /// Protection keys at rest. In run mode it is kept in the state folder; a deployment must supply its own.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddCertificate(string name) => AddSecret(name, () =>
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        return Convert.ToBase64String(certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12));
    }, publishDefault: null);

    private IResourceBuilder<ParameterResource> AddSecret(string name, Func<string> generate, ParameterDefault? publishDefault)
    {
        ParameterDefault? value = Builder.ExecutionContext.IsRunMode
            ? new StateFolderSecret(Path.Combine(StateDirectory, "secrets", name), generate, publishDefault)
            : publishDefault;
        return value is null ? Builder.AddParameter(name, secret: true) : Builder.AddParameter(name, value, secret: true);
    }

    internal static DistributedApplicationException LocalModeUnsupported() =>
        new("Local infrastructure mode runs on Linux and macOS; on Windows use --Infrastructure:Mode=containers.");

    private static InfrastructureMode ChooseMode(IDistributedApplicationBuilder builder, string? configured)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return InfrastructureMode.Containers;
        }

        return configured?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => ContainerRuntime.IsHealthy(builder.Configuration) ? InfrastructureMode.Containers : InfrastructureMode.Local,
            "containers" or "container" => InfrastructureMode.Containers,
            "local" => InfrastructureMode.Local,
            _ => throw new DistributedApplicationException($"Infrastructure:Mode must be 'auto', 'containers' or 'local' (was '{configured}')."),
        };
    }
}

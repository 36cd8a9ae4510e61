using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>Adds a RabbitMQ node that runs from the machine's own binaries.</summary>
[UnsupportedOn("windows")]
public static class LocalRabbitMQBuilderExtensions
{
    /// <summary>
    /// Adds a local RabbitMQ node (with the management and Prometheus plugins) and its Erlang port mapper
    /// (<c>{name}-epmd</c>); configuration, database and cookie live in <paramref name="dataDirectory"/>.
    /// The default user is created with the password parameter on the node's first boot.
    /// </summary>
    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<ParameterResource> password, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(password);

        // Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user; the script behind it does not.
        var server = LocalBinary.Find("rabbitmq-server", "rabbitmq-server", ["/usr/lib/rabbitmq/bin/rabbitmq-server"]);
        var epmd = builder.AddPortMapper($"{name}-epmd", dataDirectory);
        var rabbit = new LocalRabbitMQResource(name, server, dataDirectory, password.Resource);
        var configFile = Path.Combine(dataDirectory, "rabbitmq.conf");
        var pluginsFile = Path.Combine(dataDirectory, "enabled_plugins");

        return builder.AddResource(rabbit)
            .WithEndpoint(name: LocalRabbitMQResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithEndpoint(name: LocalRabbitMQResource.DistributionEndpointName, scheme: "tcp", isProxied: false)
            .WithHttpEndpoint(name: LocalRabbitMQResource.ManagementEndpointName, isProxied: false)
            .WithHttpEndpoint(name: LocalRabbitMQResource.MetricsEndpointName, isProxied: false)
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env["HOME"] = dataDirectory; // the Erlang cookie; without HOME the node dies and exits 0
                env["RABBITMQ_NODENAME"] = $"{name}@localhost"; // stable, so the database is found again
                env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_NODE_PORT"] = rabbit.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                env["RABBITMQ_DIST_PORT"] = rabbit.GetEndpoint(LocalRabbitMQResource.DistributionEndpointName).Property(EndpointProperty.TargetPort);
                env["RABBITMQ_CONF_ENV_FILE"] = "/dev/null";
                env["RABBITMQ_CONFIG_FILE"] = configFile;
                env["RABBITMQ_ENABLED_PLUGINS_FILE"] = pluginsFile;
                env["RABBITMQ_MNESIA_BASE"] = Path.Combine(dataDirectory, "mnesia");
                env["RABBITMQ_LOG_BASE"] = Path.Combine(dataDirectory, "log");
                env["RABBITMQ_LOGS"] = "-";
                env["ERL_EPMD_ADDRESS"] = "127.0.0.1";
                env["ERL_EPMD_PORT"] = epmd.Resource.GetEndpoint(PortMapperEndpointName).Property(EndpointProperty.TargetPort);
                var management = rabbit.GetEndpoint(LocalRabbitMQResource.ManagementEndpointName).Property(EndpointProperty.TargetPort);
                var metrics = rabbit.GetEndpoint(LocalRabbitMQResource.MetricsEndpointName).Property(EndpointProperty.TargetPort);
                // Never start a stray epmd of its own: the one above is managed (and stopped) with the app. The
                // distribution port (Erlang clustering and the CLI tools) listens on loopback only, like every other
                // port here. Idle schedulers sleep instead of spinning (+sbwt none): on a few shared cores the
                // spinning took CPU from every other process, the broker's own boot included.
                env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = ReferenceExpression.Create(
                    $"-start_epmd false -kernel inet_dist_use_interface {{127,0,0,1}} +sbwt none +sbwtdcpu none +sbwtdio none -rabbitmq_management tcp_config [{{port,{management}}},{{ip,\"127.0.0.1\"}}] -rabbitmq_prometheus tcp_config [{{port,{metrics}}},{{ip,\"127.0.0.1\"}}]");
            })
            .OnBeforeResourceStarted(async (resource, _, ct) =>
            {
                await PrivateFile.WriteAsync(pluginsFile, $"[rabbitmq_management,{BrokerMetrics.Plugin}].\n", ct);
                await PrivateFile.WriteAsync(configFile, $"""
                    default_user = {LocalRabbitMQResource.UserName}
                    default_pass = {await resource.PasswordParameter.GetValueAsync(ct)}
                    """, ct);
            })
            .WithAmqpHealthCheck()
            .WaitFor(epmd)
            .WithIconName("Mail");
    }

    private const string PortMapperEndpointName = "tcp";

    private static IResourceBuilder<ExecutableResource> AddPortMapper(this IDistributedApplicationBuilder builder, string name, string workingDirectory)
    {
        var epmd = LocalBinary.Find("epmd", "erlang-base", ["/usr/bin/epmd"]);
        // The node's database (with the user's password hash) and cookie live here: owner only.
        Directory.CreateDirectory(workingDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var portMapper = builder.AddExecutable(name, epmd, workingDirectory)
            .WithEndpoint(name: PortMapperEndpointName, scheme: "tcp", isProxied: false)
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1");
        portMapper.WithArgs(context =>
        {
            context.Args.Add("-port");
            context.Args.Add(portMapper.GetEndpoint(PortMapperEndpointName).Property(EndpointProperty.TargetPort));
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new(healthCheckKey,
            _ => new PortMapperHealthCheck(portMapper.GetEndpoint(PortMapperEndpointName)), failureStatus: null, tags: null));
        return portMapper.WithHealthCheck(healthCheckKey).WithIconName("PlugConnected");
    }

    private static IResourceBuilder<LocalRabbitMQResource> WithAmqpHealthCheck(this IResourceBuilder<LocalRabbitMQResource> builder)
    {
        var probe = new ProbeConnection(builder.Resource, $"{builder.Resource.Name}-health");
        var healthCheckKey = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddRabbitMQ(_ => probe.GetAsync(CancellationToken.None), name: healthCheckKey);
        return builder.WithHealthCheck(healthCheckKey);
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Platform.Data;

/// <summary>
/// What every service process sets on its Postgres connections:
/// <list type="bullet">
/// <item>a small pool (configuration <c>Database:MaxPoolSize</c>, default <see cref="DefaultMaxPoolSize"/> per data
/// source). Npgsql's default of 100 lets a burst of requests open a backend each: with a few services, two instances
/// each and a replica pool beside every primary pool, that is more than the server's <c>max_connections</c>, and every
/// backend costs memory and context switches while only a few per core do work. With a small pool the surplus
/// requests queue in the service instead (for the pool's <c>Timeout</c>, then a 503);</item>
/// <item>an application name that says which pool of which process a backend serves
/// (<c>pg_stat_activity.application_name</c>): the service, the connection's name, the process id and host;</item>
/// <item>commands traced only as part of a request or a message (a span with a parent): background loops — the
/// primary position sampler, the outbox relay's polls — would otherwise make a trace of their own several times a
/// second in every process, for the dashboard to store and for nobody to read.</item>
/// </list>
/// </summary>
public static class ConnectionSettings
{
    public const string MaxPoolSizeKey = "Database:MaxPoolSize";
    public const int DefaultMaxPoolSize = 10;

    public static void Apply(NpgsqlDataSourceBuilder source, IHostApplicationBuilder builder, string connectionName)
    {
        Apply(source.ConnectionStringBuilder, builder, connectionName);
        source.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => Activity.Current is not null)
            .ConfigureBatchFilter(_ => Activity.Current is not null));
    }

    /// <summary>The pool limit and application name, where no data source builder is exposed.</summary>
    public static void Apply(NpgsqlConnectionStringBuilder connection, IHostApplicationBuilder builder, string connectionName)
    {
        connection.MaxPoolSize = builder.Configuration.GetValue(MaxPoolSizeKey, DefaultMaxPoolSize);
        connection.ApplicationName ??= $"{builder.Environment.ApplicationName} {connectionName} {Environment.ProcessId}@{Environment.MachineName}";
    }

    /// <inheritdoc cref="Apply(NpgsqlConnectionStringBuilder, IHostApplicationBuilder, string)"/>
    public static string Apply(string connectionString, IHostApplicationBuilder builder, string connectionName)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        Apply(connection, builder, connectionName);
        return connection.ConnectionString;
    }
}

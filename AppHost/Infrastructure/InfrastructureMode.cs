namespace Platform.AppHost.Infrastructure;

/// <summary>How the shared infrastructure (Postgres, Redis, RabbitMQ) runs.</summary>
public enum InfrastructureMode
{
    /// <summary>Stock container images through the container runtime (always used when publishing).</summary>
    Containers,

    /// <summary>The machine's own binaries, run as local processes by the orchestrator.</summary>
    Local,
}

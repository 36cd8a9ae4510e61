namespace Platform.AppHost.Services;

public static class AllowedHosts
{
    /// <summary>
    /// A front door (the gateway, the web app) answers only requests for its own host names (ASP.NET Core's host
    /// filtering, <c>AllowedHosts</c>): another Host header gets a 400, so a forged host never makes it into a link or a
    /// redirect, nor — as <c>X-Forwarded-Host</c> — to the services behind the gateway. In run mode those are the names of
    /// the loopback interface, where the platform listens (unless <c>Parameters:{name}-allowed-hosts</c> says otherwise);
    /// a deployment states its public host names in the parameter <c>{name}-allowed-hosts</c> (separated by <c>;</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAllowedHosts(this IResourceBuilder<ProjectResource> frontDoor)
    {
        var builder = frontDoor.ApplicationBuilder;
        var parameter = ParameterOf(frontDoor.Resource.Name);
        return builder.ExecutionContext.IsRunMode
            ? frontDoor.WithEnvironment("AllowedHosts", builder.Configuration[$"Parameters:{parameter}"] ?? "localhost;127.0.0.1;[::1]")
            : frontDoor.WithEnvironment("AllowedHosts", builder.AddParameter(parameter));
    }

    /// <summary>The parameter that holds a front door's host names (separated by <c>;</c>).</summary>
    public static string ParameterOf(string frontDoor) => $"{frontDoor}-allowed-hosts";
}

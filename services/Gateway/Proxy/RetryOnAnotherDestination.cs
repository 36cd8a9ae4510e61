using Yarp.ReverseProxy.Forwarder;

namespace Platform.Gateway.Proxy;

/// <summary>
/// YARP does not retry. An idempotent request (GET, HEAD, OPTIONS) whose forwarding failed before any response
/// reached the client — the instance was stopping, crashed, or refused the connection — is sent once more, to another
/// instance. Passive health checks have counted the failure by then, so the next requests avoid that instance too.
/// </summary>
public sealed class RetryOnAnotherDestination(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        await next(context);

        if (!IsIdempotent(context.Request.Method) || context.Response.HasStarted ||
            context.Features.Get<IForwarderErrorFeature>() is not { } error || !IsUpstreamFailure(error.Error))
        {
            return;
        }

        var others = candidates.Where(d => d != proxy.ProxiedDestination).ToList();
        if (others.Count == 0)
        {
            return;
        }

        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.Clear();
        proxy.AvailableDestinations = others;
        proxy.ProxiedDestination = null;
        ProxyMetrics.MarkRetried(context);
        await next(context);
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    // Failures of the instance, not of the client (a client that hung up is not retried).
    private static bool IsUpstreamFailure(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut
        or ForwarderError.ResponseHeaders or ForwarderError.NoAvailableDestinations;
}

using System.Net;
using System.Text.Json;
using Platform.Web.Hosting;

namespace Platform.Web.Api;

/// <summary>
/// Every API call of the web app goes through here, to the gateway, with the caller's token. Failures come back as an
/// <see cref="ApiProblem"/> with a message for the page: a service down, a rate limit, a validation error or an ended
/// session never throw into a circuit.
/// </summary>
public sealed partial class GatewayApi(HttpClient http, UserTokens tokens, ILogger<GatewayApi> logger)
{
    public const string ConsistencyHeader = "Consistency-Token";

    public Task<ApiResult<T>> GetAsync<T>(string path, string? consistencyToken, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Get, path, null, request => AddConsistency(request, consistencyToken), ct);

    public Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct) =>
        SendAsync<T>(method, path, body, null, ct);

    public async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, Action<HttpRequestMessage>? prepare, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new("Bearer", await tokens.GetAccessTokenAsync(ct));
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, body.GetType());
            }

            prepare?.Invoke(request);
            using var response = await http.SendAsync(request, ct);
            var etag = response.Headers.ETag?.ToString();
            var consistency = response.Headers.TryGetValues(ConsistencyHeader, out var values) ? values.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode)
            {
                var value = response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0
                    ? default : await response.Content.ReadFromJsonAsync<T>(ct);
                return new ApiResult<T>(value, null, etag, consistency);
            }

            return new ApiResult<T>(default, await ProblemAsync(response, ct), etag);
        }
        catch (SessionEndedException)
        {
            return Failed<T>(new ApiProblem(401, "Your session has ended.", "Please sign in again."));
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, path, e.Message);
            return Failed<T>(new ApiProblem(503, "The shop cannot be reached right now.", "Please try again in a moment."));
        }
        catch (Polly.ExecutionRejectedException e)
        {
            // the resilience pipeline gave up: timeout, or the circuit to the gateway is open after repeated failures
            LogUnreachable(logger, path, e.Message);
            return Failed<T>(new ApiProblem(503, "The shop cannot be reached right now.", "Please try again in a moment."));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed<T>(new ApiProblem(504, "The shop is taking too long to answer.", "Please try again in a moment."));
        }
        catch (JsonException e)
        {
            LogUnreadable(logger, path, e.Message);
            return Failed<T>(new ApiProblem(502, "The shop sent an answer this page cannot read.", "Please try again later."));
        }
    }

    private static ApiResult<T> Failed<T>(ApiProblem problem) => new(default, problem);

    private static void AddConsistency(HttpRequestMessage request, string? consistencyToken)
    {
        if (consistencyToken is not null)
        {
            request.Headers.TryAddWithoutValidation(ConsistencyHeader, consistencyToken);
        }
    }

    private static async Task<ApiProblem> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        ProblemBody? body = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                body = await response.Content.ReadFromJsonAsync<ProblemBody>(ct);
            }
            catch (JsonException)
            {
                // a problem without a readable body: the status says enough
            }
        }

        return response.StatusCode switch
        {
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity =>
                new ApiProblem(status, body?.Title ?? "Please check what you entered.", body?.Detail, body?.Errors),
            HttpStatusCode.Unauthorized => new ApiProblem(status, "Your session has ended.", "Please sign in again."),
            HttpStatusCode.Forbidden => new ApiProblem(status, "You are not allowed to do this."),
            HttpStatusCode.NotFound => new ApiProblem(status, "Not found.", "It may have been removed."),
            HttpStatusCode.PreconditionFailed => new ApiProblem(status, "Someone else changed this in the meantime.",
                "The current values are shown; make your change again on top of them."),
            HttpStatusCode.RequestEntityTooLarge => new ApiProblem(status, "That is too much to send at once."),
            HttpStatusCode.TooManyRequests => new ApiProblem(status, "Too many requests.",
                $"Please wait {RetryAfter(response)} and try again."),
            _ when status >= 500 => new ApiProblem(status, "This part of the shop is not available right now.",
                "Please try again in a moment."),
            _ => new ApiProblem(status, body?.Title ?? "Something went wrong.", body?.Detail),
        };
    }

    private static string RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? $"{Math.Max(1, (int)Math.Ceiling(delta.TotalSeconds))} seconds" : "a moment";

    private sealed record ProblemBody(string? Title, string? Detail, Dictionary<string, string[]>? Errors);

    [LoggerMessage(LogLevel.Warning, "Gateway unreachable for {Path}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Warning, "Unreadable answer for {Path}: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using Platform.Data;

namespace Platform.AppHost.Tests.Services;

/// <summary>A caller of one platform service (catalog, orders) with one access token.</summary>
internal sealed class ServiceClient(DistributedApplication app, string service, string? accessToken) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = app.GetEndpoint(service, "http"), Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public Task<HttpResponseMessage> GetAsync(string path, string? consistencyToken = null, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (consistencyToken is not null)
        {
            request.Headers.Add(ConsistencyToken.HeaderName, consistencyToken);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(ifNoneMatch));
        }

        return SendAsync(request);
    }

    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, object body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return SendAsync(request);
    }

    public async Task<T> GetJsonAsync<T>(string path, string? consistencyToken = null)
    {
        using var response = await GetAsync(path, consistencyToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<T>(Cancellation))!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            if (accessToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            }

            return await _http.SendAsync(request, Cancellation);
        }
    }

    public void Dispose() => _http.Dispose();
}

internal static class ResponseExtensions
{
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    public static string ConsistencyToken(this HttpResponseMessage response) =>
        response.Header(Platform.Data.ConsistencyToken.HeaderName) ?? throw new InvalidOperationException("The write returned no consistency token.");
}

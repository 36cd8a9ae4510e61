using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Services.Tests;

/// <summary>
/// Each API's OpenAPI document against the endpoints its Program really maps: an endpoint added without documentation
/// (or hidden from it) fails here. What is deliberately not in a document is listed below, with the reason.
/// </summary>
public sealed partial class ApiDocumentationTests(ServiceHosts hosts) : IClassFixture<ServiceHosts>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> Apis => ["catalog", "orders", "identity"];

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Every_endpoint_a_service_maps_is_in_its_OpenAPI_document(string api)
    {
        var host = hosts[api];
        using var document = await DocumentAsync(host);

        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !IsOutsideTheApi(e))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {PathOf(e)}"))
            .Order().ToList();
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order().ToList();

        Assert.NotEmpty(mapped);
        Assert.Equal(mapped, documented);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Every_operation_names_its_security_and_problem_responses(string api)
    {
        var host = hosts[api];
        using var document = await DocumentAsync(host);

        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2");
        Assert.Equal("oauth2", scheme.GetProperty("type").GetString());
        var flow = scheme.GetProperty("flows").GetProperty("authorizationCode");
        Assert.EndsWith("/connect/authorize", flow.GetProperty("authorizationUrl").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/connect/token", flow.GetProperty("tokenUrl").GetString(), StringComparison.Ordinal);

        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var name = $"{operation.Name} {path.Name}";
                var responses = operation.Value.GetProperty("responses");
                Assert.True(responses.TryGetProperty("429", out _), $"{name}: no 429");
                if (operation.Value.TryGetProperty("security", out var security))
                {
                    Assert.True(responses.TryGetProperty("401", out _), $"{name}: secured without a 401");
                    Assert.True(responses.TryGetProperty("403", out _), $"{name}: secured without a 403");
                    if (api != "identity")
                    {
                        Assert.NotEmpty(security[0].GetProperty("oauth2").EnumerateArray());
                    }
                }
                else
                {
                    Assert.Equal("post /users", name); // registration is the one open operation
                }
            }
        }
    }

    [Fact]
    public async Task Scopes_of_the_catalog_are_described_per_operation()
    {
        var host = hosts["catalog"];
        using var document = await DocumentAsync(host);

        var paths = document.RootElement.GetProperty("paths");
        Assert.Equal(["catalog"], ScopesOf(paths.GetProperty("/products").GetProperty("get")));
        Assert.Equal(["catalog.admin"], ScopesOf(paths.GetProperty("/products").GetProperty("post")));
        Assert.Equal(["catalog", "catalog.admin"],
            document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2")
                .GetProperty("flows").GetProperty("authorizationCode").GetProperty("scopes").EnumerateObject().Select(s => s.Name).Order());
    }

    private static string[] ScopesOf(JsonElement operation) =>
        [.. operation.GetProperty("security")[0].GetProperty("oauth2").EnumerateArray().Select(s => s.GetString()!)];

    private static async Task<JsonDocument> DocumentAsync(RunningService host)
    {
        using var client = host.CreateClient();
        return (await client.GetFromJsonAsync<JsonDocument>("/openapi/v1.json", Cancellation))!;
    }

    /// <summary>
    /// Endpoints that are not part of an API: probes, the document itself, the OpenID Connect protocol endpoints (which
    /// the provider's discovery document describes) and the server-rendered sign-in pages.
    /// </summary>
    private static bool IsOutsideTheApi(RouteEndpoint endpoint)
    {
        var path = PathOf(endpoint);
        return path is "/health" or "/alive" || path.StartsWith("/openapi/", StringComparison.Ordinal) ||
               path.StartsWith("/connect/", StringComparison.Ordinal) ||
               endpoint.Metadata.Any(m => m.GetType().Name == "PageActionDescriptor" || m.GetType().Name == "CompiledPageActionDescriptor");
    }

    /// <summary><c>/products/{id:int}</c> → <c>/products/{id}</c>, <c>/products/</c> → <c>/products</c>, as OpenAPI writes paths.</summary>
    private static string PathOf(RouteEndpoint endpoint)
    {
        var path = RouteParameter().Replace("/" + endpoint.RoutePattern.RawText!.TrimStart('/'), "{$1}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    [GeneratedRegex(@"\{\*{0,2}([^}:=?]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

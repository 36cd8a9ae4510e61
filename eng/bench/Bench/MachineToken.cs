using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Bench;

internal static class MachineToken
{
    /// <summary>A machine token (client credentials of the <c>workers</c> client) with the catalog and orders scopes.</summary>
    public static async Task<string> GetAsync(DistributedApplication app)
    {
        var secret = await app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == "identity-workers-secret").GetValueAsync(default);
        using var http = new HttpClient { BaseAddress = app.GetEndpoint("identity", "http") };
        using var response = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "workers",
            ["client_secret"] = secret!,
            ["scope"] = "catalog orders",
        }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }
}

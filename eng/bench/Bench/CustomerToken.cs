using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;

namespace Platform.Bench;

internal static class CustomerToken
{
    /// <summary>The demo customer's access token for the catalog and orders, got the way the web app gets it (only customers place orders).</summary>
    public static async Task<string> GetAsync(DistributedApplication app)
    {
        var parameters = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().ToList();
        async Task<string> SecretAsync(string name) => (await parameters.Single(p => p.Name == name).GetValueAsync(default))!;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = app.GetEndpoint("identity", "http"),
        };
        var tokens = await CodeFlowSignIn.SignInAsync(browser, await SecretAsync("identity-web-secret"), new Uri("http://localhost:5200/signin-oidc"),
            "customer@platform.test", await SecretAsync("identity-demo-password"), "catalog orders", default);
        return tokens.AccessToken;
    }
}

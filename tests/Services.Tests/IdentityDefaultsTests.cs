using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Services.Tests;

/// <summary>The identity service is closed by default, like the other APIs, and its sign-in pages stay open.</summary>
public sealed class IdentityDefaultsTests(ServiceHosts hosts) : IClassFixture<ServiceHosts>
{
    [Fact]
    public async Task An_endpoint_that_says_nothing_needs_a_token()
    {
        var fallback = await hosts["identity"].Services.GetRequiredService<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync();

        Assert.NotNull(fallback);
        Assert.Contains(fallback.Requirements, requirement => requirement is DenyAnonymousAuthorizationRequirement);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/account/login")]
    [InlineData("/account/register")]
    public async Task The_pages_a_signed_out_user_needs_stay_open(string path)
    {
        using var client = hosts["identity"].CreateClient();

        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

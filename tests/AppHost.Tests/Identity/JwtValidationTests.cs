using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;

namespace Platform.AppHost.Tests.Identity;

/// <summary>The JWT building block every API uses, against tokens from the real identity service and forged ones.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class JwtValidationTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_from_the_identity_service_opens_the_api()
    {
        var token = await Identity().WorkersTokenAsync("catalog", Cancellation);

        Assert.Equal(HttpStatusCode.OK, await CallAsync("/items", token.AccessToken));
    }

    [Fact]
    public async Task A_token_without_the_required_scope_is_forbidden()
    {
        var token = await Identity().WorkersTokenAsync("catalog", Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync("/admin", token.AccessToken));
    }

    [Fact]
    public async Task Role_and_admin_scope_protected_endpoints_open_for_admins_only()
    {
        var password = await Identity().SecretAsync("identity-demo-password", Cancellation);
        var admin = await Identity().LogInAsync(IdentityClient.Admin, password, "openid catalog catalog.admin", Cancellation);
        // The customer asks for the admin scope too; it is granted with the admin role only.
        var customer = await Identity().LogInAsync(IdentityClient.Customer, password, "openid catalog catalog.admin", Cancellation);

        Assert.Equal(HttpStatusCode.OK, await CallAsync("/staff", admin.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await CallAsync("/admin", admin.AccessToken));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync("/staff", customer.AccessToken));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync("/admin", customer.AccessToken));
    }

    [Fact]
    public async Task No_token_is_unauthorized()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", null));
    }

    [Fact]
    public async Task A_forged_token_that_is_right_in_every_way_opens_the_api()
    {
        // The control case: the forging below is sound, so each failure is down to its one defect.
        using var key = await SigningKeyAsync();

        var token = TestTokens.Sign(key, await IssuerAsync(), "catalog", "catalog", DateTime.UtcNow.AddMinutes(5));

        Assert.Equal(HttpStatusCode.OK, await CallAsync("/items", token));
    }

    [Fact]
    public async Task An_expired_token_is_unauthorized()
    {
        using var key = await SigningKeyAsync();

        var token = TestTokens.Sign(key, await IssuerAsync(), "catalog", "catalog", DateTime.UtcNow.AddMinutes(-5));

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", token));
    }

    [Fact]
    public async Task A_token_signed_by_another_key_is_unauthorized()
    {
        using var otherKey = RSA.Create(2048);

        var token = TestTokens.Sign(otherKey, await IssuerAsync(), "catalog", "catalog", DateTime.UtcNow.AddMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", token));
    }

    [Fact]
    public async Task An_unsigned_token_is_unauthorized()
    {
        var token = TestTokens.Unsigned(await IssuerAsync(), "catalog", "catalog");

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", token));
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_unauthorized()
    {
        using var key = await SigningKeyAsync();

        var token = TestTokens.Sign(key, "http://issuer.invalid/", "catalog", "catalog", DateTime.UtcNow.AddMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", token));
    }

    [Fact]
    public async Task A_token_for_another_audience_is_unauthorized()
    {
        var ordersToken = await Identity().WorkersTokenAsync("orders", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/items", ordersToken.AccessToken));
    }

    private IdentityClient Identity() => new(fixture.App);

    private async Task<RSA> SigningKeyAsync() =>
        TestTokens.ImportPrivateKey(await Identity().SecretAsync("identity-signing-key", Cancellation));

    private async Task<string> IssuerAsync()
    {
        using var http = Identity().Http();
        var discovery = await http.GetFromJsonAsync<JsonObject>(new Uri("/.well-known/openid-configuration", UriKind.Relative), Cancellation);
        return (string)discovery!["issuer"]!;
    }

    private async Task<HttpStatusCode> CallAsync(string path, string? accessToken)
    {
        await using var api = await ProtectedApi.StartAsync(Identity().BaseAddress, Cancellation);
        using var client = api.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new("Bearer", accessToken);
        }

        using var response = await client.SendAsync(request, Cancellation);
        return response.StatusCode;
    }
}

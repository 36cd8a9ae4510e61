using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Identity;

[Collection(SharedAppCollection.Name)]
public sealed class IdentityTests(SharedAppFixture fixture)
{
    private const string StrongPassword = "Correct-Horse-42";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private IdentityClient Identity => new(fixture.App);

    [Fact]
    public async Task Discovery_and_signing_keys_are_published()
    {
        using var http = Identity.Http();

        var discovery = await http.GetFromJsonAsync<JsonObject>(new Uri("/.well-known/openid-configuration", UriKind.Relative), Cancellation);
        var keys = await http.GetFromJsonAsync<JsonObject>(new Uri((string)discovery!["jwks_uri"]!), Cancellation);

        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], discovery["grant_types_supported"]!.AsArray().Select(g => (string)g!).Order());
        Assert.Contains("S256", discovery["code_challenge_methods_supported"]!.AsArray().Select(m => (string)m!));
        var key = Assert.Single(keys!["keys"]!.AsArray());
        Assert.Equal("RSA", (string)key!["kty"]!);
        Assert.Null(key["d"]); // the public half only
    }

    [Fact]
    public async Task Client_credentials_give_a_token_for_the_audiences_of_the_requested_scopes()
    {
        var token = await Identity.WorkersTokenAsync("catalog orders", Cancellation);

        var jwt = new JsonWebToken(token.AccessToken);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(["catalog", "orders"], jwt.Audiences.Order());
        Assert.Equal("workers", jwt.Subject);
        Assert.Equal("catalog orders", jwt.GetClaim("scope").Value);
    }

    [Fact]
    public async Task Client_credentials_with_a_wrong_secret_are_refused()
    {
        using var response = await Identity.ClientCredentialsAsync("not-the-secret", "catalog", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (string)(await response.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["error"]!);
    }

    [Fact]
    public async Task A_client_cannot_get_a_scope_it_was_not_granted()
    {
        using var response = await Identity.ClientCredentialsAsync(await Identity.SecretAsync("identity-workers-secret", Cancellation), "catalog.admin", Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!;
        Assert.Null(error["access_token"]);
        Assert.Contains("scope", (string)error["error_description"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_authorization_code_flow_with_PKCE_signs_a_user_in_and_refresh_renews_the_tokens()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);

        var tokens = await Identity.LogInAsync(IdentityClient.Customer, password, "openid profile email roles offline_access users catalog", Cancellation);
        using var refreshed = await Identity.RefreshAsync(tokens.RefreshToken!, Cancellation);

        var access = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(["catalog", "identity"], access.Audiences.Order());
        Assert.Equal(IdentityClient.Customer, access.GetClaim("email").Value);
        Assert.Equal(["customer"], access.Claims.Where(c => c.Type == "role").Select(c => c.Value));
        Assert.Equal(IdentityClient.Customer, new JsonWebToken(tokens.IdToken!).GetClaim("email").Value);
        refreshed.EnsureSuccessStatusCode();
        var renewed = (await refreshed.Content.ReadFromJsonAsync<TokenResponse>(Cancellation))!;
        Assert.NotEqual(tokens.AccessToken, renewed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await Identity.GetAsync("/users/me", renewed.AccessToken, Cancellation)).StatusCode);
    }

    [Fact]
    public async Task Only_the_users_own_client_signs_them_out_at_once_any_other_request_asks_them_first()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);
        var someoneElses = await Identity.LogInAsync(IdentityClient.Admin, password, "openid", Cancellation);
        using var browser = Identity.Browser();
        var own = await Identity.LogInAsync(browser, IdentityClient.Customer, password, "openid", Cancellation);

        // A link on another site (no hint, or a hint for another user) leads to a question, not a sign-out.
        foreach (var query in new[] { "", $"?id_token_hint={someoneElses.IdToken}" })
        {
            using var asked = await browser.GetAsync(new Uri("/connect/logout" + query, UriKind.Relative), Cancellation);
            Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
            Assert.StartsWith("/account/logout", asked.Headers.Location!.OriginalString, StringComparison.Ordinal);
            Assert.True(await IdentityClient.IsSignedInAsync(browser, Cancellation));
        }

        // The user confirms on the page (a form with an anti-forgery token): signed out.
        var page = await browser.GetStringAsync(new Uri("/account/logout", UriKind.Relative), Cancellation);
        using var forged = await browser.PostAsync(new Uri("/account/logout", UriKind.Relative), new FormUrlEncodedContent([]), Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True(await IdentityClient.IsSignedInAsync(browser, Cancellation));
        using var confirmed = await browser.PostAsync(new Uri("/account/logout", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = IdentityClient.AntiforgeryToken(page),
        }), Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        using var finished = await browser.GetAsync(confirmed.Headers.Location!, Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, finished.StatusCode);
        Assert.False(await IdentityClient.IsSignedInAsync(browser, Cancellation));

        // The user's own client, with their identity token: signed out at once, back to the client.
        own = await Identity.LogInAsync(browser, IdentityClient.Customer, password, "openid", Cancellation);
        const string AfterLogout = "http://localhost:5200/signout-callback-oidc";
        using var direct = await browser.GetAsync(new Uri(
            $"/connect/logout?id_token_hint={own.IdToken}&post_logout_redirect_uri={Uri.EscapeDataString(AfterLogout)}&state=s1", UriKind.Relative), Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, direct.StatusCode);
        Assert.StartsWith(AfterLogout + "?state=s1", direct.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.False(await IdentityClient.IsSignedInAsync(browser, Cancellation));
    }

    [Fact]
    public async Task A_refresh_token_used_again_is_refused_and_ends_every_token_of_that_sign_in()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);
        var tokens = await Identity.LogInAsync(IdentityClient.Customer, password, "openid offline_access users", Cancellation);
        using var first = await Identity.RefreshAsync(tokens.RefreshToken!, Cancellation);
        first.EnsureSuccessStatusCode();
        var renewed = (await first.Content.ReadFromJsonAsync<TokenResponse>(Cancellation))!;
        await Task.Delay(TimeSpan.FromSeconds(1.5), Cancellation); // past the reuse leeway the test platform runs with (1 s)

        // The old token again: someone else holds a copy. Refused, and the legitimate holder's new token dies with it.
        using var reused = await Identity.RefreshAsync(tokens.RefreshToken!, Cancellation);
        using var afterTheft = await Identity.RefreshAsync(renewed.RefreshToken!, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("invalid_grant", (string?)(await reused.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["error"]);
        Assert.Equal(HttpStatusCode.BadRequest, afterTheft.StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_needs_the_current_one_and_ends_every_refresh_token()
    {
        var email = $"mover-{Guid.NewGuid():N}@example.com";
        using (var registered = await Identity.RegisterAsync(email, StrongPassword, Cancellation))
        {
            registered.EnsureSuccessStatusCode();
        }

        var tokens = await Identity.LogInAsync(email, StrongPassword, "openid offline_access users", Cancellation);
        using var wrongCurrent = await ChangePasswordAsync(tokens.AccessToken, "Not-the-password-1", "Another-Horse-43");
        using var weakNew = await ChangePasswordAsync(tokens.AccessToken, StrongPassword, "short");
        Assert.Equal(HttpStatusCode.BadRequest, wrongCurrent.StatusCode);
        Assert.NotNull((await wrongCurrent.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["errors"]!["currentPassword"]);
        Assert.Equal(HttpStatusCode.BadRequest, weakNew.StatusCode);
        Assert.NotNull((await weakNew.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["errors"]!["newPassword"]);
        using (var stillValid = await Identity.RefreshAsync(tokens.RefreshToken!, Cancellation))
        {
            stillValid.EnsureSuccessStatusCode(); // the refused attempts changed nothing
            tokens = (await stillValid.Content.ReadFromJsonAsync<TokenResponse>(Cancellation))!;
        }

        using var changed = await ChangePasswordAsync(tokens.AccessToken, StrongPassword, "Another-Horse-43");
        using var refresh = await Identity.RefreshAsync(tokens.RefreshToken!, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal("invalid_grant", (string?)(await refresh.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["error"]);
        Assert.NotNull((await Identity.LogInAsync(email, "Another-Horse-43", "openid", Cancellation)).AccessToken);
    }

    [Fact]
    public async Task Tokens_that_can_no_longer_be_used_are_pruned_once_older_than_a_refresh_tokens_lifetime()
    {
        var (old, recent) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        await using (var identityDb = await Databases.OpenAsync(fixture.App, "identitydb"))
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO "OpenIddictTokens" ("Id", "CreationDate", "ExpirationDate", "Status", "Subject", "Type")
                VALUES ($1, now() - interval '30 days', now() - interval '16 days', 'redeemed', 'pruning-test', 'refresh_token'),
                       ($2, now() - interval '1 day', now() + interval '13 days', 'redeemed', 'pruning-test', 'refresh_token')
                """, identityDb) { Parameters = { new() { Value = old }, new() { Value = recent } } };
            await insert.ExecuteNonQueryAsync(Cancellation);
        }

        // The test platform prunes every 2 s; only the token older than the refresh token lifetime (14 days) goes.
        await Eventually.ReachesAsync(
            () => Databases.ScalarAsync<long>(fixture.App, "identitydb", "SELECT count(*) FROM \"OpenIddictTokens\" WHERE \"Id\" = $1", old),
            count => count == 0, count => "the old token is still there", TimeSpan.FromSeconds(30));
        Assert.Equal(1L, await Databases.ScalarAsync<long>(fixture.App, "identitydb", "SELECT count(*) FROM \"OpenIddictTokens\" WHERE \"Id\" = $1", recent));
    }

    private async Task<HttpResponseMessage> ChangePasswordAsync(string accessToken, string current, string next)
    {
        using var http = Identity.Http();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/users/me/password")
        {
            Content = JsonContent.Create(new { currentPassword = current, newPassword = next }),
            Headers = { Authorization = new("Bearer", accessToken) },
        };
        return await http.SendAsync(request, Cancellation);
    }

    [Fact]
    public async Task A_user_reads_their_own_account()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);
        var tokens = await Identity.LogInAsync(IdentityClient.Customer, password, "openid users", Cancellation);

        using var me = await Identity.GetAsync("/users/me", tokens.AccessToken, Cancellation);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(IdentityClient.Customer, (string)(await me.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["email"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Identity.GetAsync("/users/me", null, Cancellation)).StatusCode);
    }

    [Fact]
    public async Task Only_admins_list_users()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);
        var customer = await Identity.LogInAsync(IdentityClient.Customer, password, "openid users", Cancellation);
        var admin = await Identity.LogInAsync(IdentityClient.Admin, password, "openid users", Cancellation);

        using var forCustomer = await Identity.GetAsync("/users", customer.AccessToken, Cancellation);
        using var forAdmin = await Identity.GetAsync("/users?pageSize=100", admin.AccessToken, Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, forCustomer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forAdmin.StatusCode);
        var emails = (await forAdmin.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["items"]!.AsArray().Select(u => (string)u!["email"]!);
        Assert.Contains(IdentityClient.Admin, emails);
        Assert.Contains(IdentityClient.Customer, emails);
    }

    [Fact]
    public async Task Registration_rejects_a_weak_password_with_a_problem_and_writes_nothing()
    {
        var email = $"weak-{Guid.NewGuid():N}@platform.test";

        using var weak = await Identity.RegisterAsync(email, "short", Cancellation);
        using var strong = await Identity.RegisterAsync(email, StrongPassword, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal("application/problem+json", weak.Content.Headers.ContentType?.MediaType);
        var problem = (await weak.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!;
        Assert.NotEmpty(problem["errors"]!["password"]!.AsArray());
        // Nothing was written: the same e-mail registers fine afterwards.
        Assert.Equal(HttpStatusCode.Created, strong.StatusCode);
    }

    [Fact]
    public async Task Registration_rejects_a_taken_email_with_409_and_a_bad_email_with_400()
    {
        var email = $"taken-{Guid.NewGuid():N}@platform.test";
        using var first = await Identity.RegisterAsync(email, StrongPassword, Cancellation);

        using var again = await Identity.RegisterAsync(email, StrongPassword, Cancellation);
        using var bad = await Identity.RegisterAsync("not-an-email", StrongPassword, Cancellation);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotEmpty((await bad.Content.ReadFromJsonAsync<JsonObject>(Cancellation))!["errors"]!["email"]!.AsArray());
    }

    [Fact]
    public async Task An_account_locks_after_five_wrong_passwords()
    {
        var email = $"lock-{Guid.NewGuid():N}@platform.test";
        (await Identity.RegisterAsync(email, StrongPassword, Cancellation)).EnsureSuccessStatusCode();
        using var browser = Identity.Browser();
        var loginPage = new Uri("/account/login", UriKind.Relative);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var wrong = await IdentityClient.SubmitLoginAsync(browser, loginPage, email, "Wrong-password-1", Cancellation);
            Assert.NotEqual(HttpStatusCode.Redirect, wrong.StatusCode);
        }

        using var right = await IdentityClient.SubmitLoginAsync(browser, loginPage, email, StrongPassword, Cancellation);

        Assert.Equal(HttpStatusCode.Locked, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_sessions_and_forms_from_before_the_identity_service_restarts_stay_valid()
    {
        var password = await Identity.SecretAsync("identity-demo-password", Cancellation);
        using var browser = Identity.Browser();
        var user = await Identity.LogInAsync(browser, IdentityClient.Customer, password, "openid users", Cancellation);
        var machine = await Identity.WorkersTokenAsync("catalog", Cancellation);
        using var otherBrowser = Identity.Browser();
        var form = await otherBrowser.GetStringAsync(new Uri("/account/login", UriKind.Relative), Cancellation);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();

        var restarted = await commands.ExecuteCommandAsync("identity", KnownResourceCommands.RestartCommand, Cancellation);
        Assert.True(restarted.Success, restarted.Message);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("identity", Cancellation);

        // The restarted service validates its own earlier token, and a fresh API (new key download) accepts the other.
        using var me = await Identity.GetAsync("/users/me", user.AccessToken, Cancellation);
        await using var api = await ProtectedApi.StartAsync(Identity.BaseAddress, Cancellation);
        using var client = api.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items") { Headers = { Authorization = new("Bearer", machine.AccessToken) } };
        using var items = await client.SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.OK, items.StatusCode);

        // The keys are in Redis, not in the old process: its login cookie still signs in, its form still posts.
        Assert.True(await IdentityClient.IsSignedInAsync(browser, Cancellation));
        using var login = await otherBrowser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = IdentityClient.Customer,
            ["Password"] = password,
            ["ReturnUrl"] = "/",
            ["__RequestVerificationToken"] = IdentityClient.AntiforgeryToken(form),
        }), Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }
}

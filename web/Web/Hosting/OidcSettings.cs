namespace Platform.Web.Hosting;

/// <summary>The "Oidc" configuration section: how the web app signs users in with the identity service.</summary>
public sealed class OidcSettings
{
    public const string Section = "Oidc";

    /// <summary>The issuer, which is the gateway's public URL (the AppHost sets it).</summary>
    public Uri? Authority { get; set; }

    public string ClientId { get; set; } = "web";

    /// <summary>From the AppHost's <c>identity-web-secret</c> parameter.</summary>
    public string? ClientSecret { get; set; }

    public List<string> Scopes { get; set; } = [];

    /// <summary>The scope of the app's own token, used for visitors who have not signed in (browsing the catalog).</summary>
    public string VisitorScope { get; set; } = "catalog";
}

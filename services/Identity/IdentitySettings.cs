namespace Platform.Identity;

/// <summary>The "Identity" configuration section. Secrets come from the AppHost's parameters.</summary>
public sealed class IdentitySettings
{
    public const string Section = "Identity";

    /// <summary>
    /// The issuer URL put in tokens and discovery. Fixed, so that tokens do not depend on the host
    /// name a caller used. Required outside development; in development, when unset, the request's own base URL.
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>Base64 PKCS#8 RSA private key that signs tokens; keeping it makes issued tokens outlive restarts.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Secret from which the key that encrypts authorization codes and refresh tokens is derived.</summary>
    public string? EncryptionKey { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a refresh token may be used (each use replaces it with a new one).</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a used refresh token may be presented again (two requests of one client racing); after that, its reuse
    /// means it was stolen: the request fails and every token of that sign-in is revoked.
    /// </summary>
    public TimeSpan RefreshTokenReuseLeeway { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often expired, redeemed and revoked tokens and unused authorizations are deleted.</summary>
    public TimeSpan TokenPruningInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Login and registration attempts allowed per client address and minute.</summary>
    public int LoginAttemptsPerMinute { get; set; } = 30;

    /// <summary>Development only: the password of every demo user.</summary>
    public string? DemoPassword { get; set; }

    /// <summary>Development only: accounts created by the migration step.</summary>
    public List<DemoUser> DemoUsers { get; set; } = [];

    /// <summary>Development only: client applications registered by the migration step, by client id.</summary>
    public Dictionary<string, ClientSettings> Clients { get; set; } = [];

    public sealed class DemoUser
    {
        public string Email { get; set; } = "";

        public List<string> Roles { get; set; } = [];
    }

    public sealed class ClientSettings
    {
        public string DisplayName { get; set; } = "";

        /// <summary>Makes the client confidential; a client with redirect URIs uses code + PKCE, one without uses client credentials.</summary>
        public string? Secret { get; set; }

        /// <summary>A client that cannot keep a secret (a page in the browser, such as the API reference): code + PKCE without one.</summary>
        public bool Public { get; set; }

        /// <summary>A confidential client that signs users in may also get tokens of its own (client credentials).</summary>
        public bool ClientCredentials { get; set; }

        public List<Uri> RedirectUris { get; set; } = [];

        public List<Uri> PostLogoutRedirectUris { get; set; } = [];

        public List<string> Scopes { get; set; } = [];
    }
}

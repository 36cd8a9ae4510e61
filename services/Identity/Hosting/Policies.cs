namespace Platform.Identity.Hosting;

/// <summary>Authorization and rate-limit policy names of this service.</summary>
public static class Policies
{
    /// <summary>Tokens of users in the <c>admin</c> role.</summary>
    public const string Admin = "admin";

    /// <summary>Login and registration attempts per client address.</summary>
    public const string LoginRateLimit = "login";
}

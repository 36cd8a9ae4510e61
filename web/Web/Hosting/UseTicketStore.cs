using Microsoft.AspNetCore.Authentication.Cookies;

namespace Platform.Web.Hosting;

/// <summary>Puts the ticket store into the cookie handler's options (it needs services).</summary>
internal sealed class UseTicketStore(RedisTicketStore store) : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options) => options.SessionStore = store;
}

using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Platform.Identity.Pages.Account;

/// <summary>
/// Asks before signing out when the request to end the session did not come with the user's own identity
/// token: the form's anti-forgery token proves the user clicked here, not another site.
/// </summary>
public sealed class LogoutModel(SignInManager<IdentityUser> signIn) : PageModel
{
    public void OnGet()
    {
    }

    /// <summary>Signs out, then lets the end-session endpoint finish the client's request (its post-logout redirect).</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        return LocalRedirect($"{Request.PathBase}/connect/logout{Request.QueryString}");
    }
}

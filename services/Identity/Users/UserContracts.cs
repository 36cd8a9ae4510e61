namespace Platform.Identity.Users;

/// <summary>A registration: both are checked by the endpoint (e-mail shape) and by Identity's password rules.</summary>
public sealed record RegisterRequest(string? Email, string? Password);

/// <summary>A password change: the current password proves it is the user; the new one must pass the password rules.</summary>
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record UserResponse(string Id, string Email, IReadOnlyList<string> Roles);

public sealed record UserPage(IReadOnlyList<UserResponse> Items, int Page, int PageSize, int Total);

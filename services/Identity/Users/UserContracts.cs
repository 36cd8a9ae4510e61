namespace Platform.Identity.Users;

/// <summary>A registration: both are checked by the endpoint (e-mail shape) and by Identity's password rules.</summary>
public sealed record RegisterRequest(string? Email, string? Password);

public sealed record UserResponse(string Id, string Email, IReadOnlyList<string> Roles);

public sealed record UserPage(IReadOnlyList<UserResponse> Items, int Page, int PageSize, int Total);

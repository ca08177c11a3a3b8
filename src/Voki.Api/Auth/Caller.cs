using Voki.Grains.Model;

namespace Voki.Api.Auth;

/// <summary>The authenticated staff member behind a request: tenant, user and role from the access token.</summary>
public sealed record Caller(string Tenant, Guid UserId, Role Role)
{
    public Actor Actor => new() { UserId = UserId, Role = Role };

    public bool AtLeast(Role role) => Role >= role;

    public string Key(Guid id) => TenantKey.For(Tenant, id);
}

public static class CallerExtensions
{
    public static Caller Caller(this HttpContext http)
    {
        var user = http.User;
        if (user.Claim(ClaimNames.Tenant) is { } tenant
            && Guid.TryParse(user.Claim(ClaimNames.Subject), out var id)
            && Roles.TryParse(user.Claim(ClaimNames.Role), out var role))
            return new Caller(tenant, id, role);
        throw Infrastructure.ApiException.Unauthorized();
    }
}

using System.Globalization;
using System.Security.Claims;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Auth;

/// <summary>
/// What a staff access token claims about its user, checked against the user as saved now: a token admits its holder
/// only while the user exists, is active, has the role it names and has not had its sessions ended since it was issued.
/// Every use of a staff token (REST, socket connect, channel join) asks this, so sessions follow the user at once.
/// </summary>
public readonly record struct StaffSession(string Tenant, Guid UserId, Role Role, int SessionVersion)
{
    public static StaffSession? FromClaims(ClaimsPrincipal principal)
    {
        if (principal.Claim(ClaimNames.Type) != TokenTypes.Access) return null;
        return principal.Claim(ClaimNames.Tenant) is { Length: > 0 } tenant
            && Guid.TryParse(principal.Claim(ClaimNames.Subject), out var userId)
            && Roles.TryParse(principal.Claim(ClaimNames.Role), out var role)
            ? new StaffSession(tenant, userId, role, SessionVersionOf(principal)) : null;
    }

    /// <summary>The user when the session still stands, else null.</summary>
    public async Task<User?> Current(IGrainFactory grains)
    {
        var user = await grains.GetGrain<IUserGrain>(TenantKey.For(Tenant, UserId)).Get();
        return user is { Active: true } && user.Role == Role && user.SessionVersion == SessionVersion ? user : null;
    }

    /// <summary>Tokens issued before session versions existed carry none: they stand for version 0.</summary>
    private static int SessionVersionOf(ClaimsPrincipal principal) =>
        int.TryParse(principal.Claim(ClaimNames.SessionVersion), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;
}

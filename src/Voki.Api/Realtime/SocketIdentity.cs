using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Voki.Api.Auth;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Realtime;

/// <summary>
/// Who holds a socket, from the token given at connect: a staff member (access token) or the customer of
/// one call (the widget join's <c>websocket_token</c>). The tenant always comes from the token.
/// </summary>
public sealed record SocketIdentity(string Tenant, Guid? UserId, Role? Role, string Name, Guid? CustomerCallId, StaffSession? Session = null)
{
    public bool IsCustomer => CustomerCallId is not null;
    public bool IsStaff => UserId is not null;
    public bool AtLeast(Role role) => Role is { } r && r >= role;
}

/// <summary>Checks the connect token the way the REST API checks its bearer tokens (<see cref="StaffSession"/>).</summary>
public sealed class SocketAuthenticator(IOptions<AuthOptions> options, IGrainFactory grains)
{
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<SocketIdentity?> Authenticate(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 8192) return null;
        var result = await _handler.ValidateTokenAsync(token, TokenService.ValidationParameters(options.Value));
        if (!result.IsValid) return null;
        var claims = result.ClaimsIdentity;
        var tenant = claims.FindFirst(ClaimNames.Tenant)?.Value;
        if (string.IsNullOrEmpty(tenant)) return null;
        switch (claims.FindFirst(ClaimNames.Type)?.Value)
        {
            case TokenTypes.Access:
                if (StaffSession.FromClaims(new ClaimsPrincipal(claims)) is not { } session) return null;
                var user = await session.Current(grains);
                return user is null ? null : new SocketIdentity(tenant, session.UserId, session.Role, user.Name, null, session);
            case TokenTypes.CustomerSocket:
                return Guid.TryParse(claims.FindFirst(ClaimNames.CallId)?.Value, out var callId)
                    ? new SocketIdentity(tenant, null, null, "", callId) : null;
            default:
                return null;
        }
    }
}

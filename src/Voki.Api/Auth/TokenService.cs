using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Voki.Grains.Model;

namespace Voki.Api.Auth;

/// <summary>Issues the HS256 JWTs of decisions.md "Auth".</summary>
public sealed class TokenService(IOptions<AuthOptions> options)
{
    private readonly AuthOptions _options = options.Value;
    private readonly SigningKeys _keys = new(options.Value);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string IssueAccessToken(string tenant, User user) => Issue(new Dictionary<string, object>
    {
        [ClaimNames.Subject] = user.Id.ToString(),
        [ClaimNames.Tenant] = tenant,
        [ClaimNames.Role] = user.Role.Name(),
        [ClaimNames.Type] = TokenTypes.Access,
        [ClaimNames.SessionVersion] = user.SessionVersion,
    }, _options.AccessTokenLifetime);

    public string IssueCustomerToken(string tenant, Guid callId) => Issue(new Dictionary<string, object>
    {
        [ClaimNames.Subject] = callId.ToString(),
        [ClaimNames.Tenant] = tenant,
        [ClaimNames.CallId] = callId.ToString(),
        [ClaimNames.Type] = TokenTypes.CustomerSocket,
    }, _options.CustomerTokenLifetime);

    /// <summary>Five minutes to give the second factor; it carries the session version, so a reset in between voids it.</summary>
    public string IssueMfaToken(string tenant, User user) => Issue(new Dictionary<string, object>
    {
        [ClaimNames.Subject] = user.Id.ToString(),
        [ClaimNames.Tenant] = tenant,
        [ClaimNames.Type] = TokenTypes.Mfa,
        [ClaimNames.SessionVersion] = user.SessionVersion,
    }, MfaTokenLifetime);

    public static readonly TimeSpan MfaTokenLifetime = TimeSpan.FromMinutes(5);

    /// <summary>The tenant, user and session version an MFA token names; null when it is not a valid one.</summary>
    public async Task<(string Tenant, Guid UserId, int SessionVersion)?> ValidateMfaToken(string token)
    {
        if (token.Length is 0 or > 4096) return null;
        var result = await _handler.ValidateTokenAsync(token, ValidationParameters(_options));
        if (!result.IsValid || result.ClaimsIdentity.FindFirst(ClaimNames.Type)?.Value != TokenTypes.Mfa) return null;
        var claims = result.ClaimsIdentity;
        return claims.FindFirst(ClaimNames.Tenant)?.Value is { } tenant && Guid.TryParse(claims.FindFirst(ClaimNames.Subject)?.Value, out var userId)
            && int.TryParse(claims.FindFirst(ClaimNames.SessionVersion)?.Value, out var version) ? (tenant, userId, version) : null;
    }

    public int AccessTokenSeconds => (int)_options.AccessTokenLifetime.TotalSeconds;

    private string Issue(Dictionary<string, object> claims, TimeSpan lifetime)
    {
        claims["exp"] = DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds();
        claims["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        claims["iss"] = _options.Issuer;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(_keys.Current, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Validates a customer's socket token and returns its tenant and call; null when invalid.</summary>
    public async Task<(string Tenant, Guid CallId)?> ValidateCustomerToken(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, ValidationParameters(_options));
        if (!result.IsValid || result.ClaimsIdentity.FindFirst(ClaimNames.Type)?.Value != TokenTypes.CustomerSocket) return null;
        var tenant = result.ClaimsIdentity.FindFirst(ClaimNames.Tenant)?.Value;
        return tenant is not null && Guid.TryParse(result.ClaimsIdentity.FindFirst(ClaimNames.CallId)?.Value, out var callId)
            ? (tenant, callId) : null;
    }

    public static TokenValidationParameters ValidationParameters(AuthOptions options) => new()
    {
        ValidateIssuer = true,
        ValidIssuer = options.Issuer,
        ValidateAudience = false,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        IssuerSigningKeys = new SigningKeys(options).Verifying,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = ClaimNames.Subject,
        RoleClaimType = ClaimNames.Role,
    };
}

public static class ClaimsPrincipalExtensions
{
    public static string? Claim(this ClaimsPrincipal principal, string type) => principal.FindFirst(type)?.Value;
}

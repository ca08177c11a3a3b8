using Voki.Api.Infrastructure;

namespace Voki.Api.Auth;

/// <summary>
/// The customer's <c>websocket_token</c> from the widget join, sent as <c>Authorization: Bearer</c> to the widget routes
/// that act for the customer (leave, evaluate, turn-credentials) or tell them more (status): decisions.md "Widget tokens".
/// </summary>
public readonly record struct CustomerGrant(string Tenant, Guid CallId)
{
    /// <summary>The request's customer grant, or null without a valid customer token (a staff token is not one).</summary>
    public static async Task<CustomerGrant?> FromRequest(HttpRequest request, TokenService tokens)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 4096) return null;
        return await tokens.ValidateCustomerToken(token) is { } grant ? new CustomerGrant(grant.Tenant, grant.CallId) : null;
    }

    /// <summary>The grant when it names <paramref name="callId"/>; otherwise 401, as for no token at all.</summary>
    public static async Task<CustomerGrant> RequireFor(Guid callId, HttpRequest request, TokenService tokens) =>
        await FromRequest(request, tokens) is { } grant && grant.CallId == callId ? grant : throw ApiException.Unauthorized();
}

namespace Voki.Api.Auth;

/// <summary>The <c>typ</c> claim keeps one kind of token from standing in for another.</summary>
public static class TokenTypes
{
    public const string Access = "access";
    public const string CustomerSocket = "ws_customer";

    /// <summary>Between a correct password and the second factor: good only for /api/auth/mfa/*.</summary>
    public const string Mfa = "mfa";
}

public static class ClaimNames
{
    public const string Subject = "sub", Tenant = "tenant", Role = "role", Type = "typ", CallId = "call_id";

    /// <summary>The user's <c>SessionVersion</c> when the access token was issued.</summary>
    public const string SessionVersion = "sv";
}

using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Voki.Api.Auth;

/// <summary>
/// Configuration section "Operator": the credential of the people who run the platform (plan changes), never a
/// tenant's token. Without a token outside Development the operator API is not served at all.
/// </summary>
public sealed class OperatorOptions
{
    public const string DevelopmentToken = "voki-development-operator-token-change-me-0123456789";
    public const int MinimumTokenBytes = 32;

    public string Token { get; set; } = "";

    public static IEnumerable<string> Refusals(OperatorOptions options)
    {
        if (options.Token == DevelopmentToken)
            yield return "Operator:Token is the development token published in the repository. Set Operator__Token to a random secret of at least 32 bytes, or leave it unset to serve no operator API.";
        else if (options.Token.Length > 0 && Encoding.UTF8.GetByteCount(options.Token) < MinimumTokenBytes)
            yield return $"Operator:Token is shorter than {MinimumTokenBytes} bytes. Set Operator__Token to a random secret of at least 32 bytes.";
    }
}

/// <summary>Bearer authentication against the one configured operator token, compared in constant time.</summary>
public sealed class OperatorAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<OperatorOptions> operatorOptions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Operator";
    public const string RoleName = "operator";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var expected = operatorOptions.Value.Token;
        var header = Request.Headers.Authorization.FirstOrDefault();
        if (expected.Length == 0 || header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal))
            return Task.FromResult(AuthenticateResult.NoResult());
        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
            return Task.FromResult(AuthenticateResult.Fail("Wrong operator token"));
        var identity = new ClaimsIdentity([new Claim(ClaimNames.Role, RoleName)], SchemeName, ClaimNames.Subject, ClaimNames.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Response.WriteAsJsonAsync(Infrastructure.Envelope.Error("Unauthorized"));
    }
}

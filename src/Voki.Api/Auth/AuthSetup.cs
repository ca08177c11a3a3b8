using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Voki.Api.Infrastructure;
using Voki.Grains.Model;

namespace Voki.Api.Auth;

/// <summary>Role minimums as authorization policies; the lowest role that passes names the policy.</summary>
public static class Policies
{
    public const string Attendant = "attendant", Supervisor = "supervisor", Manager = "manager", Owner = "owner";

    /// <summary>The platform's operator, authenticated by the Operator:Token credential only.</summary>
    public const string Operator = "operator";
}

public static class AuthSetup
{
    public const string TenantHeader = "X-Tenant";

    public static IServiceCollection AddVokiAuth(this IServiceCollection services, AuthOptions options)
    {
        services.AddSingleton<TokenService>();
        var authentication = services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme);
        authentication.AddScheme<AuthenticationSchemeOptions, OperatorAuthenticationHandler>(OperatorAuthenticationHandler.SchemeName, null);
        authentication.AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = TokenService.ValidationParameters(options);
            jwt.Events = new JwtBearerEvents
            {
                OnTokenValidated = async context =>
                {
                    var header = context.Request.Headers[TenantHeader].FirstOrDefault();
                    if (StaffSession.FromClaims(context.Principal!) is not { } session) context.Fail("Wrong token type");
                    else if (string.IsNullOrEmpty(header) || header != session.Tenant) context.Fail("X-Tenant does not match the token");
                    else if (await session.Current(context.HttpContext.RequestServices.GetRequiredService<IGrainFactory>()) is null)
                        context.Fail("The user's sessions have ended");
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    await context.Response.WriteAsJsonAsync(Envelope.Error("Unauthorized"));
                },
                OnForbidden = async context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsJsonAsync(Envelope.Error("Forbidden"));
                },
            };
        });
        services.AddAuthorization(auth =>
        {
            foreach (var role in Enum.GetValues<Role>())
                auth.AddPolicy(role.Name(), policy => policy.RequireAuthenticatedUser().RequireAssertion(context =>
                    Roles.TryParse(context.User.Claim(ClaimNames.Role), out var actual) && actual >= role));
            auth.AddPolicy(Policies.Operator, policy => policy.AddAuthenticationSchemes(OperatorAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireClaim(ClaimNames.Role, OperatorAuthenticationHandler.RoleName));
            // Deny by default: an endpoint that names no policy needs a signed-in user; public ones say AllowAnonymous.
            auth.FallbackPolicy = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build();
        });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, UnroutedRequestsPassThrough>();
        return services;
    }
}

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Voki.Api.Auth;

/// <summary>
/// The fallback policy guards every routed endpoint. A request no route serves (routing's own 404, 405 and 415
/// answers are not route endpoints) carries nothing to protect, so it goes on to its documented error instead of a 401.
/// </summary>
public sealed class UnroutedRequestsPassThrough : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        !authorizeResult.Succeeded && context.GetEndpoint() is not RouteEndpoint
            ? next(context)
            : _default.HandleAsync(next, context, policy, authorizeResult);
}

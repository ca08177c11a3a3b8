using Microsoft.AspNetCore.StaticFiles;

namespace Voki.Api.Endpoints;

/// <summary>
/// The browser pages: the customer's <c>/call/{token}</c> (the access link's URL) and the attendant
/// console <c>/app</c>. Plain HTML, CSS and JavaScript modules from wwwroot; the official phoenix client
/// is served from /vendor (copied from its npm package by the build).
/// </summary>
public static class PageEndpoints
{
    /// <summary>Pages may load only this origin's scripts and styles, talk to its API and socket, and show camera streams.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; media-src 'self' blob: mediastream:; " +
        "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void UseVokiStaticFiles(this IApplicationBuilder app)
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = types,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    public static void MapPageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/call/{token}", (HttpContext http, IWebHostEnvironment env) => Page(http, env, "call.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/app", (HttpContext http, IWebHostEnvironment env) => Page(http, env, "app.html")).AllowAnonymous().ExcludeFromDescription();
    }

    private static IResult Page(HttpContext http, IWebHostEnvironment env, string name)
    {
        var file = env.WebRootFileProvider.GetFileInfo($"pages/{name}");
        if (!file.Exists) return Results.NotFound();
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=()";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        return Results.File(file.CreateReadStream(), "text/html; charset=utf-8");
    }
}

namespace Voki.Api.Infrastructure;

/// <summary>
/// The origin every URL the API hands out starts with: <c>PublicBaseUrl</c> when configured, else the request's own
/// scheme and host (which behind a trusted proxy are the client's, see <see cref="TrustedProxies"/>).
/// </summary>
public static class PublicUrls
{
    public static string Origin(HttpContext http, IConfiguration configuration) =>
        (configuration["PublicBaseUrl"] is { Length: > 0 } configured ? configured : $"{http.Request.Scheme}://{http.Request.Host}").TrimEnd('/');

    /// <summary>The Phoenix socket at the same origin: <c>wss://</c> wherever pages are served over TLS.</summary>
    public static string WebSocket(HttpContext http, IConfiguration configuration)
    {
        var origin = new Uri(Origin(http, configuration));
        var scheme = origin.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return $"{scheme}://{origin.Authority}{origin.AbsolutePath.TrimEnd('/')}/socket/websocket";
    }

    /// <summary>A configured PublicBaseUrl that is not an absolute http(s) URL, as a start-up refusal; null when fine.</summary>
    public static string? Refusal(IConfiguration configuration) =>
        configuration["PublicBaseUrl"] is { Length: > 0 } configured
        && !(Uri.TryCreate(configured, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            ? $"PublicBaseUrl \"{configured}\" is not an absolute http:// or https:// URL (e.g. https://voki.example.com)." : null;
}

namespace Voki.Api.Endpoints;

/// <summary>
/// A recording lives on the disk of the node that captured the call; a download that reaches another
/// node is streamed through from that node's own endpoint, with the caller's token and Range header.
/// The client's own copy of the audit header is never forwarded: only this node's proof is.
/// </summary>
public static class RecordingProxy
{
    public const string ClientName = "recording-proxy";

    /// <param name="auditedProof">Tells the serving node this node audited the download (<see cref="ProxiedDownloadProof"/>).</param>
    public static async Task<IResult> StreamAsync(HttpContext http, IHttpClientFactory clients, string nodeUrl, Guid callId, string auditedProof)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{nodeUrl.TrimEnd('/')}/api/v1/calls/{callId}/recording/download");
        request.Headers.TryAddWithoutValidation(ProxiedDownloadProof.Header, auditedProof);
        foreach (var header in new[] { "Authorization", "X-Tenant", "Range", "If-None-Match", "If-Range" })
            if (http.Request.Headers.TryGetValue(header, out var value)) request.Headers.TryAddWithoutValidation(header, value.ToArray());
        var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        http.Response.RegisterForDispose(response);
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
            if (header.Key is not ("Transfer-Encoding" or "Connection")) http.Response.Headers[header.Key] = header.Value.ToArray();
        await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        return Results.Empty;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Voki.Tests.Infrastructure;

/// <summary>An HTTP response read once: status, headers and JSON body.</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Message)
{
    public JsonNode Data => Body!["data"]!;
    public string? Detail => Body?["errors"]?["detail"]?.GetValue<string>();
    public string[] FieldErrors(string field) => Body?["errors"]?[field]?.AsArray().Select(m => m!.GetValue<string>()).ToArray() ?? [];
    public string Id => Data["id"]!.GetValue<string>();
    /// <summary>The body as text, whatever its type (a CSV export's rows).</summary>
    public string Text { get; init; } = "";
}

/// <summary>Speaks to a Voki node the way a client written from the public docs does.</summary>
public sealed class ApiClient(HttpClient http)
{
    public string? Token { get; set; }
    public string? Tenant { get; set; }

    public ApiClient As(string? token, string? tenant) => new(http) { Token = token, Tenant = tenant };

    public Task<ApiResponse> Get(string path) => Send(HttpMethod.Get, path, null);
    public Task<ApiResponse> Post(string path, object? body = null) => Send(HttpMethod.Post, path, body);
    public Task<ApiResponse> Put(string path, object? body = null) => Send(HttpMethod.Put, path, body);
    public Task<ApiResponse> Delete(string path) => Send(HttpMethod.Delete, path, null);

    public async Task<ApiResponse> Send(HttpMethod method, string path, object? body, string? rawBody = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        if (Tenant is not null) request.Headers.Add("X-Tenant", Tenant);
        if (rawBody is not null) request.Content = new StringContent(rawBody, Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body, options: new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json") == true) json = JsonNode.Parse(text);
        return new ApiResponse(response.StatusCode, json, response) { Text = text };
    }
}

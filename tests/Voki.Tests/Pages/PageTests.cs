using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Pages;

/// <summary>The pages and their assets are served, with the headers that keep them to this origin.</summary>
[Collection(ApiCollection.Name)]
public sealed class PageTests(VokiApp app)
{
    [Theory]
    [InlineData("/call/abc123def456", "data-testid=\"join-form\"")]
    [InlineData("/app", "data-testid=\"login-form\"")]
    public async Task Pages_are_html_with_a_strict_content_security_policy(string path, string marker)
    {
        var response = await app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("camera=(self)", Assert.Single(response.Headers.GetValues("Permissions-Policy")));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(marker, html);
        Assert.Contains("<html lang=\"en\">", html);
    }

    [Theory]
    [InlineData("/vendor/phoenix.mjs", "text/javascript", "export")]
    [InlineData("/assets/call-page.js", "text/javascript", "import")]
    [InlineData("/assets/console.js", "text/javascript", "import")]
    [InlineData("/assets/media.js", "text/javascript", "RTCPeerConnection")]
    [InlineData("/assets/voki.css", "text/css", ":focus-visible")]
    public async Task Assets_are_served_with_their_types(string path, string type, string content)
    {
        var response = await app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_attendant_lists_their_own_departments()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var mine = await s.Department(new { name = "Suporte" });
        await s.Department(new { name = "Vendas" });
        var (attendant, _) = await s.Staff("attendant", mine);
        var departments = await attendant.Get("/api/v1/users/me/departments");
        Assert.Equal(HttpStatusCode.OK, departments.Status);
        var only = Assert.Single(departments.Data.AsArray())!;
        Assert.Equal(mine, only["id"]!.GetValue<string>());
        Assert.Equal("Suporte", only["name"]!.GetValue<string>());
    }
}

using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Model;

namespace Voki.Tests.Api;

/// <summary>
/// Outside Development a node refuses the settings that would let anyone mint tokens or lose every recording on a
/// restart, and says what to set. Key rotation: tokens name their key, and a previous key still verifies.
/// </summary>
public sealed class UnsafeConfigurationTests
{
    private const string StrongKey = "a-strong-production-signing-key-0123456789-abcdef";

    /// <summary>A node that fails before it opens anything, so none needs a database.</summary>
    private sealed class Node(string environment, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }

    private static UnsafeConfigurationException Refusal(Dictionary<string, string?> settings)
    {
        using var node = new Node("Production", settings);
        var thrown = Record.Exception(() => node.Server);
        while (thrown is TargetInvocationException or AggregateException && thrown.InnerException is not null) thrown = thrown.InnerException;
        return Assert.IsType<UnsafeConfigurationException>(thrown);
    }

    private static Dictionary<string, string?> Safe() => new()
    {
        ["Auth:SigningKey"] = StrongKey,
        ["Recordings:Root"] = "/var/lib/voki/recordings",
    };

    [Fact]
    public void Production_refuses_to_start_without_a_signing_key_and_says_what_to_set()
    {
        var refusal = Refusal(new Dictionary<string, string?>(Safe()) { ["Auth:SigningKey"] = "" });
        Assert.Contains("Auth__SigningKey", refusal.Message);
        Assert.Contains("Auth:SigningKey is not set", Assert.Single(refusal.Problems));
    }

    [Theory]
    [InlineData(AuthOptions.DevelopmentSigningKey, "development key")]
    [InlineData("only-31-bytes-long-0123456789ab", "shorter than 32 bytes")]
    public void Production_refuses_the_development_or_a_short_signing_key(string key, string reason)
    {
        var refusal = Refusal(new Dictionary<string, string?>(Safe()) { ["Auth:SigningKey"] = key });
        Assert.Contains(reason, Assert.Single(refusal.Problems));
    }

    [Fact]
    public void Production_refuses_a_weak_previous_key_the_development_operator_token_and_recordings_in_the_temp_directory_all_at_once()
    {
        var refusal = Refusal(new Dictionary<string, string?>(Safe())
        {
            ["Auth:PreviousSigningKeys:0:Key"] = AuthOptions.DevelopmentSigningKey,
            ["Operator:Token"] = OperatorOptions.DevelopmentToken,
            ["Recordings:Root"] = "",
        });
        Assert.Equal(3, refusal.Problems.Count);
        Assert.Contains(refusal.Problems, p => p.StartsWith("Auth:PreviousSigningKeys:0:Key", StringComparison.Ordinal));
        Assert.Contains(refusal.Problems, p => p.StartsWith("Operator:Token is the development token", StringComparison.Ordinal));
        Assert.Contains(refusal.Problems, p => p.StartsWith("Recordings:Root is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Production_refuses_an_open_dashboard_and_a_weak_or_published_dashboard_credential()
    {
        var hasher = new Voki.Grains.Security.PasswordHasher();
        var cases = new (Dictionary<string, string?> Dashboard, string Problem)[]
        {
            (new() { ["Dashboard:Enabled"] = "true" }, "Dashboard:Enabled is true but no operator credential is set"),
            (new() { ["Dashboard:User"] = "operator", ["Dashboard:PasswordHash"] = hasher.Hash(DashboardAccessOptions.DevelopmentPassword) },
                "Dashboard:PasswordHash is the hash of the development password"),
            (new() { ["Dashboard:User"] = "operator", ["Dashboard:PasswordHash"] = new Voki.Grains.Security.PasswordHasher(1000).Hash("a-long-enough-password") },
                "Dashboard:PasswordHash uses 1000 PBKDF2 iterations"),
            (new() { ["Dashboard:User"] = "operator", ["Dashboard:PasswordHash"] = "plain-text-password" }, "Dashboard:PasswordHash is not a hash"),
            (new() { ["Dashboard:PasswordHash"] = hasher.Hash("a-long-enough-password") }, "Dashboard:User and Dashboard:PasswordHash go together"),
        };
        foreach (var (dashboard, problem) in cases)
        {
            var settings = new Dictionary<string, string?>(Safe());
            foreach (var (key, value) in dashboard) settings[key] = value;
            var refusal = Refusal(settings);
            Assert.True(Assert.Single(refusal.Problems).StartsWith(problem, StringComparison.Ordinal), string.Join(" | ", refusal.Problems));
        }
    }

    [Fact]
    public async Task The_hash_voki_dashboard_password_makes_is_accepted_and_verifies_the_password()
    {
        const string password = "the-operators-own-dashboard-password";
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Voki.Tests.Infrastructure.NodeScripts.RepositoryRoot(), "voki"));
        start.ArgumentList.Add("dashboard-password");
        using var script = System.Diagnostics.Process.Start(start)!;
        await script.StandardInput.WriteLineAsync(password);
        script.StandardInput.Close();
        var hash = (await script.StandardOutput.ReadToEndAsync()).Trim();
        await script.WaitForExitAsync();
        Assert.True(script.ExitCode == 0, await script.StandardError.ReadToEndAsync());
        Assert.True(new Voki.Grains.Security.PasswordHasher().Verify(password, hash), hash);
        Assert.False(new Voki.Grains.Security.PasswordHasher().Verify("another-password", hash));
        var options = new DashboardAccessOptions { User = "operator", PasswordHash = hash };
        Assert.Empty(options.Refusals().Concat(options.ProductionRefusals()));
    }

    [Fact]
    public void Production_refuses_a_short_metrics_token()
    {
        var refusal = Refusal(new Dictionary<string, string?>(Safe()) { ["Metrics:Token"] = "only-31-bytes-long-0123456789ab" });
        Assert.StartsWith("Metrics:Token is shorter than 32 bytes", Assert.Single(refusal.Problems));
    }

    [Fact]
    public void Every_environment_refuses_an_otlp_endpoint_or_protocol_that_means_nothing()
    {
        var refusal = Refusal(new Dictionary<string, string?>(Safe()) { ["Metrics:OtlpEndpoint"] = "collector:4317", ["Metrics:OtlpProtocol"] = "udp" });
        Assert.Equal(2, refusal.Problems.Count);
        Assert.Contains(refusal.Problems, p => p.StartsWith("Metrics:OtlpEndpoint \"collector:4317\" is not an http(s) URL", StringComparison.Ordinal));
        Assert.Contains(refusal.Problems, p => p.StartsWith("Metrics:OtlpProtocol \"udp\" is neither", StringComparison.Ordinal));
        using var development = new Node("Development", new Dictionary<string, string?> { ["Metrics:OtlpProtocol"] = "udp" });
        var thrown = Record.Exception(() => development.Server);
        while (thrown is TargetInvocationException or AggregateException && thrown.InnerException is not null) thrown = thrown.InnerException;
        Assert.Contains("Metrics:OtlpProtocol", Assert.IsType<UnsafeConfigurationException>(thrown).Message);
    }

    [Fact]
    public void Exactly_32_bytes_is_enough()
    {
        Assert.Empty(SigningKeys.Refusals(new AuthOptions { SigningKey = new string('k', SigningKeys.MinimumKeyBytes) }));
        Assert.Single(SigningKeys.Refusals(new AuthOptions { SigningKey = new string('k', SigningKeys.MinimumKeyBytes - 1) }));
        // Bytes, not characters: 16 two-byte characters are 32 bytes.
        Assert.Empty(SigningKeys.Refusals(new AuthOptions { SigningKey = new string('é', 16) }));
    }

    private static TokenService Tokens(AuthOptions options) => new(Options.Create(options));

    private static async Task<bool> Verifies(string token, AuthOptions verifier) =>
        (await new JsonWebTokenHandler().ValidateTokenAsync(token, TokenService.ValidationParameters(verifier))).IsValid;

    [Fact]
    public async Task A_rotated_key_still_verifies_its_tokens_and_new_tokens_name_the_new_key()
    {
        const string oldKey = "the-old-production-signing-key-0123456789-abcdef", newKey = "the-new-production-signing-key-0123456789-abcdef";
        var user = new User { Id = Guid.NewGuid(), Role = Role.Manager, Name = "M", Email = "m@example.com" };
        var before = Tokens(new AuthOptions { SigningKey = oldKey }).IssueAccessToken("acme", user);
        var after = Tokens(new AuthOptions { SigningKey = newKey, SigningKeyId = "2026-12" }).IssueAccessToken("acme", user);

        Assert.Equal(SigningKeys.DerivedId(oldKey), new JsonWebToken(before).Kid);
        Assert.Equal("2026-12", new JsonWebToken(after).Kid);
        Assert.DoesNotContain(oldKey, SigningKeys.DerivedId(oldKey));

        var rotated = new AuthOptions { SigningKey = newKey, SigningKeyId = "2026-12", PreviousSigningKeys = [new VerificationKey { Key = oldKey }] };
        Assert.True(await Verifies(before, rotated));
        Assert.True(await Verifies(after, rotated));
        // Once the old key leaves the set, its tokens stop working; a token is never verified by a key it does not name.
        Assert.False(await Verifies(before, new AuthOptions { SigningKey = newKey, SigningKeyId = "2026-12" }));
        Assert.False(await Verifies(after, new AuthOptions { SigningKey = oldKey }));
    }
}

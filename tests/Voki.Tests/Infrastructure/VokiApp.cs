using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Voki.Silo;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// One Voki node (API + silo) in process, on its own database. Starting one takes seconds, so test
/// classes share it through <see cref="ApiCollection"/> and each test signs up its own tenant.
/// </summary>
public class VokiApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private TestDatabase? _database;
    private readonly VokiApp? _cluster;
    private readonly TestDatabase? _borrowedDatabase;

    public VokiApp() { }

    /// <summary>A node on a database the test owns (and drops), e.g. to stop one node and start another on the same data.</summary>
    protected VokiApp(TestDatabase database) => _borrowedDatabase = database;

    /// <summary>A further node of <paramref name="cluster"/>'s cluster: same database and cluster id, its own ports.</summary>
    protected VokiApp(VokiApp cluster) => _cluster = cluster;

    public static VokiApp JoiningClusterOf(VokiApp cluster) => new(cluster);

    /// <summary>Settings a derived fixture overrides, e.g. the real rate limits.</summary>
    protected virtual IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:AuthPerMinute"] = "100000",
        ["RateLimits:PublicPerMinute"] = "100000",
        ["RateLimits:SignupsPerHour"] = "100000",
        ["RateLimits:StatusPerMinute"] = "100000",
        ["RateLimits:LoginAttemptsPerAccount"] = "100000",
        ["RateLimits:RefreshesPerFamilyPerMinute"] = "100000",
        ["RateLimits:PasswordResetsPerAddressPerHour"] = "100000",
        // The analytics views change only when a test refreshes them, and every refresh it asks for happens.
        ["Analytics:RefreshInterval"] = "00:00:00",
        ["Analytics:MinRefreshInterval"] = "00:00:00",
    };

    /// <summary>The operator credential every test node takes (Scenario changes plans with it).</summary>
    public static string OperatorToken => Scenario.OperatorToken;

    public string ConnectionString => _cluster?.ConnectionString ?? (_borrowedDatabase ?? _database)!.ConnectionString;

    private string ClusterId => _cluster?.ClusterId ?? (_borrowedDatabase ?? _database)!.Name;

    /// <summary>This node's recordings directory (captures and WebMs), private to the fixture.</summary>
    public string RecordingsRoot { get; } = Path.Combine(Path.GetTempPath(), $"voki-test-recordings-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        if (_cluster is null && _borrowedDatabase is null) _database = await TestDatabase.CreateAsync();
        StartHost();
    }

    /// <summary>Starts the host now, not inside the first test; a Kestrel-hosted fixture starts its real server instead.</summary>
    protected virtual void StartHost() => _ = Server;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Voki", ConnectionString);
        builder.UseSetting("Node:ClusterId", ClusterId);
        builder.UseSetting("Node:SiloPort", FreePorts.Next().ToString());
        builder.UseSetting("Media:Port", "0");
        builder.UseSetting("Recordings:Root", RecordingsRoot);
        // A fixed room: the queue tests fill every slot, and the default's room changes as the shared node's calls open and close.
        builder.UseSetting("Recordings:CompositionSlots", "1");
        // Hashing stays salted PBKDF2; fewer rounds only keep the suite fast.
        builder.UseSetting("Auth:PasswordIterations", "1000");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Orleans.Runtime.Silo", "Warning");
        builder.UseSetting("Auth:SigningKey", "test-signing-key-0123456789-0123456789-0123456789");
        builder.UseSetting("Operator:Token", OperatorToken);
        // Test receivers listen on loopback; WebhookTargetTests turns this off again to show the refusals.
        builder.UseSetting("Webhooks:AllowPrivateTargets", "true");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => TestLog.Replace(logging, $"node {ClusterId}"));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (Directory.Exists(RecordingsRoot)) Directory.Delete(RecordingsRoot, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<VokiApp>
{
    public const string Name = "api";
}

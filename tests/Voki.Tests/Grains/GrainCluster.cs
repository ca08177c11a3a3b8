using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;
using Voki.Silo;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Grains;

/// <summary>
/// Orleans.TestingHost clusters whose silos are configured exactly as a node configures its own
/// (<see cref="SiloSetup.AddVokiData"/> and <see cref="SiloSetup.ConfigureSilo"/>): ADO.NET membership,
/// grain storage and reminders on a PostgreSQL test database. Only the transport is the TestingHost's
/// in-memory one; everything the silos keep lives in the database.
/// </summary>
public static class GrainClusters
{
    /// <param name="configure">Further settings and silo configurators of a test class (e.g. the recording pipeline's services).</param>
    public static async Task<TestCluster> StartAsync(string connectionString, string serviceId, short silos = 1, Action<TestClusterBuilder>? configure = null)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.UseTestClusterMembership = false; // the product's ADO.NET membership table
        builder.Options.ConfigureFileLogging = false;
        builder.Properties["ConnectionStrings:Voki"] = connectionString;
        builder.Properties["Auth:PasswordIterations"] = "1000";
        builder.AddSiloBuilderConfigurator<VokiSilo>();
        builder.AddSiloBuilderConfigurator<LogToTestFile>();
        builder.AddClientBuilderConfigurator<GatewaysFromDatabase>(); // the TestingHost's client (it deactivates grains) finds silos in the table
        configure?.Invoke(builder);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static IServiceProvider Services(this TestCluster cluster, int silo = 0) =>
        ((InProcessSiloHandle)cluster.Silos[silo]).SiloHost.Services;

    public static IGrainFactory Grains(this TestCluster cluster, int silo = 0) =>
        cluster.Services(silo).GetRequiredService<IGrainFactory>();

    private sealed class LogToTestFile : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) => Voki.Tests.Infrastructure.TestLog.Replace(silo.Services, "test silo");
    }

    private sealed class GatewaysFromDatabase : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client) =>
            client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = SiloSetup.ConnectionString(configuration); });
    }

    /// <summary>Applies the node's silo setup to a TestingHost silo, reading its identity from the TestingHost's configuration.</summary>
    private sealed class VokiSilo : IHostConfigurator
    {
        public void Configure(IHostBuilder host)
        {
            host.ConfigureServices((context, services) => services.AddVokiData(context.Configuration));
            host.UseOrleans((context, silo) =>
            {
                var c = context.Configuration;
                SiloSetup.ConfigureSilo(silo, SiloSetup.ConnectionString(c), new NodeOptions
                {
                    ClusterId = c["Orleans:ClusterId"]!,
                    ServiceId = c["Orleans:ServiceId"]!,
                    SiloPort = int.Parse(c["Orleans:Endpoints:SiloPort"]!),
                    // The TestingHost client reaches the silo through a gateway, the one Orleans client Voki has.
                    GatewayPort = int.Parse(c["Orleans:Endpoints:GatewayPort"]!),
                });
            });
        }
    }
}

/// <summary>One migrated database and one silo, shared by the grain test classes; each test makes its own tenant.</summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public TestCluster Cluster { get; private set; } = null!;
    public string ServiceId { get; } = "voki-grains-" + Guid.NewGuid().ToString("N")[..8];
    public IGrainFactory Grains => Cluster.Grains();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(Database.ConnectionString, NullLogger.Instance);
        Cluster = await GrainClusters.StartAsync(Database.ConnectionString, ServiceId);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GrainCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grains";
}

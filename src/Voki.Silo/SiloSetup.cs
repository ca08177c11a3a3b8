using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Grains.Security;
using Voki.Media.Sfu;

namespace Voki.Silo;

public static class SiloSetup
{
    public const string StorageName = "Default";
    public const string StreamProvider = "Events";
    private const string Invariant = "Npgsql";

    /// <summary>The data services grains and endpoints share: one pooled data source and the read-model tables.</summary>
    public static IServiceCollection AddVokiData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<CompanyRows>();
        services.AddSingleton<UserRows>();
        services.AddSingleton<DepartmentRows>();
        services.AddSingleton<AccessLinkRows>();
        services.AddSingleton<CallRows>();
        services.AddSingleton<TranscriptRows>();
        services.AddSingleton<RefreshTokenStore>();
        services.AddSingleton(new PasswordHasher(configuration.GetValue("Auth:PasswordIterations", PasswordHasher.DefaultIterations)));
        services.AddSingleton(PlanConfiguration.Load(configuration));
        return services;
    }

    /// <summary>This node's media plane: one UDP port for every call whose grain is active here.</summary>
    public static IServiceCollection AddVokiMedia(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Media").Get<MediaNodeOptions>() ?? new MediaNodeOptions();
        services.AddSingleton(options);
        services.AddSingleton(_ => new MediaNode(options));
        var recordings = configuration.GetSection("Recordings").Get<RecordingOptions>() ?? new RecordingOptions();
        if (string.IsNullOrEmpty(recordings.Root)) recordings.Root = Path.Combine(Path.GetTempPath(), "voki-recordings");
        recordings.NodeUrl ??= configuration["Urls"]?.Split(';')[0] ?? configuration["ASPNETCORE_URLS"]?.Split(';')[0];
        services.AddSingleton(recordings);
        services.AddSingleton<RecordingRows>();
        services.AddSingleton<IRecordingComposer, FfmpegRecordingComposer>();
        services.AddHostedService<MediaNodeStarter>();
        return services;
    }

    /// <summary>Hosts this node's silo: ADO.NET clustering, storage and reminders on PostgreSQL, streams, dashboard.</summary>
    public static void UseVokiSilo(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionString(builder.Configuration);
        var node = builder.Configuration.GetSection("Node").Get<NodeOptions>() ?? new NodeOptions();
        builder.UseOrleans(silo => ConfigureSilo(silo, connectionString, node));
    }

    public static void ConfigureSilo(ISiloBuilder silo, string connectionString, NodeOptions node)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = node.ClusterId; o.ServiceId = node.ServiceId; });
        silo.ConfigureEndpoints(IPAddress.Parse(node.AdvertisedAddress), node.SiloPort, node.GatewayPort);
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage(StorageName, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage("PubSubStore", o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddMemoryStreams(StreamProvider);
        silo.AddDashboard();
        ConfigureFailureDetection(silo);
    }

    /// <summary>
    /// Failure detection for a cluster of a few nodes on a LAN whose nodes are also busy (FFmpeg, Whisper, PBKDF2):
    /// the defaults below, then whatever the configuration section "Membership" says (any property of Orleans'
    /// ClusterMembershipOptions, e.g. Membership__ProbeTimeout=00:00:02). Measured in docs/benchmarks.md
    /// ("Membership under load", ./voki bench membership).
    /// </summary>
    public static void ConfigureFailureDetection(ISiloBuilder silo)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumProbedSilos = 3;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        });
        silo.Services.Configure<ClusterMembershipOptions>(silo.Configuration.GetSection(MembershipSection));
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
    }

    public const string MembershipSection = "Membership";

    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Voki")
        ?? throw new InvalidOperationException("ConnectionStrings:Voki is not set (environment variable ConnectionStrings__Voki).");
}

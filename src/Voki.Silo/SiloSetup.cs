using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.Placement;
using Voki.Grains.ReadModel;
using Voki.Grains.Security;
using Voki.Grains.Webhooks;
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
        services.AddSingleton<SectorRows>();
        services.AddSingleton<TagRows>();
        services.AddSingleton<ManagerNoteRows>();
        services.AddSingleton<CallObjects>();
        services.AddSingleton<AccessLinkRows>();
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookRows>();
        services.AddSingleton<CallRows>();
        services.AddSingleton<AnalyticsRows>();
        services.AddSingleton<CustomerStore>();
        services.AddSingleton<TranscriptRows>();
        services.AddSingleton<RefreshTokenStore>();
        services.AddSingleton<PasswordResetStore>();
        services.AddSingleton(new PasswordHasher(configuration.GetValue("Auth:PasswordIterations", PasswordHasher.DefaultIterations)));
        services.AddSingleton(PlanConfiguration.Load(configuration));
        return services;
    }

    /// <summary>
    /// This node's media plane (one UDP port for every call whose grain is active here) when it has the media role, and
    /// its recordings: where they live, the composer and its slots. Refuses a node of one role without a shared root:
    /// a media-only node's captures could then never be composed, a jobs-only node would have nothing to compose.
    /// </summary>
    public static IServiceCollection AddVokiMedia(this IServiceCollection services, IConfiguration configuration)
    {
        var roles = Roles(configuration);
        var recordings = configuration.GetSection("Recordings").Get<RecordingOptions>() ?? new RecordingOptions();
        if (roles != NodeRoles.Both && !recordings.Shared)
            throw new InvalidOperationException($"Node:Roles is \"{roles}\": a node with one role only needs a recordings root shared by the nodes " +
                "(Recordings:Root on a mount every node sees, and Recordings:Shared=true on every node)");
        services.AddSingleton(roles);
        var options = configuration.GetSection("Media").Get<MediaNodeOptions>() ?? new MediaNodeOptions();
        services.AddSingleton(options);
        if (roles.Media)
        {
            services.AddSingleton(_ => new MediaNode(options));
            services.AddHostedService<MediaNodeStarter>();
        }
        services.AddSingleton<NodeCalls>();
        if (string.IsNullOrEmpty(recordings.Root)) recordings.Root = Path.Combine(Path.GetTempPath(), "voki-recordings");
        recordings.NodeUrl ??= configuration["Urls"]?.Split(';')[0] ?? configuration["ASPNETCORE_URLS"]?.Split(';')[0];
        services.AddSingleton(recordings);
        services.AddSingleton<RecordingRows>();
        services.AddSingleton<IRecordingComposer, FfmpegRecordingComposer>();
        services.AddSingleton<CompositionSlots>();
        return services;
    }

    /// <summary>This node's roles (Node:Roles); a value naming anything but media and jobs refuses to start.</summary>
    public static NodeRoles Roles(IConfiguration configuration) => NodeRoles.Parse(configuration["Node:Roles"]);

    /// <summary>
    /// Hosts this node's silo: ADO.NET clustering, storage and reminders on PostgreSQL, streams, dashboard; TLS between
    /// silos when Node:Tls is set (refusing to start on certificates it cannot use), a client gateway only when asked.
    /// </summary>
    public static void UseVokiSilo(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionString(builder.Configuration);
        var node = builder.Configuration.GetSection("Node").Get<NodeOptions>() ?? new NodeOptions();
        Roles(builder.Configuration); // refused here too when AddVokiMedia was not called
        builder.UseOrleans(silo => ConfigureSilo(silo, connectionString, node));
    }

    public static void ConfigureSilo(ISiloBuilder silo, string connectionString, NodeOptions node)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = node.ClusterId; o.ServiceId = node.ServiceId; });
        // Every node tells the others its roles: placement anywhere keeps calls on media nodes and jobs on jobs nodes.
        silo.UseSiloMetadata(new Dictionary<string, string> { [NodeRoles.MetadataKey] = NodeRoles.Parse(node.Roles).ToString() });
        silo.Services.AddPlacementDirector<NodeOfKeyPlacement, NodeOfKeyPlacementDirector>();
        silo.Services.AddPlacementDirector<JobPlacement, JobPlacementDirector>();
        silo.Services.AddPlacementFilter<MediaNodePlacementFilter, MediaNodePlacementFilterDirector>(ServiceLifetime.Singleton);
        silo.Services.AddSingleton<ClusterWork>();
        // GatewayPort 0 (the default) opens no gateway: Orleans listens for clients only on a port it is given.
        silo.ConfigureEndpoints(IPAddress.Parse(node.AdvertisedAddress), node.SiloPort, node.GatewayPort);
        var certificates = node.Tls.IsConfigured ? SiloCertificates.Load(node.Tls) : null;
        if (certificates is not null) silo.UseVokiTls(certificates);
        silo.Services.AddHostedService(services => new ClusterTrafficReport(node, certificates,
            services.GetRequiredService<IHostEnvironment>(), services.GetRequiredService<ILogger<ClusterTrafficReport>>()));
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage(StorageName, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage("PubSubStore", o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddMemoryStreams(StreamProvider);
        silo.AddDashboard();
        // The request's trace context goes with its grain calls, so a grain's log lines carry the request's TraceId.
        silo.AddActivityPropagation();
        GrainCallTracing.Listen();
        silo.AddIncomingGrainCallFilter<CallLogScope>();
        ConfigureFailureDetection(silo);
    }

    /// <summary>
    /// Failure detection on nodes that also run FFmpeg, Whisper and PBKDF2 (docs/benchmarks.md, "Membership under load",
    /// ./voki bench membership). A probe every ~0.5-1 s (Orleans adapts the timeout to the round trips it sees, from
    /// half of ProbeTimeout up to MaxProbeTimeout, longer while this node is itself degraded); three misses in a row to
    /// suspect, where two let a loaded node that was still joining be declared dead. A suspicion of a node whose connection
    /// delivered anything in the last few seconds is not voted (EnableConnectionLivenessCheck): that is what keeps busy
    /// nodes, which answer probes late, in the cluster. A crashed node is declared dead in 1-2 s idle, a few seconds loaded.
    /// Then whatever the configuration section "Membership" says (any property of ClusterMembershipOptions, e.g.
    /// Membership__NumMissedProbesLimit=4).
    /// </summary>
    public static void ConfigureFailureDetection(ISiloBuilder silo)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 3;
            o.NumProbedSilos = 3;
            o.ExtendProbeTimeoutDuringDegradation = true;
            o.EnableConnectionLivenessCheck = true;
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

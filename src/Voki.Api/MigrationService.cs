using Voki.Silo;

namespace Voki.Api;

/// <summary>Applies the database migrations when the node starts, before the silo joins the cluster.</summary>
public sealed class MigrationService(IConfiguration configuration, ILogger<MigrationService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        DatabaseMigrator.MigrateAsync(SiloSetup.ConnectionString(configuration), logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Cluster;

/// <summary>
/// Real nodes with silo-to-silo TLS (Node:Tls), certificates made on the spot: nodes whose certificates the cluster's
/// CA signed form one cluster and serve each other's calls over it; a node holding any other certificate cannot join.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SiloTlsClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Nodes_with_certificates_from_the_cluster_ca_form_a_cluster_and_reach_each_others_grains()
    {
        using var certificates = new ClusterCertificates();
        await using var database = await TestDatabase.CreateAsync();
        // One node loads PEM certificate and key, the other a PKCS#12 file.
        await using var first = new InProcessNode(database.ConnectionString, database.Name, certificates.PemNode("node-1"));
        var firstHttp = first.CreateClient();
        await using var second = NodeProcess.Start(database.ConnectionString, database.Name, certificates.PfxNode("node-2"));
        var membership = first.Services.GetRequiredService<IClusterMembershipService>();
        try
        {
            await second.WaitReadyAsync(TimeSpan.FromSeconds(90));
            var self = first.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            await Eventually.Holds(() => ActiveSilos(membership).Count == 2, TimeSpan.FromSeconds(30), "both nodes active");
            var secondSilo = ActiveSilos(membership).Single(s => !s.Equals(self));

            // A call made through the second node, its grain then placed on the second node's silo: the first node's
            // HTTP API can answer for it only through the TLS connection between the silos.
            var s = await Scenario.SignUp(firstHttp);
            using var secondHttp = new HttpClient { BaseAddress = second.BaseAddress };
            var viaSecond = new ApiClient(secondHttp);
            var link = await s.Link(await s.Department());
            var joined = await viaSecond.Post($"/api/v1/call/{link["token"]}/join", new { name = "Carlos Ferreira" });
            Assert.Equal(HttpStatusCode.OK, joined.Status);
            var id = joined.Data["call_id"]!.GetValue<string>();
            var grains = first.Services.GetRequiredService<IGrainFactory>();
            var call = grains.GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(id)));
            await MoveTo(grains, call, secondSilo);

            var read = await s.Owner.Get($"/api/v1/calls/{id}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal("queued", read.Data["status"]!.GetValue<string>());
            Assert.Equal("Carlos Ferreira", read.Data["customer_name"]!.GetValue<string>());
            Assert.Equal(secondSilo, await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(call));
            // And the other way round: the second node's API with the first node's token.
            var readViaSecond = await viaSecond.As(s.Owner.Token, s.Tenant).Get($"/api/v1/calls/{id}");
            Assert.Equal(HttpStatusCode.OK, readViaSecond.Status);
            Assert.Equal("queued", readViaSecond.Data["status"]!.GetValue<string>());
            Assert.Contains(first.Log.Lines, line => line.Contains("Silo-to-silo TLS with mutual authentication: this node is CN=node-1", StringComparison.Ordinal));
            Assert.DoesNotContain(first.Log.Lines, line => line.Contains("Refused a silo connection", StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine("log of the second node:\n" + second.Log);
            throw;
        }
    }

    [Fact]
    public async Task A_node_whose_certificate_the_cluster_ca_did_not_sign_cannot_join()
    {
        using var cluster = new ClusterCertificates();
        using var foreign = new ClusterCertificates("Some other CA");
        await using var database = await TestDatabase.CreateAsync();
        await using var member = new InProcessNode(database.ConnectionString, database.Name, cluster.PfxNode("node-1"));
        var membership = member.Services.GetRequiredService<IClusterMembershipService>();
        var self = member.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await Eventually.Holds(() => ActiveSilos(membership).Contains(self), TimeSpan.FromSeconds(30), "the member active");

        // The intruder trusts the cluster's CA besides its own, so it would accept the member: only the member's check
        // of the intruder's certificate, on connections either of them opens, can keep it out.
        await using var intruder = NodeProcess.Start(database.ConnectionString, database.Name,
            foreign.PfxNode("intruder", trustedAuthorityPath: foreign.AuthoritiesPath(cluster)));
        var intruderWasActive = false;
        try
        {
            // A joining silo that cannot reach every active member gives up (Orleans' initial connectivity check) or is
            // declared dead by the members that cannot reach it, and stops.
            await Eventually.Holds(() =>
            {
                intruderWasActive |= ActiveSilos(membership).Any(s => !s.Equals(self));
                return intruder.HasExited || intruderWasActive;
            }, TimeSpan.FromSeconds(120), "the intruder to give up joining or join");

            Assert.False(intruderWasActive, "the intruder became an active member");
            Assert.Equal([self], ActiveSilos(membership));
            // What kept it out: the member refused its certificate.
            Assert.Contains(member.Log.Lines, line => line.Contains("Refused a silo connection: the peer's certificate CN=intruder", StringComparison.Ordinal)
                                                      && line.Contains("does not chain to Node:Tls:CaCertificatePath", StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine("log of the intruder:\n" + intruder.Log);
            output.WriteLine("log of the member:\n" + string.Join("\n", member.Log.Lines));
            throw;
        }
        // The member itself goes on serving.
        var s = await Scenario.SignUp(member.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/users/me")).Status);
    }

    private static List<SiloAddress> ActiveSilos(IClusterMembershipService membership) =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();

    private static async Task MoveTo(IGrainFactory grains, ICallGrain call, SiloAddress silo)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        if (silo.Equals(await management.GetActivationAddress(call))) return;
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try { await call.Cast<IGrainManagementExtension>().MigrateOnIdle(); }
        finally { RequestContext.Clear(); }
        await Eventually.Holds(async () => silo.Equals(await management.GetActivationAddress(call)), TimeSpan.FromSeconds(10), "the call grain on the second node");
    }
}

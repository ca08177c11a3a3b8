using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Voki.Silo;

namespace Voki.Tests.Cluster;

/// <summary>
/// Node:Tls read at start-up: a node with TLS configured refuses to start on a certificate it cannot use, naming the
/// setting; peers are trusted by the cluster's CA or by pinned fingerprints and nothing else.
/// </summary>
public sealed class SiloCertificatesTests : IDisposable
{
    private readonly ClusterCertificates _cluster = new();
    private readonly ClusterCertificates _foreign = new("Some other CA");

    private static SiloTlsOptions Options(IReadOnlyDictionary<string, string> settings) => new()
    {
        CertificatePath = settings.GetValueOrDefault("Node:Tls:CertificatePath"),
        CertificatePassword = settings.GetValueOrDefault("Node:Tls:CertificatePassword"),
        KeyPath = settings.GetValueOrDefault("Node:Tls:KeyPath"),
        CaCertificatePath = settings.GetValueOrDefault("Node:Tls:CaCertificatePath"),
    };

    private static string Refusal(SiloTlsOptions options) =>
        Assert.Single(Assert.Throws<SiloTlsConfigurationException>(() => SiloCertificates.Load(options)).Problems);

    [Fact]
    public void A_pfx_and_a_pem_node_certificate_both_load_and_are_trusted_by_the_cluster_ca()
    {
        var fromPfx = SiloCertificates.Load(Options(_cluster.PfxNode("node-1")));
        var fromPem = SiloCertificates.Load(Options(_cluster.PemNode("node-2")));
        Assert.True(fromPfx.NodeCertificate.HasPrivateKey);
        Assert.True(fromPem.NodeCertificate.HasPrivateKey);
        Assert.Null(fromPfx.Peers.Refusal(fromPem.NodeCertificate));
        Assert.Null(fromPem.Peers.Refusal(fromPfx.NodeCertificate));
    }

    [Fact]
    public void A_peer_signed_by_another_ca_is_refused()
    {
        var node = SiloCertificates.Load(Options(_cluster.PfxNode("node-1")));
        using var stranger = _foreign.Issue("node-9");
        Assert.Contains("does not chain to Node:Tls:CaCertificatePath", node.Peers.Refusal(stranger));
        using var selfSigned = new CertificateRequest("CN=node-1", System.Security.Cryptography.ECDsa.Create(), System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.NotNull(node.Peers.Refusal(selfSigned));
    }

    [Fact]
    public void A_missing_certificate_file_stops_the_node_naming_the_setting()
    {
        var settings = _cluster.PfxNode("node-1");
        settings["Node:Tls:CertificatePath"] = "/nonexistent/node-1.pfx";
        var refusal = Refusal(Options(settings));
        Assert.Contains("Node:Tls:CertificatePath", refusal);
        Assert.Contains("/nonexistent/node-1.pfx, which does not exist", refusal);
    }

    [Fact]
    public void A_wrong_password_or_a_damaged_file_stops_the_node()
    {
        var settings = _cluster.PfxNode("node-1");
        settings["Node:Tls:CertificatePassword"] = "not-the-password";
        Assert.Contains("cannot be read as a certificate with its private key", Refusal(Options(settings)));

        File.WriteAllText(settings["Node:Tls:CertificatePath"], "garbage");
        settings["Node:Tls:CertificatePassword"] = ClusterCertificates.Password;
        Assert.Contains("cannot be read", Refusal(Options(settings)));
    }

    [Fact]
    public void A_pem_certificate_without_its_key_stops_the_node()
    {
        var settings = _cluster.PemNode("node-1");
        settings.Remove("Node:Tls:KeyPath");
        Assert.Contains("Node:Tls:CertificatePath", Refusal(Options(settings)));
    }

    [Fact]
    public void Tls_without_a_ca_or_fingerprints_stops_the_node_since_it_could_not_tell_peers_from_strangers()
    {
        var settings = _cluster.PfxNode("node-1");
        settings.Remove("Node:Tls:CaCertificatePath");
        Assert.Contains("Nothing says which peers to trust", Refusal(Options(settings)));
    }

    [Fact]
    public void A_node_whose_own_certificate_its_peers_would_refuse_does_not_start()
    {
        var settings = _foreign.PfxNode("node-1", trustedAuthorityPath: _cluster.AuthorityPath);
        Assert.Contains("This node's own certificate (CN=node-1) would be refused by its peers", Refusal(Options(settings)));
    }

    [Fact]
    public void A_certificate_only_good_for_servers_stops_the_node()
    {
        using var serverOnly = _cluster.Issue("node-1", serverAndClient: false);
        var path = Path.Combine(Path.GetDirectoryName(_cluster.AuthorityPath)!, "server-only.pfx");
        File.WriteAllBytes(path, serverOnly.Export(X509ContentType.Pkcs12, ClusterCertificates.Password));
        var refusal = Refusal(new SiloTlsOptions { CertificatePath = path, CertificatePassword = ClusterCertificates.Password, CaCertificatePath = _cluster.AuthorityPath });
        Assert.Contains("serverAuth and clientAuth", refusal);
    }

    [Fact]
    public void Pinned_fingerprints_admit_exactly_the_listed_certificates()
    {
        using var self = _foreign.Issue("node-1");
        using var listed = _foreign.Issue("node-2");
        using var unlisted = _foreign.Issue("node-3");
        var path = Path.Combine(Path.GetDirectoryName(_foreign.AuthorityPath)!, "node-1-pinned.pfx");
        File.WriteAllBytes(path, self.Export(X509ContentType.Pkcs12, ClusterCertificates.Password));
        // As openssl prints them: colon-separated, in any case.
        string Fingerprint(X509Certificate2 c) => string.Join(":", Enumerable.Range(0, 32).Select(i => PeerCertificateValidator.Sha256Thumbprint(c).Substring(i * 2, 2))).ToLowerInvariant();
        var node = SiloCertificates.Load(new SiloTlsOptions
        {
            CertificatePath = path,
            CertificatePassword = ClusterCertificates.Password,
            AllowedThumbprints = [Fingerprint(self), Fingerprint(listed)],
        });
        Assert.Null(node.Peers.Refusal(listed));
        Assert.Contains("is not in Node:Tls:AllowedThumbprints", node.Peers.Refusal(unlisted));
        Assert.Contains("not a SHA-256 fingerprint", Refusal(new SiloTlsOptions
        {
            CertificatePath = path,
            CertificatePassword = ClusterCertificates.Password,
            AllowedThumbprints = [Fingerprint(self), "12:34"],
        }));
    }

    /// <summary>The whole node, as Program builds it: it stops before opening anything, so none needs a database.</summary>
    private sealed class Node(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Voki", "Host=127.0.0.1;Port=1;Database=none");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }

    [Fact]
    public void The_node_refuses_to_start_on_an_unreadable_certificate()
    {
        var settings = _cluster.PfxNode("node-1");
        settings["Node:Tls:CertificatePath"] = "/nonexistent/node-1.pfx";
        using var node = new Node(settings);
        var thrown = Record.Exception(() => node.Server);
        while (thrown is TargetInvocationException or AggregateException && thrown.InnerException is not null) thrown = thrown.InnerException;
        var refusal = Assert.IsType<SiloTlsConfigurationException>(thrown);
        Assert.StartsWith("Voki refuses to start: silo-to-silo TLS (Node:Tls) is configured but unusable", refusal.Message);
        Assert.Contains("Node__Tls__CertificatePath", refusal.Message);
    }

    [Theory]
    [InlineData("Production", "10.0.0.11", false, true)]
    [InlineData("Production", "127.0.0.1", false, false)]
    [InlineData("Development", "10.0.0.11", false, false)]
    [InlineData("Production", "10.0.0.11", true, false)]
    public void Outside_development_a_silo_reachable_from_other_machines_without_tls_is_warned_about(
        string environment, string address, bool tls, bool warned)
    {
        var node = new NodeOptions { AdvertisedAddress = address };
        var certificates = tls ? SiloCertificates.Load(Options(_cluster.PfxNode("node-1"))) : null;
        var logger = new RecordingLogger();
        new ClusterTrafficReport(node, certificates, new HostEnvironment(environment), logger).StartAsync(default);
        Assert.Equal(warned, logger.Warnings.Any(w => w.Contains("neither encrypted nor authenticated")));
    }

    private sealed class HostEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Voki.Api";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    private sealed class RecordingLogger : ILogger<ClusterTrafficReport>
    {
        public List<string> Warnings { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _foreign.Dispose();
    }
}

namespace Voki.Tests.Infrastructure;

/// <summary>
/// A Voki node on a real loopback port, for clients outside the test process (the official
/// JavaScript client under node). Its own database and collection, like <see cref="VokiApp"/>.
/// </summary>
public sealed class KestrelVokiApp : VokiApp
{
    public int Port { get; } = FreePorts.Next();

    public KestrelVokiApp() => UseKestrel(Port);

    private KestrelVokiApp(VokiApp cluster) : base(cluster) => UseKestrel(Port);

    /// <summary>A further node of <paramref name="cluster"/>'s cluster on a real port of its own.</summary>
    public static KestrelVokiApp NodeOf(VokiApp cluster) => new(cluster);

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    protected override void StartHost() => StartServer();
}

[CollectionDefinition(Name)]
public sealed class KestrelCollection : ICollectionFixture<KestrelVokiApp>
{
    public const string Name = "kestrel";
}

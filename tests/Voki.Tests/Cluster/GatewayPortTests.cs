using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Cluster;

/// <summary>
/// Nothing in Voki is an Orleans client, so a node opens no client gateway unless Node:GatewayPort asks for one:
/// by default the node's process listens on its HTTP port and its silo port and on nothing else.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GatewayPortTests
{
    [Fact]
    public async Task By_default_a_node_listens_on_its_http_and_silo_ports_only()
    {
        await using var database = await TestDatabase.CreateAsync();
        var siloPort = FreePorts.Next();
        await using var node = NodeProcess.Start(database.ConnectionString, database.Name,
            new Dictionary<string, string> { ["Node:SiloPort"] = siloPort.ToString() });
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(new[] { node.BaseAddress.Port, siloPort }.Order(), ListeningTcpPorts(node.ProcessId).Order());
    }

    [Fact]
    public async Task Node_GatewayPort_opens_the_gateway_on_that_port()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (siloPort, gatewayPort) = (FreePorts.Next(), FreePorts.Next());
        await using var node = NodeProcess.Start(database.ConnectionString, database.Name, new Dictionary<string, string>
        {
            ["Node:SiloPort"] = siloPort.ToString(),
            ["Node:GatewayPort"] = gatewayPort.ToString(),
        });
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(new[] { node.BaseAddress.Port, siloPort, gatewayPort }.Order(), ListeningTcpPorts(node.ProcessId).Order());
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gatewayPort);
        Assert.True(client.Connected);
    }

    /// <summary>The TCP ports <paramref name="processId"/> listens on: its socket inodes matched against the kernel's table.</summary>
    private static int[] ListeningTcpPorts(int processId)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }
        const string Listen = "0A";
        return new[] { "tcp", "tcp6" }
            .SelectMany(table => File.ReadLines($"/proc/{processId}/net/{table}").Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == Listen && inodes.Contains(fields[9]))
            .Select(fields => int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber))
            .Distinct()
            .ToArray();
    }
}

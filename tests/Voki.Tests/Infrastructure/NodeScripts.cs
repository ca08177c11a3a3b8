using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Voki.Tests.Infrastructure;

/// <summary>Runs a script of tests/js under node (packages installed by ./voki test) and returns the JSON line it prints last.</summary>
public static class NodeScripts
{
    public static async Task<JsonNode> Run(string script, JsonObject argument, TimeSpan? timeout = null)
    {
        var folder = Path.Combine(RepositoryRoot(), "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "phoenix")),
            "tests/js/node_modules is missing: ./voki test installs it (npm ci --prefix tests/js)");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument.ToJsonString());
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await node.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish: {await stderr}");
        }
        Assert.True(node.ExitCode == 0, $"node {script} exited {node.ExitCode}: {await stderr}\n{await stdout}");
        return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Voki.sln"))) return dir.FullName;
        throw new InvalidOperationException("Voki.sln not found above " + AppContext.BaseDirectory);
    }
}

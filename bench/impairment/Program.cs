using System.Globalization;
using System.Text;
using Voki.Bench.Impairment;
using Voki.Tests.Browser;
using Voki.Tests.Impairment;

// bench/impairment: two Chromium peers through a running Voki node, then the same two connected directly, under each
// network condition in turn (bench/impairment/run.sh starts the node in a private network namespace).
// Usage: Voki.Bench.Impairment --base URL --media-port P --recordings DIR --camera Y4M [--seconds 20] [--only N,...] [--out FILE]
var options = Options.Parse(args);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!NetworkImpairment.InPrivateNamespace) { Console.Error.WriteLine("run me through bench/impairment/run.sh (a private network namespace)"); return 2; }

await using var chromium = new ChromiumHandle(Chromium.With($"--use-file-for-fake-video-capture={options.Camera}"));
await chromium.Browser.InitializeAsync();
var window = TimeSpan.FromSeconds(options.Seconds);
var results = new List<(Condition Condition, Figures Voki, Figures Direct)>();
var conditions = Condition.All.Where((_, i) => options.Only is null || options.Only.Contains(i + 1)).ToList();
foreach (var condition in conditions)
{
    Console.WriteLine($"[bench/impairment] {condition.Name}: through Voki");
    var voki = await ThroughVoki(condition);
    Console.WriteLine($"  {voki}");
    Console.WriteLine($"[bench/impairment] {condition.Name}: directly ({condition.Direct})");
    var direct = await Directly(condition);
    Console.WriteLine($"  {direct}");
    results.Add((condition, voki, direct));
}
var table = Report.Table(results, options.Seconds);
Console.WriteLine();
Console.WriteLine(table);
if (options.Out is { } file) await File.WriteAllTextAsync(file, table);
return 0;

async Task<Figures> ThroughVoki(Condition condition)
{
    await using var call = await RecordedCall.InChromium(chromium.Browser.Browser, options.BaseUrl);
    var (customer, attendant) = (call.Customer!, call.Attendant);
    (string, Func<Task<VideoStatsSample>>)[] sides = [("customer", () => RecordedCall.Sample(customer)), ("attendant", () => RecordedCall.Sample(attendant))];
    var steady = await RecordedCall.Steady(TimeSpan.FromSeconds(10), sides);
    int customerPort = (await RecordedCall.Sample(customer)).LocalPort ?? 0, attendantPort = (await RecordedCall.Sample(attendant)).LocalPort ?? 0;
    Stretch stretch;
    await using (var network = await NetworkImpairment.Create("bench_voki", options.MediaPort))
        stretch = await Stretch.Measure(() => condition.ThroughVoki(network, (customerPort, attendantPort), window), sides);
    (TimeSpan?, TimeSpan?)? recovered = condition.Lifts ? await Recovered(sides) : null;
    var (webm, capture) = await call.CompleteAndCompose(options.Recordings);
    var tiles = await RecordedMotion.Measure(webm, capture, stretch.FromUnixMs, stretch.ToUnixMs);
    var attendantId = call.Tenant.Attendant.Id;
    return new Figures(steady, stretch.Direction("customer"), stretch.Direction("attendant"),
        tiles.Single(t => t.ParticipantId == "customer"), tiles.Single(t => t.ParticipantId == attendantId), recovered);
}

async Task<Figures> Directly(Condition condition)
{
    await using var call = await DirectCall.Connect(chromium.Browser);
    (string, Func<Task<VideoStatsSample>>)[] sides = [("customer", () => DirectCall.Sample(call.Offerer)), ("attendant", () => DirectCall.Sample(call.Answerer))];
    var steady = await RecordedCall.Steady(TimeSpan.FromSeconds(15), sides);
    var offererPort = (await DirectCall.Sample(call.Offerer)).LocalPort ?? throw new InvalidOperationException("the direct pair did not connect");
    Stretch stretch;
    await using (var network = await NetworkImpairment.Create("bench_direct", offererPort))
        stretch = await Stretch.Measure(() => condition.Directly(network, window), sides);
    (TimeSpan?, TimeSpan?)? recovered = condition.Lifts ? await Recovered(sides) : null;
    return new Figures(steady, stretch.Direction("customer"), stretch.Direction("attendant"), null, null, recovered);
}

// Both directions at once, from the moment the condition lifted; 15 s so that a miss of the 10 s target shows by how much.
async Task<(TimeSpan? FromCustomer, TimeSpan? FromAttendant)> Recovered((string, Func<Task<VideoStatsSample>> Sample)[] sides)
{
    var limit = TimeSpan.FromSeconds(15);
    var fromCustomer = Recovery.Measure(sides[0].Sample, sides[1].Sample, limit);
    var fromAttendant = Recovery.Measure(sides[1].Sample, sides[0].Sample, limit);
    return (await fromCustomer, await fromAttendant);
}

/// <summary>Video from the customer (received by the attendant) and from the attendant (received by the customer), with the recording's tiles through Voki.</summary>
/// <param name="Recovered">For a condition that lifts: how long after it each receiver was back to full frame rate and resolution (null: not within 15 s).</param>
public sealed record Figures(bool Steady, Direction FromCustomer, Direction FromAttendant, TileMotion? CustomerTile, TileMotion? AttendantTile,
    (TimeSpan? FromCustomer, TimeSpan? FromAttendant)? Recovered)
{
    public override string ToString() =>
        $"{(Steady ? "" : "(not steady before) ")}customer → attendant: sent {FromCustomer.Sent}; received {FromCustomer.Received}" +
        $" | attendant → customer: sent {FromAttendant.Sent}; received {FromAttendant.Received}" +
        (CustomerTile is null ? "" : $" | recording {CustomerTile}; {AttendantTile}") +
        (Recovered is { } r ? $" | back to full after the condition lifted: {Report.Seconds(r.FromCustomer)} / {Report.Seconds(r.FromAttendant)}" : "");
}

public sealed class ChromiumHandle(Chromium browser) : IAsyncDisposable
{
    public Chromium Browser => browser;
    public async ValueTask DisposeAsync() => await browser.DisposeAsync();
}

public sealed record Options(string BaseUrl, int MediaPort, string Recordings, string Camera, int Seconds, HashSet<int>? Only, string? Out)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return new Options(
            Value("--base") ?? throw new ArgumentException("--base URL"),
            int.Parse(Value("--media-port") ?? throw new ArgumentException("--media-port P"), CultureInfo.InvariantCulture),
            Value("--recordings") ?? throw new ArgumentException("--recordings DIR"),
            Value("--camera") ?? throw new ArgumentException("--camera Y4M"),
            int.Parse(Value("--seconds") ?? "20", CultureInfo.InvariantCulture),
            Value("--only") is { } only ? only.Split(',').Select(int.Parse).ToHashSet() : null,
            Value("--out"));
    }
}

public static class Report
{
    /// <summary>A Markdown table: per condition, Voki's figures, the direct connection's, and Voki's as a ratio to the direct ones.</summary>
    public static string Table(IReadOnlyList<(Condition Condition, Figures Voki, Figures Direct)> results, int seconds)
    {
        var text = new StringBuilder();
        text.AppendLine($"Each cell: video from the customer (as the attendant receives it) / video from the attendant (as the customer receives it), over {seconds} s.");
        text.AppendLine();
        text.AppendLine("| condition | path | encoded fps | decoded fps | freezes | frozen s (browser) | stalled s | NACKs | PLIs | kbit/s received | recording pictures/s | recording frozen s | back to full s after it lifts |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (condition, voki, direct) in results)
        {
            text.AppendLine(Row(condition.Name, "Voki", voki));
            text.AppendLine(Row("", $"direct ({condition.Direct})", direct));
            text.AppendLine(Ratio(voki, direct));
        }
        return text.ToString();
    }

    private static string Pair(Figures f, Func<Direction, double?> value, string format) =>
        $"{Show(value(f.FromCustomer), format)} / {Show(value(f.FromAttendant), format)}";

    private static string Show(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Row(string condition, string path, Figures f) =>
        $"| {condition} | {path}{(f.Steady ? "" : " (not steady before)")} | {Pair(f, d => d.Sent.EncodedFps, "F1")} | {Pair(f, d => d.Received.DecodedFps, "F1")} | " +
        $"{Pair(f, d => d.Received.Freezes, "F0")} | {Pair(f, d => d.Received.FrozenSeconds, "F2")} | {Pair(f, d => d.Received.StalledSeconds, "F2")} | {Pair(f, d => d.Received.Nacks, "F0")} | " +
        $"{Pair(f, d => d.Received.Plis, "F0")} | {Pair(f, d => d.Received.Kbps, "F0")} | " +
        (f.CustomerTile is null ? "— | — |" : $"{f.CustomerTile.PicturesPerSecond:F1} / {f.AttendantTile!.PicturesPerSecond:F1} | {f.CustomerTile.FrozenSeconds:F2} / {f.AttendantTile.FrozenSeconds:F2} |") +
        (f.Recovered is { } r ? $" {Seconds(r.FromCustomer)} / {Seconds(r.FromAttendant)} |" : " — |");

    /// <summary>A recovery time in seconds, "> 15" when there was none within the limit.</summary>
    public static string Seconds(TimeSpan? time) => time is { } t ? t.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "> 15";

    private static string Ratio(Figures voki, Figures direct)
    {
        string R(Func<Figures, Direction> side, Func<Direction, double?> value)
        {
            double? v = value(side(voki)), d = value(side(direct));
            return v is { } a && d is { } b && b != 0 ? (a / b).ToString("F2", CultureInfo.InvariantCulture) : "—";
        }
        string Both(Func<Direction, double?> value) => $"{R(f => f.FromCustomer, value)} / {R(f => f.FromAttendant, value)}";
        string Tile(TileMotion? tile, Direction direct) => tile is null || direct.Received.DecodedFps == 0 ? "—" : (tile.PicturesPerSecond / direct.Received.DecodedFps).ToString("F2", CultureInfo.InvariantCulture);
        return $"| | Voki ÷ direct | {Both(d => d.Sent.EncodedFps)} | {Both(d => d.Received.DecodedFps)} | {Both(d => d.Received.Freezes)} | {Both(d => d.Received.FrozenSeconds)} | {Both(d => d.Received.StalledSeconds)} | " +
            $"{Both(d => d.Received.Nacks)} | {Both(d => d.Received.Plis)} | {Both(d => d.Received.Kbps)} | " +
            $"{Tile(voki.CustomerTile, direct.FromCustomer)} / {Tile(voki.AttendantTile, direct.FromAttendant)} (of direct decoded fps) | — | — |";
    }
}

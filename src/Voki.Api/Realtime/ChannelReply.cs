using System.Text.Json;
using Voki.Api.Infrastructure;

namespace Voki.Api.Realtime;

/// <summary>
/// The payload of a <c>phx_reply</c>: <c>{"status": "ok"|"error", "response": {…}}</c>. <see cref="Then"/>
/// runs after the reply is queued, for pushes that must follow it (the SDP answer after the offer's ok).
/// </summary>
public sealed record ChannelReply(bool Ok, string ResponseJson)
{
    public const string Unauthorized = "unauthorized", UnmatchedTopic = "unmatched topic", UnknownEvent = "unknown event", RateLimited = "rate limited";

    public Func<Task>? Then { get; init; }

    public static ChannelReply Success(object? response = null) => new(true, response is null ? "{}" : JsonSerializer.Serialize(response, Json.Options));

    public static ChannelReply Failure(string reason) => new(false, JsonSerializer.Serialize(new { reason }, Json.Options));

    public string PayloadJson => $$"""{"status":"{{(Ok ? "ok" : "error")}}","response":{{ResponseJson}}}""";
}

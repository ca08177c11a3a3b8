using System.Buffers;
using System.Text.Json;

namespace Voki.Api.Realtime;

/// <summary>
/// One Phoenix Channels message. <see cref="JoinRef"/> and <see cref="Ref"/> are kept as raw JSON
/// (<c>"12"</c>, <c>12</c>) or null, so a reply echoes them exactly as the client sent them.
/// </summary>
public sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload);

/// <summary>The reserved events and topic of the protocol.</summary>
public static class PhoenixEvents
{
    public const string Join = "phx_join", Leave = "phx_leave", Reply = "phx_reply", Close = "phx_close", Error = "phx_error";
    public const string Heartbeat = "heartbeat", SocketTopic = "phoenix";
}

/// <summary>The two JSON serializers of Phoenix: V1 objects (<c>vsn=1.0.0</c>, the default) and V2 arrays (<c>vsn=2.0.0</c>).</summary>
public enum PhoenixWireFormat { V1, V2 }

/// <summary>
/// Encoding and decoding of text frames. V2 frames are <c>[join_ref, ref, topic, event, payload]</c>;
/// V1 frames are <c>{join_ref, ref, topic, event, payload}</c>. Either shape is accepted on input,
/// and replies use the format the client asked for with <c>vsn</c>.
/// </summary>
public static class PhoenixFrame
{
    public static PhoenixWireFormat FormatFor(string? vsn) =>
        vsn is not null && vsn.StartsWith("2.", StringComparison.Ordinal) ? PhoenixWireFormat.V2 : PhoenixWireFormat.V1;

    public static bool TryDecode(ReadOnlyMemory<byte> utf8, out PhoenixMessage message)
    {
        message = null!;
        try
        {
            using var document = JsonDocument.Parse(utf8);
            var root = document.RootElement;
            switch (root.ValueKind)
            {
                case JsonValueKind.Array when root.GetArrayLength() == 5:
                    return Build(root[0], root[1], root[2], root[3], root[4], out message);
                case JsonValueKind.Object:
                    return Build(Property(root, "join_ref"), Property(root, "ref"), Property(root, "topic"), Property(root, "event"),
                        Property(root, "payload"), out message);
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static byte[] Encode(PhoenixWireFormat format, string? joinRef, string? @ref, string topic, string @event, string payloadJson)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + payloadJson.Length);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            if (format == PhoenixWireFormat.V2)
            {
                writer.WriteStartArray();
                WriteRef(writer, joinRef);
                WriteRef(writer, @ref);
                writer.WriteStringValue(topic);
                writer.WriteStringValue(@event);
                writer.WriteRawValue(payloadJson, skipInputValidation: true);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("join_ref"); WriteRef(writer, joinRef);
                writer.WritePropertyName("ref"); WriteRef(writer, @ref);
                writer.WriteString("topic", topic);
                writer.WriteString("event", @event);
                writer.WritePropertyName("payload");
                writer.WriteRawValue(payloadJson, skipInputValidation: true);
                writer.WriteEndObject();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool Build(JsonElement joinRef, JsonElement @ref, JsonElement topic, JsonElement @event, JsonElement payload, out PhoenixMessage message)
    {
        message = null!;
        if (topic.ValueKind != JsonValueKind.String || @event.ValueKind != JsonValueKind.String) return false;
        if (!IsRef(joinRef) || !IsRef(@ref)) return false;
        message = new PhoenixMessage(RawRef(joinRef), RawRef(@ref), topic.GetString()!, @event.GetString()!,
            payload.ValueKind == JsonValueKind.Undefined ? EmptyObject : payload.Clone());
        return true;
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static JsonElement Property(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) ? value : default;

    private static bool IsRef(JsonElement e) => e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.String or JsonValueKind.Number;

    private static string? RawRef(JsonElement e) => e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : e.GetRawText();

    private static void WriteRef(Utf8JsonWriter writer, string? raw)
    {
        if (raw is null) writer.WriteNullValue();
        else writer.WriteRawValue(raw, skipInputValidation: true);
    }
}

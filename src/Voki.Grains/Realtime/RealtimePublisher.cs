using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace Voki.Grains.Realtime;

/// <summary>
/// Builds <see cref="RealtimeEvent"/>s and publishes them on the "Events" streams. Delivery is best effort:
/// the state change that caused an event is already saved, so a failed publish is logged, never thrown.
/// </summary>
public static class RealtimePublisher
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    public static RealtimeEvent Event(string name, object payload, string? targetParticipantId = null) =>
        new() { Event = name, Payload = JsonSerializer.Serialize(payload, Options), TargetParticipantId = targetParticipantId };

    /// <summary>ISO 8601 UTC with second precision and a Z, like every timestamp of the API.</summary>
    public static string Timestamp(DateTime t) =>
        DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static StreamId Stream(string streamNamespace, string key) => StreamId.Create(streamNamespace, key);

    /// <summary>Publishes from inside a grain.</summary>
    public static async Task PublishAsync(this Grain grain, string streamNamespace, string key, RealtimeEvent e)
    {
        try
        {
            await grain.GetStreamProvider(RealtimeStreams.Provider).GetStream<RealtimeEvent>(Stream(streamNamespace, key)).OnNextAsync(e);
        }
        catch (Exception failure)
        {
            grain.GrainContext.ActivationServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(RealtimePublisher))
                .LogWarning(failure, "Could not publish {Event} on {Namespace}/{Key}", e.Event, streamNamespace, key);
        }
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;

namespace Voki.Transcription;

public static class TranscriptionSetup
{
    /// <summary>This node's transcription: options (section "Transcription"), its job slots, and the Whisper transcriber.</summary>
    public static IServiceCollection AddVokiTranscription(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Transcription").Get<TranscriptionOptions>() ?? new TranscriptionOptions();
        services.AddSingleton(options);
        services.AddSingleton<TranscriptionSlots>();
        services.AddSingleton<ICallTranscriber, WhisperCallTranscriber>();
        return services;
    }
}

using System.Text.Json;
using Voki.Grains;

namespace Voki.Api.Infrastructure;

public static class Json
{
    /// <summary>snake_case names, lower-case enum values, UTC timestamps with second precision and a Z (<see cref="ApiJson"/>).</summary>
    public static void Configure(JsonSerializerOptions options) => ApiJson.Configure(options);

    public static JsonSerializerOptions Options => ApiJson.Options;
}

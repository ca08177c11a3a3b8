using System.Security.Cryptography;
using System.Text;

namespace Voki.Api.Webhooks;

/// <summary>
/// The headers that let a receiver trust a delivery (decisions.md "Webhooks"): X-Voki-Signature over the raw body as the
/// docs give it, and X-Voki-Timestamp-Signature over "{X-Voki-Timestamp}.{raw body}", which binds the attempt's time
/// to the body so a receiver can refuse a replayed request.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Voki-Signature", TimestampHeader = "X-Voki-Timestamp",
        TimestampSignatureHeader = "X-Voki-Timestamp-Signature", EventIdHeader = "X-Voki-Event-Id", EventHeader = "X-Voki-Event",
        DeliveryIdHeader = "X-Voki-Delivery-Id";

    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 of the bytes with the secret.</summary>
    public static string Sign(string secret, string content) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(content)));

    public static string SignTimestamped(string secret, long timestamp, string body) => Sign(secret, $"{timestamp}.{body}");

    /// <summary>A new secret: 32 random bytes, URL-safe base64 after a "whsec_" prefix.</summary>
    public static string NewSecret() =>
        "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

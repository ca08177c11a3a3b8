using Voki.Media.Srtp;

namespace Voki.Media.Dtls;

/// <summary>
/// The keys DTLS-SRTP exports (RFC 5764 §4.2): client key | server key | client salt | server salt.
/// </summary>
public sealed record SrtpKeyingMaterial(SrtpProfile Profile, byte[] ClientKey, byte[] ClientSalt, byte[] ServerKey, byte[] ServerSalt)
{
    public const string ExporterLabel = "EXTRACTOR-dtls_srtp";

    public static int Length(SrtpProfile profile) => 2 * (profile.KeyLength() + profile.SaltLength());

    public static SrtpKeyingMaterial Split(SrtpProfile profile, byte[] material)
    {
        int key = profile.KeyLength(), salt = profile.SaltLength();
        return new SrtpKeyingMaterial(profile,
            material[..key], material[(2 * key)..(2 * key + salt)],
            material[key..(2 * key)], material[(2 * key + salt)..(2 * key + 2 * salt)]);
    }

    /// <summary>SRTP contexts for the DTLS server side: we decrypt with the client's keys and encrypt with ours.</summary>
    public (SrtpContext Inbound, SrtpContext Outbound) ServerContexts() =>
        (new SrtpContext(Profile, ClientKey, ClientSalt), new SrtpContext(Profile, ServerKey, ServerSalt));

    public (SrtpContext Inbound, SrtpContext Outbound) ClientContexts() =>
        (new SrtpContext(Profile, ServerKey, ServerSalt), new SrtpContext(Profile, ClientKey, ClientSalt));
}

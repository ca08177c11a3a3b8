namespace Voki.Media.Srtp;

/// <summary>The SRTP protection profiles we negotiate in DTLS use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
public enum SrtpProfile
{
    AesCm128HmacSha1_80 = 0x0001,
    AeadAes128Gcm = 0x0007,
}

public static class SrtpProfiles
{
    /// <summary>Most preferred first: GCM authenticates and encrypts in one pass.</summary>
    public static readonly SrtpProfile[] Preference = [SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1_80];

    public static int KeyLength(this SrtpProfile profile) => 16;

    public static int SaltLength(this SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 12 : 14;

    /// <summary>Bytes an SRTP packet grows by: the GCM tag, or the truncated HMAC-SHA1.</summary>
    public static int RtpOverhead(this SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 16 : 10;
}

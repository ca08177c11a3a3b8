using Voki.Media.Sdp;

namespace Voki.Media.Sfu;

/// <summary>
/// How much one participant's offers may make the SFU hold (section "Media:Offers"). A page publishes one audio and
/// one video track; simulcast (RFC 8853) sends its up to three layers inside one m= section, so two sending
/// sections per kind leave room for a second camera or a screen share without letting an offer publish a
/// hundred tracks. An offer beyond any limit is refused whole with <see cref="OfferRefusedException"/>: nothing
/// of it is applied.
/// </summary>
public sealed class OfferLimits
{
    /// <summary>m= sections in one offer (a re-offer lists our forwarded sections too: two per other participant's publisher).</summary>
    public int MaxSectionsPerOffer { get; set; } = 64;
    /// <summary>Sections one participant sends on (published tracks), per kind.</summary>
    public int MaxSendingSectionsPerKind { get; set; } = 2;
    /// <summary>m= lines the SFU keeps for one participant across renegotiations: its own and those it receives on.</summary>
    public int MaxLinesPerPeer { get; set; } = 64;
    /// <summary>Published tracks of all participants of one call together: sixteen participants with audio and video.</summary>
    public int MaxPublishedTracksPerCall { get; set; } = 32;
}

/// <summary>
/// An offer beyond the <see cref="OfferLimits"/>. An <see cref="SdpException"/>, so the signalling layer returns its
/// reason to the client as it does for a malformed offer.
/// </summary>
public sealed class OfferRefusedException(string reason) : SdpException($"Offer refused: {reason}", null);

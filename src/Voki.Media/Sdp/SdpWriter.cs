using System.Text;

namespace Voki.Media.Sdp;

/// <summary>Our ICE and DTLS identity as written into every description we send (ICE-lite, RFC 8445 §2.5).</summary>
public sealed record LocalTransport(string IceUfrag, string IcePassword, string FingerprintSha256, string Address, int Port);

/// <summary>
/// Writes the SFU's answers and offers (JSEP, RFC 8829): BUNDLE over every accepted section, rtcp-mux,
/// ICE-lite with our single host candidate, and one codec per section (video with its RTX, RFC 4588, when the peer has one).
/// </summary>
public static class SdpWriter
{
    public static string Write(IReadOnlyList<MediaLine> lines, LocalTransport local, ulong sessionId, int version, bool isOffer)
    {
        var sdp = new StringBuilder();
        void Line(string text) => sdp.Append(text).Append("\r\n");
        Line("v=0");
        Line($"o=voki {sessionId} {version} IN IP4 {local.Address}");
        Line("s=-");
        Line("t=0 0");
        var bundled = lines.Where(l => !l.Rejected).Select(l => l.Mid).ToList();
        if (bundled.Count > 0) Line("a=group:BUNDLE " + string.Join(' ', bundled));
        Line("a=ice-lite");
        Line("a=msid-semantic: WMS *");
        foreach (var m in lines)
        {
            if (m.Rejected)
            {
                Line($"m={m.Kind} 0 {m.Protocol} {(m.Kind == "application" ? "webrtc-datachannel" : "0")}");
                Line("c=IN IP4 0.0.0.0");
                Line($"a=mid:{m.Mid}");
                Line("a=inactive");
                continue;
            }
            var pt = m.PayloadType!.Value;
            var rtx = m.Kind == "video" ? m.RtxPayloadType : null;
            Line($"m={m.Kind} 9 {m.Protocol} {pt}{(rtx is null ? "" : $" {rtx}")}");
            Line($"c=IN IP4 {local.Address}");
            Line("a=rtcp:9 IN IP4 0.0.0.0");
            Line($"a=ice-ufrag:{local.IceUfrag}");
            Line($"a=ice-pwd:{local.IcePassword}");
            Line($"a=fingerprint:sha-256 {local.FingerprintSha256}");
            Line(isOffer ? "a=setup:actpass" : "a=setup:passive");
            Line($"a=mid:{m.Mid}");
            Line($"a={m.Direction}");
            Line("a=rtcp-mux");
            foreach (var (id, uri) in m.Extensions) Line($"a=extmap:{id} {uri}");
            var transportCc = m.Extensions.Any(e => e.Uri == Rtp.TransportFeedback.ExtensionUri);
            if (m.Kind == "audio")
            {
                Line($"a=rtpmap:{pt} {Codecs.OpusName}");
                if (transportCc) Line($"a=rtcp-fb:{pt} transport-cc");
                Line($"a=fmtp:{pt} minptime=10;useinbandfec=1");
            }
            else
            {
                Line($"a=rtpmap:{pt} {Codecs.Vp8Name}");
                Line($"a=rtcp-fb:{pt} goog-remb");
                if (transportCc) Line($"a=rtcp-fb:{pt} transport-cc");
                Line($"a=rtcp-fb:{pt} ccm fir");
                Line($"a=rtcp-fb:{pt} nack");
                Line($"a=rtcp-fb:{pt} nack pli");
                if (m.Direction == "recvonly") Line($"a=fmtp:{pt} x-google-start-bitrate={Codecs.PublisherStartKbps}");
                if (rtx is { } r)
                {
                    Line($"a=rtpmap:{r} {Codecs.RtxName}");
                    Line($"a=fmtp:{r} apt={pt}");
                }
            }
            if (m.ReceiveRids.Count > 0 && m.Direction == "recvonly")
            {
                foreach (var rid in m.ReceiveRids) Line($"a=rid:{rid} recv");
                Line($"a=simulcast:recv {string.Join(';', m.ReceiveRids)}");
            }
            if (m.LocalSsrc is { } ssrc && m.Direction == "sendonly")
            {
                Line($"a=msid:{m.StreamId} {m.TrackId}");
                var repair = rtx is not null ? m.LocalRtxSsrc : null;
                if (repair is not null) Line($"a=ssrc-group:FID {ssrc} {repair}");
                Line($"a=ssrc:{ssrc} cname:voki");
                Line($"a=ssrc:{ssrc} msid:{m.StreamId} {m.TrackId}");
                if (repair is not null)
                {
                    Line($"a=ssrc:{repair} cname:voki");
                    Line($"a=ssrc:{repair} msid:{m.StreamId} {m.TrackId}");
                }
            }
            Line($"a=candidate:1 1 udp 2130706431 {local.Address} {local.Port} typ host");
            Line("a=end-of-candidates");
        }
        return sdp.ToString();
    }
}

//! The payload types a session description maps to the codecs the bot cares about.

/// Payload types of one audio section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayloadTypes {
    /// `telephone-event`: its payload type and clock rate, one per rate offered
    /// (8 kHz beside PCMU, 48 kHz beside opus).
    pub telephone_event: [Option<(u8, u32)>; 2],
    /// PCMU's payload type (0 unless remapped).
    pub pcmu: Option<u8>,
    /// The clock rates of the audio codecs (not telephone-event), by payload type.
    pub audio: [Option<(u8, u32)>; 8],
}

impl PayloadTypes {
    /// The clock rate of `pt` when it is a telephone-event payload type.
    #[must_use]
    pub fn telephone_event_rate(&self, pt: u8) -> Option<u32> {
        self.telephone_event
            .iter()
            .flatten()
            .find(|(p, _)| *p == pt)
            .map(|(_, rate)| *rate)
    }

    /// The clock rate of the audio codec `pt`, if the description maps it.
    #[must_use]
    pub fn audio_rate(&self, pt: u8) -> Option<u32> {
        self.audio
            .iter()
            .flatten()
            .find(|(p, _)| *p == pt)
            .map(|(_, rate)| *rate)
    }
}

/// Reads the `a=rtpmap` lines of `sdp` (every section: the bot's sessions have one).
#[must_use]
pub fn payload_types(sdp: &str) -> PayloadTypes {
    let mut out = PayloadTypes::default();
    for line in sdp.lines() {
        let Some(map) = line.trim().strip_prefix("a=rtpmap:") else {
            continue;
        };
        let Some((pt, encoding)) = map.split_once(' ') else {
            continue;
        };
        let Ok(pt) = pt.trim().parse::<u8>() else {
            continue;
        };
        let mut parts = encoding.trim().split('/');
        let name = parts.next().unwrap_or_default();
        let rate = parts.next().and_then(|r| r.parse::<u32>().ok());
        if name.eq_ignore_ascii_case("telephone-event") {
            if let (Some(rate), Some(slot)) =
                (rate, out.telephone_event.iter_mut().find(|s| s.is_none()))
            {
                *slot = Some((pt, rate));
            }
        } else {
            if name.eq_ignore_ascii_case("PCMU") {
                out.pcmu.get_or_insert(pt);
            }
            if let (Some(rate), Some(slot)) = (rate, out.audio.iter_mut().find(|s| s.is_none())) {
                *slot = Some((pt, rate));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_browser_offer() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n\
                   a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n\
                   a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n\
                   a=rtpmap:bad x\r\n";
        let pts = payload_types(sdp);
        assert_eq!(pts.pcmu, Some(0));
        assert_eq!(pts.telephone_event_rate(110), Some(48_000));
        assert_eq!(pts.telephone_event_rate(126), Some(8_000));
        assert_eq!(pts.telephone_event_rate(111), None);
        assert_eq!(pts.audio_rate(111), Some(48_000));
        assert_eq!(pts.audio_rate(0), Some(8_000));
        assert_eq!(pts.audio_rate(126), None);
    }
}

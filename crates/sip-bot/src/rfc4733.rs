//! RFC 4733 telephone events: the payload parser and a tracker that turns the packets of a
//! stream into one digit per event, with its duration.
//!
//! A sender repeats an event's packet every 50 ms or so with a growing duration, all with
//! the event's start as RTP timestamp, and ends with three copies of the end packet (E bit):
//! so an event is identified by its timestamp, and reported once, at its first end packet.
//!
//! Durations count in the telephone-event clock, but the timestamp is the stream's: libwebrtc
//! sends `telephone-event/8000` beside opus with 48 kHz timestamps (one SSRC, one clock), so
//! the start of an event is read with the audio codec's rate.

/// One event report (the 4 bytes of RFC 4733 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Event code: 0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`.
    pub event: u8,
    /// The E bit: this is (a copy of) the last packet of the event.
    pub end: bool,
    /// Volume in -dBm0 (0 to 63).
    pub volume: u8,
    /// Duration so far, in units of the payload's clock rate.
    pub duration: u16,
}

/// Why a payload is not a telephone event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Fewer than 4 bytes.
    #[error("a telephone-event payload has at least 4 bytes, got {0}")]
    Short(usize),
}

/// Parses the first report of a payload (RFC 4733 allows several; the first is the
/// current event, the rest are redundant copies of older ones).
pub fn parse(payload: &[u8]) -> Result<Report, ParseError> {
    let [event, flags, d0, d1, ..] = *payload else {
        return Err(ParseError::Short(payload.len()));
    };
    Ok(Report {
        event,
        end: flags & 0x80 != 0,
        volume: flags & 0x3f,
        duration: u16::from_be_bytes([d0, d1]),
    })
}

/// The DTMF character of an event code, `None` for codes that are not DTMF (16 and up).
#[must_use]
pub fn digit(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + (event - 12)),
        _ => return None,
    })
}

/// A digit heard on the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Digit {
    /// The tone.
    pub digit: char,
    /// How long the sender says it lasted, in ms.
    pub duration_ms: f64,
    /// Its start on the stream's media clock, in ms (differences between digits are the
    /// sender's spacing, free of network jitter).
    pub media_start_ms: f64,
    /// Whether its end packet was seen (`false`: reported because the next event began).
    pub ended: bool,
}

/// Follows one stream's telephone events.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    /// The event in progress: its RTP timestamp, last report, and whether it was reported.
    current: Option<(u32, Report, bool)>,
    /// Timestamp wraps so far (RTP timestamps start at random and wrap at 2^32), for
    /// starts that keep increasing across a wrap.
    wraps: u64,
}

impl Tracker {
    /// Feeds one packet: its RTP timestamp, the clock rates (Hz) of its payload type and of
    /// the stream's timestamps, and its payload; returns a digit when an event completes.
    pub fn push(
        &mut self,
        timestamp: u32,
        (event_rate, stream_rate): (u32, u32),
        payload: &[u8],
    ) -> Option<Digit> {
        let report = parse(payload).ok()?;
        // A new event whose timestamp is far below the last one's wrapped past 2^32.
        if let Some((last, _, _)) = self.current {
            if timestamp < last && last - timestamp > u32::MAX / 2 {
                self.wraps += 1;
            }
        }
        let wraps = self.wraps;
        let rate = f64::from(event_rate.max(1));
        let stream_rate = f64::from(stream_rate.max(1));
        let to_digit = |ts: u32, r: Report, ended: bool| {
            Some(Digit {
                digit: digit(r.event)?,
                duration_ms: f64::from(r.duration) * 1000.0 / rate,
                media_start_ms: ((wraps << 32) + u64::from(ts)) as f64 * 1000.0 / stream_rate,
                ended,
            })
        };
        match self.current {
            Some((ts, _, reported)) if ts == timestamp => {
                if reported {
                    // A copy of the end packet, or a late packet of a reported event.
                    return None;
                }
                self.current = Some((ts, report, report.end));
                report.end.then(|| to_digit(ts, report, true)).flatten()
            }
            previous => {
                // An event whose end packets were all lost is reported when the next begins;
                // a new event already over then waits for the next copy of its end packet.
                let lost = match previous {
                    Some((ts, r, false)) => to_digit(ts, r, false),
                    _ => None,
                };
                let now = lost.is_none() && report.end;
                self.current = Some((timestamp, report, now));
                if lost.is_some() {
                    return lost;
                }
                now.then(|| to_digit(timestamp, report, true)).flatten()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let [d0, d1] = duration.to_be_bytes();
        [event, if end { 0x80 | 10 } else { 10 }, d0, d1]
    }

    #[test]
    fn parses_the_report() {
        let r = parse(&[11, 0x8a, 0x03, 0x20]).ok();
        assert_eq!(
            r,
            Some(Report {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            })
        );
        assert_eq!(parse(&[1, 2, 3]), Err(ParseError::Short(3)));
        assert_eq!(digit(10), Some('*'));
        assert_eq!(digit(15), Some('D'));
        assert_eq!(digit(16), None);
    }

    #[test]
    fn one_digit_per_event_at_its_end_packet() {
        let mut t = Tracker::default();
        // 100 ms of '5' at 8 kHz: updates every 40 ms, then three end packets.
        assert_eq!(t.push(8000, (8000, 8000), &packet(5, false, 320)), None);
        assert_eq!(t.push(8000, (8000, 8000), &packet(5, false, 640)), None);
        let d = t.push(8000, (8000, 8000), &packet(5, true, 800));
        assert_eq!(
            d,
            Some(Digit {
                digit: '5',
                duration_ms: 100.0,
                media_start_ms: 1000.0,
                ended: true
            })
        );
        assert_eq!(t.push(8000, (8000, 8000), &packet(5, true, 800)), None);
        assert_eq!(t.push(8000, (8000, 8000), &packet(5, true, 800)), None);
        // The next event, 170 ms later on the media clock.
        let d = t.push(8000 + 1360, (8000, 8000), &packet(10, true, 1600));
        assert_eq!(
            d.map(|d| (d.digit, d.duration_ms, d.media_start_ms)),
            Some(('*', 200.0, 1170.0))
        );
    }

    #[test]
    fn an_event_without_end_packets_is_reported_when_the_next_begins() {
        let mut t = Tracker::default();
        assert_eq!(t.push(0, (48000, 48000), &packet(1, false, 4800)), None);
        let d = t.push(48000, (48000, 48000), &packet(2, false, 960));
        assert_eq!(
            d.map(|d| (d.digit, d.duration_ms, d.ended)),
            Some(('1', 100.0, false))
        );
        assert_eq!(t.push(48000, (48000, 48000), &[0, 1]), None);
    }

    #[test]
    fn libwebrtc_stamps_8_khz_events_with_the_48_khz_audio_clock() {
        let mut t = Tracker::default();
        // Measured from Chromium (opus + telephone-event/8000): 240 ms in 8 kHz units,
        // onsets 300 ms apart in 48 kHz timestamps.
        let a = t.push(480_000, (8000, 48000), &packet(1, true, 1920));
        let b = t.push(480_000 + 14_400, (8000, 48000), &packet(2, true, 1920));
        let (Some(a), Some(b)) = (a, b) else {
            panic!("two digits");
        };
        assert_eq!(a.duration_ms, 240.0);
        assert_eq!(b.media_start_ms - a.media_start_ms, 300.0);
    }

    #[test]
    fn starts_keep_increasing_across_a_timestamp_wrap() {
        let mut t = Tracker::default();
        let a = t.push(u32::MAX - 799, (8000, 8000), &packet(1, true, 800));
        let b = t.push(1600, (8000, 8000), &packet(2, true, 800));
        let (Some(a), Some(b)) = (a, b) else {
            panic!("two digits");
        };
        assert_eq!(b.media_start_ms - a.media_start_ms, 300.0);
    }
}

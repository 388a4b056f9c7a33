//! DTMF: our tones by SIP INFO (one at a time, `,` pauses) and the peer's INFO tones.

use crate::call::{refused, Call, CallTimer, Context, RequestHead};
use crate::error::CommandError;
use crate::events::Event;
use crate::message::Message;
use crate::timer::Millis;
use crate::ua::Purpose;
/// How long a `,` in a DTMF string pauses.
pub(crate) const DTMF_PAUSE: Millis = 2000;
/// How long a tone lasts and the silence after it, in ms, unless the user says otherwise
/// (what JsSIP and SIP.js use).
pub(crate) const DTMF_DURATION: u32 = 100;
pub(crate) const DTMF_GAP: u32 = 70;

/// A tone's duration and the gap after it, clamped to RFC 4733-ish bounds (those of
/// `RTCDTMFSender.insertDTMF`): duration 40 to 6000 ms, gap 30 to 6000 ms.
pub(crate) fn dtmf_timing(duration: u32, gap: u32) -> (u32, u32) {
    (duration.clamp(40, 6000), gap.clamp(30, 6000))
}

/// Checks a DTMF string: `0-9 * # A-D` (case-insensitive) and `,` for a pause.
pub(crate) fn validate_tones(tones: &str) -> Result<String, CommandError> {
    if tones.is_empty() {
        return Err(CommandError::NoTones);
    }
    let mut valid = String::with_capacity(tones.len());
    for c in tones.chars() {
        let c = c.to_ascii_uppercase();
        if !(c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | ',')) {
            return Err(CommandError::InvalidTone(c));
        }
        valid.push(c);
    }
    Ok(valid)
}

/// The tone of an INFO body: `application/dtmf-relay` (`Signal=5`) or `application/dtmf` (`5`).
pub(crate) fn info_tone(content_type: &str, body: &str) -> Option<char> {
    let raw = if content_type.eq_ignore_ascii_case("application/dtmf-relay") {
        body.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?
    } else if content_type.eq_ignore_ascii_case("application/dtmf") {
        body.trim()
    } else {
        return None;
    };
    let mut chars = raw.chars();
    let c = chars.next()?.to_ascii_uppercase();
    let valid = c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D');
    // Some phones send events as numbers: 10 = '*', 11 = '#'.
    match (valid, chars.as_str()) {
        (true, "") => Some(c),
        (_, rest)
            if raw == "10"
                || raw == "11"
                || (c == '1' && matches!(rest, "2" | "3" | "4" | "5")) =>
        {
            Some(match raw {
                "10" => '*',
                "11" => '#',
                "12" => 'A',
                "13" => 'B',
                "14" => 'C',
                _ => 'D',
            })
        }
        _ => None,
    }
}

/// The body of an INFO carrying `tone` for `duration` ms.
pub(crate) fn info_body(tone: char, duration: u32) -> String {
    let mut s = String::from("Signal=");
    s.push(tone);
    s.push_str("\r\nDuration=");
    crate::decimal::push(&mut s, u64::from(duration));
    s.push_str("\r\n");
    s
}

impl Call {
    /// The peer's INFO `head` (transaction `server`): a DTMF tone is reported, an empty
    /// body (a keepalive) accepted, anything else refused.
    pub(crate) fn on_info(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: &RequestHead,
        server: usize,
    ) {
        let body = msg.body();
        let mime = msg.content_type().ok().flatten().map_or("", |c| c.mime);
        if body.trim().is_empty() {
            cx.respond(head, Some(server), 200, "OK", None);
            return;
        }
        if let Some(tone) = info_tone(mime, body) {
            cx.respond(head, Some(server), 200, "OK", None);
            cx.emit(Event::Dtmf {
                call: self.info.id.clone(),
                tone,
            });
            return;
        }
        let r = if mime.eq_ignore_ascii_case("application/dtmf-relay")
            || mime.eq_ignore_ascii_case("application/dtmf")
        {
            head.response(400, "Bad DTMF Signal", None)
        } else {
            let mut r = head.response(415, "Unsupported Media Type", None);
            r.push("Accept", "application/dtmf-relay");
            r
        };
        cx.send_response(Some(server), &r);
    }

    /// Sends the next queued tone by INFO, or pauses for a `,`; one INFO at a time, and
    /// the next no sooner than the tone's duration plus the gap after the last one went out.
    pub(crate) fn send_next_dtmf(&mut self, cx: &mut Context<'_>) {
        if cx.now < self.dtmf_next_at {
            let at = self.dtmf_next_at;
            self.timers.set(CallTimer::Dtmf, at);
            return;
        }
        let (duration, gap) = self.dtmf_timing;
        match self.next_dtmf() {
            None => {}
            Some(',') => self.timers.set(CallTimer::Dtmf, cx.now.plus(DTMF_PAUSE)),
            Some(tone) => {
                self.dtmf_in_flight = true;
                self.dtmf_next_at = cx.now.plus(u64::from(duration + gap));
                let body = info_body(tone, duration);
                self.send_in_dialog(cx, Purpose::Info, "INFO", Some(body));
            }
        }
    }

    /// A final response to our INFO; a challenge was answered before, if it could be.
    pub(crate) fn on_info_response(&mut self, cx: &mut Context<'_>, status: u16) {
        if status < 200 {
            return;
        }
        self.dtmf_in_flight = false;
        if self.is_ended() {
            return;
        }
        match status {
            200..=299 => self.send_next_dtmf(cx),
            408 | 481 => self.dialog_failed(cx, status),
            _ => {
                self.dtmf_queue.clear();
                cx.emit(refused("the peer refused a DTMF INFO: ", status));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_are_validated() {
        assert_eq!(validate_tones("12*#abcd,").as_deref(), Ok("12*#ABCD,"));
        assert_eq!(validate_tones("1x"), Err(CommandError::InvalidTone('X')));
        assert_eq!(validate_tones(""), Err(CommandError::NoTones));
        assert_eq!(dtmf_timing(10, 0), (40, 30));
        assert_eq!(dtmf_timing(100, 70), (100, 70));
        assert_eq!(dtmf_timing(9000, 9000), (6000, 6000));
        assert_eq!(info_body('5', 250), "Signal=5\r\nDuration=250\r\n");
    }

    #[test]
    fn info_bodies() {
        assert_eq!(
            info_tone("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(
            info_tone("Application/DTMF-Relay", "signal= #\r\n"),
            Some('#')
        );
        assert_eq!(info_tone("application/dtmf", "11"), Some('#'));
        assert_eq!(info_tone("application/dtmf-relay", "Signal=99\r\n"), None);
        assert_eq!(info_tone("text/plain", "Signal=1"), None);
        assert_eq!(
            info_tone("application/dtmf-relay", &info_body('7', 250)),
            Some('7')
        );
    }
}

//! Registration state (RFC 3261 §10, RFC 5626 outbound): what we asked for, what the
//! registrar granted, and when to refresh.

use crate::message::{Message, SipUri};
use crate::timer::{Instant, Millis, TimerKind, TimerTable};

/// The registration's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegTimer {
    /// Refresh the binding at about half the granted expiry.
    Refresh,
    /// Try again after a transient failure (408, 5xx, 6xx, timeout).
    Retry,
}

impl TimerKind for RegTimer {
    const VALUES: &'static [Self] = &[RegTimer::Refresh, RegTimer::Retry];
    fn index(self) -> usize {
        self as usize
    }
}

/// What the REGISTER in flight is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegAction {
    Register,
    Unregister,
}

/// Delay before retrying a registration after a transient failure.
pub(crate) const RETRY_DELAY: Millis = 30_000;

#[derive(Debug)]
pub(crate) struct Registration {
    /// The application wants to be registered (register() called or auto-register).
    pub(crate) wanted: bool,
    /// The registrar holds our binding.
    pub(crate) registered: bool,
    /// The REGISTER transaction in flight, if any.
    pub(crate) in_flight: Option<RegAction>,
    /// One Call-ID for every REGISTER of this user agent (RFC 3261 §10.2).
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    /// The expiry we ask for (raised by 423 Min-Expires).
    pub(crate) expires: u32,
    /// 423 answers in a row, to stop a registrar that keeps raising the bar.
    pub(crate) interval_retries: u8,
    pub(crate) timers: TimerTable<RegTimer, 2>,
}

impl Registration {
    pub(crate) fn new(call_id: String, expires: u32) -> Registration {
        Registration {
            wanted: false,
            registered: false,
            in_flight: None,
            call_id,
            cseq: 0,
            expires,
            interval_retries: 0,
            timers: TimerTable::default(),
        }
    }

    /// When to refresh a binding granted for `granted` seconds: at half the interval
    /// (never sooner than one second), so a lost refresh still has time to be retried.
    pub(crate) fn refresh_at(now: Instant, granted: u32) -> Instant {
        now.plus((u64::from(granted) * 1000 / 2).max(1000))
    }
}

/// The soonest a credential refresh is asked for: a server handing out credentials that are
/// already (nearly) expired must not start a fetch loop.
pub(crate) const MIN_CREDENTIALS_REFRESH_DELAY: Millis = 5_000;

/// When to ask for fresh credentials that stop working at `expire_at`: `margin` before, but
/// at most a quarter of their remaining lifetime before (with the default 60 s margin an
/// hour-long credential is refreshed a minute ahead, a 20 s one 5 s ahead, so short-lived
/// credentials are not reported expiring at once and again after every refresh), and never
/// sooner than [`MIN_CREDENTIALS_REFRESH_DELAY`] from `now`.
pub(crate) fn credentials_refresh_at(now: Instant, expire_at: Instant, margin: Millis) -> Instant {
    let ahead = margin.min(expire_at.since(now) / 4);
    expire_at
        .minus(ahead)
        .max(now.plus(MIN_CREDENTIALS_REFRESH_DELAY))
}

/// The expiry the registrar granted to our binding in a 2xx: the `expires` parameter
/// of the Contact that matches ours (by URI user and host, or `+sip.instance`), else the
/// Expires header, else `requested`.
pub(crate) fn granted_expires(
    msg: &Message<'_>,
    contact_user: &str,
    contact_host: &str,
    instance: &str,
    requested: u32,
) -> u32 {
    let contacts = msg.contacts();
    let ours = contacts.iter().find(|c| {
        let by_uri = SipUri::parse(c.uri)
            .map(|u| u.user == Some(contact_user) && u.host.eq_ignore_ascii_case(contact_host))
            .unwrap_or(false);
        let by_instance = c
            .params
            .value("+sip.instance")
            .is_some_and(|v| v.trim_start_matches('<').trim_end_matches('>') == instance);
        by_uri || by_instance
    });
    if let Some(e) = ours.and_then(|c| c.expires()) {
        return e;
    }
    msg.expires().ok().flatten().unwrap_or(requested)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::message::parse;

    const OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/WSS h.invalid;branch=z9hG4bKx\r\n\
From: <sip:1001@d>;tag=a\r\n\
To: <sip:1001@d>;tag=b\r\n\
Call-ID: r1\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:other@x.invalid;transport=ws>;expires=3600, <sip:me@h.invalid;transport=ws;ob>;expires=120\r\n\
Expires: 600\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn reads_the_expiry_of_our_contact() {
        let m = parse(OK).expect("valid");
        assert_eq!(
            granted_expires(&m, "me", "h.invalid", "urn:uuid:1", 600),
            120
        );
        assert_eq!(
            granted_expires(&m, "nobody", "z.invalid", "urn:uuid:1", 300),
            600
        );
        assert_eq!(Registration::refresh_at(Instant(0), 120), Instant(60_000));
        assert_eq!(Registration::refresh_at(Instant(0), 0), Instant(1000));
    }
}

//! Transfers (RFC 3515 REFER, RFC 3891 Replaces) of one call: our REFER and the NOTIFY
//! sipfrag progress it brings back (we transfer the peer), the peer's REFER and the NOTIFYs
//! we owe it (the peer transfers us), and the ends a transfer causes. What spans two calls
//! (the new call of an accepted REFER, the call an INVITE with Replaces takes over) is
//! linked by ids here and followed by the user agent (`ua/transfer.rs`).

use crate::call::{Call, CallTimer, Context, RequestHead};
use crate::error::CommandError;
use crate::events::{CallId, EndCause, Event};
use crate::message::{HeaderName, Message, SipUri};
use crate::timer::T1_X64;
use crate::ua::{Owner, Purpose};

/// The transfer state of one call.
#[derive(Debug, Default)]
pub(crate) struct Refer {
    /// Our REFER is out (`false`) or accepted (`true`): NOTIFYs are followed.
    pub(crate) out: Option<bool>,
    /// The peer's REFER, waiting for the application.
    pub(crate) asked: Option<Asked>,
    /// The CSeq of the peer's REFER we accepted: the `id` of the NOTIFYs we send.
    pub(crate) notify_id: Option<u32>,
    /// A new call placed for the peer's REFER: its outcome is NOTIFYed on this call.
    pub(crate) notify_to: Option<CallId>,
    /// Outbound: the Replaces header the INVITE carries (from the Refer-To).
    pub(crate) replaces: Option<String>,
    /// An inbound INVITE with Replaces: the call it takes over once answered.
    pub(crate) replacing: Option<CallId>,
    /// Attended transfer: this call is the target's, handed to the call with this id; a
    /// BYE from the peer, or that transfer's success, ends it as transferred.
    pub(crate) handed_to: Option<CallId>,
    /// How the call ended, for the calls linked to it.
    pub(crate) ended: Option<(EndCause, Option<u16>)>,
}

/// The peer's accepted REFER, until the application says whether to follow it.
#[derive(Debug)]
pub(crate) struct Asked {
    target: String,
    replaces: Option<String>,
}

/// What an accepted REFER asks us to call: the URI and the Replaces header, if any.
pub(crate) struct ReferTarget {
    pub(crate) uri: String,
    pub(crate) number: String,
    pub(crate) replaces: Option<String>,
}

impl Refer {
    /// Whether a transfer of ours is under way.
    pub(crate) fn is_out(&self) -> bool {
        self.out.is_some()
    }
}

impl Call {
    /// Sends REFER with `refer_to` (a header value): one transfer at a time, answered calls only.
    pub(crate) fn transfer(
        &mut self,
        cx: &mut Context<'_>,
        refer_to: String,
    ) -> Result<(), CommandError> {
        if !self.is_answered() || self.refer.out.is_some() {
            return Err(self.wrong_state("transfer"));
        }
        let (_, via) = cx.new_via();
        let Some(dialog) = self.dialog.as_mut() else {
            return Err(self.wrong_state("transfer"));
        };
        let mut m = dialog.next_request("REFER", via);
        m.push("Contact", cx.local.contact.clone())
            .push("Refer-To", refer_to)
            .push("Referred-By", cx.local.name_addr.clone())
            .push("User-Agent", cx.config.user_agent.clone());
        self.refer.out = Some(false);
        cx.send_request(Owner::Call(self.info.id.clone(), Purpose::Refer), m, 0);
        Ok(())
    }

    /// A final response to our REFER (or its timeout, 408).
    pub(crate) fn on_refer_response(&mut self, cx: &mut Context<'_>, status: u16, reason: &str) {
        if self.refer.out != Some(false) || self.is_ended() || status < 200 {
            return;
        }
        if status < 300 {
            self.transfer_accepted(cx);
        } else {
            self.transfer_failed(cx, Some(status), reason);
        }
    }

    fn transfer_accepted(&mut self, cx: &mut Context<'_>) {
        self.refer.out = Some(true);
        self.timers.set(CallTimer::Transfer, cx.now.plus(T1_X64));
        cx.emit(Event::TransferAccepted {
            call: self.info.id.clone(),
        });
    }

    /// Our transfer failed: the call stays as it was.
    pub(crate) fn transfer_failed(&mut self, cx: &mut Context<'_>, status: Option<u16>, why: &str) {
        self.refer.out = None;
        self.timers.stop(CallTimer::Transfer);
        cx.emit(Event::TransferFailed {
            call: self.info.id.clone(),
            status,
            reason: why.to_owned(),
        });
    }

    /// The peer's NOTIFY of our REFER's progress (RFC 3515 §2.4.5): a 2xx sipfrag completes
    /// the transfer (BYE, ended `transferred`), a final failure or a subscription that ends
    /// without a final status fails it, anything else restarts the wait.
    pub(crate) fn on_notify(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: &RequestHead,
        server: usize,
    ) {
        // `refer`, alone or with parameters (values come trimmed).
        let refer_event = msg.header(HeaderName::Event).is_some_and(|v| {
            v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("refer"))
                && matches!(v.as_bytes().get(5), None | Some(b';' | b' ' | b'\t'))
        });
        if !refer_event {
            cx.respond(head, Some(server), 489, "Bad Event", None);
            return;
        }
        if self.refer.out.is_none() {
            cx.respond(head, Some(server), 481, "Subscription Does Not Exist", None);
            return;
        }
        let body = msg.body();
        let frag = sipfrag(body);
        let (status, reason) = if frag.is_none() && !body.is_empty() {
            (400, "Bad sipfrag")
        } else {
            (200, "OK")
        };
        cx.respond(head, Some(server), status, reason, None);
        if self.refer.out == Some(false) {
            // The NOTIFY overtook the 2xx to the REFER: it was accepted.
            self.transfer_accepted(cx);
        }
        let terminated = msg
            .header(HeaderName::SubscriptionState)
            .and_then(|v| v.get(..10))
            .is_some_and(|p| p.eq_ignore_ascii_case("terminated"));
        match frag {
            Some((status, _)) if (200..300).contains(&status) => {
                self.refer.out = None;
                self.timers.stop(CallTimer::Transfer);
                self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
                self.end(cx, EndCause::Transferred, None);
            }
            Some((status, reason)) if status >= 300 => {
                self.transfer_failed(cx, Some(status), reason);
            }
            _ if terminated => {
                self.transfer_failed(cx, None, "the transfer ended without a final status")
            }
            _ => self.timers.set(CallTimer::Transfer, cx.now.plus(T1_X64)),
        }
    }

    /// The peer's REFER `head` (transaction `server`): a bad Refer-To is refused with 400,
    /// a second one while the first waits with 491; else it is accepted (202, as JsSIP does:
    /// the application's answer may take longer than the transaction) and the application
    /// is asked whether to follow it.
    pub(crate) fn on_refer(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: RequestHead,
        server: usize,
    ) {
        if !self.is_answered() || self.refer.asked.is_some() {
            cx.respond(&head, Some(server), 491, "Request Pending", None);
            return;
        }
        let target = msg
            .refer_to()
            .ok()
            .flatten()
            .and_then(|n| refer_target(n.uri));
        let Some((target, replaces)) = target else {
            cx.respond(&head, Some(server), 400, "Bad Refer-To", None);
            return;
        };
        cx.respond(&head, Some(server), 202, "Accepted", None);
        self.refer.notify_id = Some(head.cseq);
        cx.emit(Event::TransferRequested {
            call: self.info.id.clone(),
            target: target.clone(),
        });
        self.refer.asked = Some(Asked { target, replaces });
    }

    /// Answers the peer's waiting transfer: a first NOTIFY (100 Trying) when `accept`,
    /// returning what to call; a final NOTIFY 603 Decline otherwise.
    pub(crate) fn answer_refer(
        &mut self,
        cx: &mut Context<'_>,
        accept: bool,
    ) -> Result<Option<ReferTarget>, CommandError> {
        let Some(asked) = self.refer.asked.take() else {
            return Err(self.wrong_state(if accept {
                "accept a transfer of"
            } else {
                "reject a transfer of"
            }));
        };
        self.send_notify(cx, if accept { 100 } else { 603 }, !accept);
        if !accept {
            return Ok(None);
        }
        let number = SipUri::parse(&asked.target)
            .ok()
            .map(|u| u.user.unwrap_or(u.host))
            .unwrap_or_default()
            .to_owned();
        Ok(Some(ReferTarget {
            uri: asked.target,
            number,
            replaces: asked.replaces,
        }))
    }

    /// Reports the outcome `status` of the call placed for the peer's REFER (RFC 3515 §2.4.4:
    /// a final sipfrag ends the implicit subscription); on success this call is over.
    pub(crate) fn notify_refer(&mut self, cx: &mut Context<'_>, status: u16) {
        self.send_notify(cx, status, true);
        if (200..300).contains(&status) {
            self.hand_over(cx);
        }
    }

    /// Ends the call as transferred: BYE, cause `transferred`.
    pub(crate) fn hand_over(&mut self, cx: &mut Context<'_>) {
        self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        self.end(cx, EndCause::Transferred, None);
    }

    fn send_notify(&mut self, cx: &mut Context<'_>, status: u16, terminated: bool) {
        let (_, via) = cx.new_via();
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let mut m = dialog.next_request("NOTIFY", via);
        let mut event = String::from("refer;id=");
        crate::decimal::push(&mut event, u64::from(self.refer.notify_id.unwrap_or(0)));
        let mut frag = String::from("SIP/2.0 ");
        crate::decimal::push(&mut frag, u64::from(status));
        frag.push(' ');
        frag.push_str(crate::call::uas::reason(status));
        frag.push_str("\r\n");
        m.push("Contact", cx.local.contact.clone())
            .push("Event", event)
            .push(
                "Subscription-State",
                if terminated {
                    "terminated;reason=noresource"
                } else {
                    "active;expires=60"
                },
            )
            .with_body("message/sipfrag;version=2.0", frag);
        cx.send_request(Owner::Call(self.info.id.clone(), Purpose::Notify), m, 0);
    }
}

/// The status line of a `message/sipfrag` body (RFC 3420): `SIP/2.0 200 OK`.
fn sipfrag(body: &str) -> Option<(u16, &str)> {
    let rest = body.strip_prefix("SIP/2.0 ")?;
    let end = rest
        .bytes()
        .position(|b| b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    let line = rest.get(..end)?;
    let mut status = 0u16;
    for (i, b) in line.bytes().enumerate() {
        match (i, b) {
            (0..=2, b'0'..=b'9') => status = status * 10 + u16::from(b - b'0'),
            (3, b' ') => break,
            _ => return None,
        }
    }
    let reason = line.get(4..).unwrap_or_default();
    (100..700).contains(&status).then_some((status, reason))
}

/// The URI to call and the Replaces value (unescaped, checked) of a Refer-To URI; `None`
/// for anything but a `sip:`/`sips:` URI with a well-formed Replaces.
fn refer_target(uri: &str) -> Option<(String, Option<String>)> {
    SipUri::parse(uri).ok()?;
    let (base, headers) = uri.split_once('?').unwrap_or((uri, ""));
    let mut replaces = None;
    for h in headers.split('&').filter(|h| !h.is_empty()) {
        let (name, value) = h.split_once('=')?;
        if name.eq_ignore_ascii_case("Replaces") {
            let value = unescape(value)?;
            replaces_tags(&value)?;
            replaces = Some(value);
        }
    }
    Some((base.to_owned(), replaces))
}

/// `%XX`-unescapes a URI header value; `None` for a bad escape or anything but printable
/// ASCII (a Call-ID and tags are tokens).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        let b = if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()?
        } else {
            b
        };
        if !b.is_ascii_graphic() {
            return None;
        }
        out.push(char::from(b));
    }
    Some(out)
}

/// The Call-ID, to-tag and from-tag of a Replaces value (RFC 3891 §6.1), and whether it is
/// `early-only`; `None` when one is missing.
pub(crate) fn replaces_tags(value: &str) -> Option<(&str, &str, &str, bool)> {
    let mut parts = value.split(';');
    let call_id = parts.next().filter(|c| !c.is_empty())?;
    let (mut to, mut from, mut early) = (None, None, false);
    for p in parts {
        match p.split_once('=') {
            Some((n, v)) if n.eq_ignore_ascii_case("to-tag") => to = Some(v),
            Some((n, v)) if n.eq_ignore_ascii_case("from-tag") => from = Some(v),
            None if p.eq_ignore_ascii_case("early-only") => early = true,
            _ => {}
        }
    }
    Some((call_id, to?, from?, early))
}

/// `%XX`-escapes what may not stand in a URI header value (RFC 3261 §25.1 `hvalue`).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()[]/:+$".contains(&b) {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sipfrag_status_lines() {
        assert_eq!(sipfrag("SIP/2.0 200 OK\r\n"), Some((200, "OK")));
        assert_eq!(
            sipfrag("SIP/2.0 486 Busy Here\r\nVia: x\r\n"),
            Some((486, "Busy Here"))
        );
        assert_eq!(sipfrag("SIP/2.0 100\r\n"), Some((100, "")));
        assert_eq!(sipfrag("hello"), None);
        assert_eq!(sipfrag("SIP/2.0 2000 OK"), None);
        assert_eq!(sipfrag("SIP/2.0 099 x"), None);
        assert_eq!(sipfrag(""), None);
    }

    #[test]
    fn refer_to_uris_and_replaces() {
        let r = escape("a@b;to-tag=1;from-tag=2");
        assert_eq!(r, "a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2");
        let uri = ["sip:1002@d?Replaces=", &r].concat();
        assert_eq!(
            refer_target(&uri),
            Some((
                "sip:1002@d".to_owned(),
                Some("a@b;to-tag=1;from-tag=2".to_owned())
            ))
        );
        assert_eq!(
            refer_target("sip:1002@d;transport=ws"),
            Some(("sip:1002@d;transport=ws".to_owned(), None))
        );
        assert_eq!(refer_target("tel:+123"), None);
        assert_eq!(refer_target("sip:1002@d?Replaces=abc"), None);
        assert_eq!(
            refer_target("sip:1002@d?Replaces=a%0D%0Ab;to-tag=1;from-tag=2"),
            None
        );
        assert_eq!(refer_target("sip:1002@d?Replaces=%zz"), None);
    }
}

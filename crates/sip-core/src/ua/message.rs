//! Pager-mode instant messages (RFC 3428) we receive, in or out of a call's dialog.

use super::Ua;
use crate::call::RequestHead;
use crate::events::{CallId, Event};
use crate::message::{HeaderName, Message, SipUri};
use crate::timer::Instant;

impl Ua {
    /// A MESSAGE received, in the dialog of `call` or out of dialog: answered 200, and any
    /// `text/*` body is delivered with its Content-Type as received. Other types (a typing
    /// indicator, CPIM) get 415 with the types we take (RFC 3428 §7), so the sender can
    /// fall back.
    pub(crate) fn on_message(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        head: &RequestHead,
        server: usize,
        call: Option<CallId>,
    ) {
        // Unused in a dialog: `response` keeps the To tag the request has.
        let tag = self.rng.tag();
        let mime = msg
            .header(HeaderName::ContentType)
            .filter(|m| m.get(..5).is_some_and(|t| t.eq_ignore_ascii_case("text/")));
        let Some(mime) = mime else {
            let mut r = head.response(415, "Unsupported Media Type", Some(&tag));
            r.push("Accept", "text/plain, text/*");
            self.send_response(now, Some(server), &r);
            return;
        };
        self.respond(now, head, Some(server), 200, "OK", Some(&tag));
        let from = msg.from().uri;
        self.emit(Event::Message {
            call,
            from: SipUri::parse(from)
                .ok()
                .and_then(|u| u.user)
                .unwrap_or(from)
                .to_owned(),
            text: msg.body().to_owned(),
            content_type: mime.to_owned(),
        });
    }
}

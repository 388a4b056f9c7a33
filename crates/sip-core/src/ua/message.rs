//! Pager-mode instant messages (RFC 3428): the MESSAGE we send out of dialog, and the ones
//! we receive in or out of a call's dialog.

use super::calls::target_uri;
use super::{Owner, Ua};
use crate::call::RequestHead;
use crate::dialog::angle;
use crate::error::CommandError;
use crate::events::{CallId, Event};
use crate::message::{HeaderName, Message, SipUri};
use crate::timer::Instant;

/// The most text one MESSAGE carries, in UTF-8 bytes: page mode is for short texts (RFC 3428
/// §7 asks for a session beyond a few kilobytes), and it keeps the request far below what a
/// proxy buffers per message (Kamailio: 64 KiB).
pub const MAX_MESSAGE_BYTES: usize = 8192;

impl Ua {
    /// Sends `text` to `target` (a number or user of our domain, or a `sip:` URI, as for
    /// [`Ua::call`]) in a MESSAGE of type `text/plain;charset=UTF-8`, answering a 401 or 407
    /// with our credentials. Its outcome is the [`Event::Pong`] that carries `id` (the
    /// caller's name for it): the final status, 408 when none came within 32 s (Timer F).
    /// Made while there is no flow, it goes when one opens, as it goes again on the next flow
    /// when one drops.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty text or one over
    /// [`MAX_MESSAGE_BYTES`], [`CommandError::InvalidTarget`], [`CommandError::ShutDown`];
    /// nothing is sent then.
    pub fn send_message(
        &mut self,
        now: Instant,
        target: &str,
        text: &str,
        id: u16,
    ) -> Result<(), CommandError> {
        if text.is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(CommandError::InvalidArgument(
                "a message text is 1 to 8192 bytes",
            ));
        }
        if self.shutting_down {
            return Err(CommandError::ShutDown);
        }
        let (uri, _) = target_uri(target, &self.local.domain)?;
        self.send_out_of_dialog(now, Owner::Message(id), "MESSAGE", &uri, angle(&uri), text);
        Ok(())
    }

    /// The outcome of our MESSAGE `id`: its final status, or 408 when none came.
    pub(super) fn message_answered(&mut self, id: u16, status: u16) {
        self.emit(Event::Pong {
            id: Some(id),
            status,
            rtt_ms: 0,
        });
    }

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

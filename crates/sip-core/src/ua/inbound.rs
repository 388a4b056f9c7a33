//! Received messages: parsing, matching to transactions and dialogs, and the
//! answers that need no call (OPTIONS, 481, 405, 400).

use super::{Owner, ServerEntry, Ua};
use crate::call::{invite_sibling, sent_by, RequestHead};
use crate::events::{ErrorScope, Event};
use crate::message::{self, HeaderName, Message, Method};
use crate::outgoing::Outgoing;
use crate::timer::Instant;
use crate::transaction::{ClientKind, ServerTx, Verdict};

impl Ua {
    pub(crate) fn on_received(&mut self, now: Instant, text: &str) {
        let msg = match message::parse(text) {
            Ok(m) => m,
            Err(err) => {
                let why = err.message();
                if let Some(reply) = bad_request(text, &why) {
                    self.transmit(reply);
                }
                let mut detail = String::from("dropped a malformed message: ");
                detail.push_str(&why);
                self.emit(Event::Error {
                    scope: ErrorScope::Protocol,
                    detail,
                });
                return;
            }
        };
        match msg.status() {
            Some(status) => self.on_response(now, &msg, status),
            None => self.on_request(now, &msg),
        }
    }

    // ----- responses ------------------------------------------------------------

    fn on_response(&mut self, now: Instant, msg: &Message<'_>, status: u16) {
        let Some(branch) = msg.top_via().and_then(|v| v.branch()) else {
            return;
        };
        let method = msg.cseq().method;
        let Some(index) = self
            .clients
            .iter()
            .position(|c| c.tx.branch == branch && c.tx.method == method.as_str())
        else {
            return;
        };
        let Some(entry) = self.clients.get_mut(index) else {
            return;
        };
        match entry.tx.on_response(now, status) {
            Verdict::Absorb => return,
            Verdict::Retransmission => {
                if let Some(ack) = entry.tx.ack.clone() {
                    self.transmit(ack);
                }
                return;
            }
            Verdict::Deliver => {}
        }
        // A failure to an INVITE is ACKed by the transaction (RFC 3261 §17.1.1.3).
        if entry.tx.kind() == ClientKind::Invite && status >= 300 {
            // Same Request-URI, Via (branch), Route, From, Call-ID and CSeq number; To from the response.
            let to = msg.header(HeaderName::To).unwrap_or_default().to_owned();
            let ack = invite_sibling(&entry.request, "ACK", to).render();
            entry.tx.ack = Some(ack.clone());
            self.transmit(ack);
        }
        let Some((owner, request, auth_attempts)) = self
            .clients
            .get(index)
            .map(|e| (e.owner.clone(), e.request.clone(), e.auth_attempts))
        else {
            return;
        };
        self.learn_from_response(&request, status);
        match owner {
            Owner::Register => self.on_register_response(now, msg, status, request, auth_attempts),
            Owner::Call(id, purpose) => {
                self.on_call_response(now, msg, &id, purpose, request, auth_attempts)
            }
            Owner::Detached => {
                if status == 401 || status == 407 {
                    self.authenticate(now, msg, owner, request, auth_attempts);
                }
            }
            // A MESSAGE's outcome is its final answer, once any challenge is answered.
            Owner::Message(id) => {
                if !((status == 401 || status == 407)
                    && self.authenticate(now, msg, owner, request, auth_attempts))
                    && status > 199
                {
                    self.message_answered(id, status);
                }
            }
            // The frame itself was the proof of life (keepalive_heard); a challenge or a
            // refusal says the same.
            Owner::Probe(None) => {}
            Owner::Probe(Some(sent)) => self.emit(Event::Pong {
                id: None,
                status,
                rtt_ms: now.since(sent),
            }),
        }
    }

    // ----- requests -------------------------------------------------------------

    fn on_request(&mut self, now: Instant, msg: &Message<'_>) {
        let Some(method) = msg.method() else {
            return;
        };
        let Some(top) = msg.top_via() else {
            return;
        };
        let branch = top.branch().unwrap_or_default();
        let via_sent_by = sent_by(top.host, top.port);

        // Retransmissions and the ACK of a failure belong to their server transaction.
        if let Some(i) = self.find_server(branch, &via_sent_by, method.as_str()) {
            let Some(entry) = self.servers.get_mut(i) else {
                return;
            };
            match entry.tx.on_request(now, method.as_str()) {
                Verdict::Retransmission => {
                    if let Some(r) = entry.tx.last_response.clone() {
                        self.transmit(r);
                    }
                }
                Verdict::Deliver => self.on_dialog_ack(now, msg),
                Verdict::Absorb => {}
            }
            return;
        }
        let head = RequestHead::of(msg);
        if method == Method::Ack {
            self.on_dialog_ack(now, msg);
            return;
        }
        if msg.from().tag().is_none() {
            self.respond_tagged(now, &head, None, 400, "Missing From tag");
            return;
        }
        if method == Method::Cancel {
            self.on_cancel(now, msg, &head, branch, &via_sent_by);
            return;
        }
        let server = self.new_server(branch, &via_sent_by, method.as_str());
        if msg.to().tag().is_some() {
            self.on_in_dialog_request(now, msg, head, server);
            return;
        }
        match method {
            Method::Invite => self.on_initial_invite(now, msg, head, server),
            Method::Message => self.on_message(now, msg, &head, server, None),
            Method::Options => {
                let r = self.options_response(&head);
                self.send_response(now, Some(server), &r);
            }
            _ => {
                let mut r = head.response(405, "Method Not Allowed", Some(&self.rng.tag()));
                r.push("Allow", super::ALLOW);
                self.send_response(now, Some(server), &r);
            }
        }
    }

    pub(crate) fn new_server(&mut self, branch: &str, sent_by: &str, method: &str) -> usize {
        self.servers.push(ServerEntry {
            tx: ServerTx::new(branch, sent_by, method),
        });
        self.servers.len() - 1
    }

    /// Sends a response that carries only the headers copied from the request.
    pub(crate) fn respond(
        &mut self,
        now: Instant,
        head: &RequestHead,
        server: Option<usize>,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) {
        self.context(now)
            .respond(head, server, status, reason, to_tag);
    }

    /// [`Ua::respond`] with a fresh To tag, for a request answered without a dialog.
    pub(crate) fn respond_tagged(
        &mut self,
        now: Instant,
        head: &RequestHead,
        server: Option<usize>,
        status: u16,
        reason: &str,
    ) {
        let tag = self.rng.tag();
        self.respond(now, head, server, status, reason, Some(&tag));
    }

    pub(crate) fn options_response(&mut self, head: &RequestHead) -> Outgoing {
        let tag = self.rng.tag();
        let mut r = head.response(200, "OK", Some(&tag));
        r.push("Allow", super::ALLOW)
            .push("Accept", "application/sdp, application/dtmf-relay")
            .push("Supported", "outbound")
            .push("User-Agent", self.config.user_agent.clone());
        r
    }

    fn on_cancel(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        head: &RequestHead,
        branch: &str,
        via_sent_by: &str,
    ) {
        let server = self.new_server(branch, via_sent_by, "CANCEL");
        let invite = self.find_server(branch, via_sent_by, "INVITE");
        let Some(invite) = invite else {
            self.respond_tagged(
                now,
                head,
                Some(server),
                481,
                "Call/Transaction Does Not Exist",
            );
            return;
        };
        self.respond(now, head, Some(server), 200, "OK", msg.to().tag());
        let invite_final = self.servers.get(invite).is_none_or(|s| s.tx.is_final());
        if invite_final {
            return;
        }
        let index = self.calls.iter().position(|c| {
            c.uas_invite
                .as_ref()
                .is_some_and(|h| h.branch == branch && h.call_id == msg.call_id())
        });
        if let Some((call, mut cx)) = index.and_then(|i| self.call_at(now, i)) {
            call.on_remote_cancel(&mut cx, invite);
        }
    }

    /// A request with a To tag: find its dialog or answer 481.
    fn on_in_dialog_request(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        head: RequestHead,
        server: usize,
    ) {
        let from_tag = msg.from().tag().unwrap_or_default();
        let to_tag = msg.to().tag().unwrap_or_default();
        let call = self.calls.iter().position(|c| {
            !c.is_ended()
                && c.dialog
                    .as_ref()
                    .is_some_and(|d| d.matches_request(msg.call_id(), from_tag, to_tag))
        });
        let Some(index) = call else {
            self.respond(
                now,
                &head,
                Some(server),
                481,
                "Call/Transaction Does Not Exist",
                None,
            );
            return;
        };
        let in_order = self
            .calls
            .get_mut(index)
            .and_then(|c| c.dialog.as_mut())
            .is_some_and(|d| d.accept_remote_cseq(head.cseq));
        if !in_order {
            self.respond(now, &head, Some(server), 500, "CSeq Out of Order", None);
            return;
        }
        match msg.method() {
            Some(Method::Message) => {
                let id = self.calls.get(index).map(|c| c.info.id.clone());
                self.on_message(now, msg, &head, server, id);
                return;
            }
            Some(Method::Options) => {
                let r = self.options_response(&head);
                self.send_response(now, Some(server), &r);
                return;
            }
            _ => {}
        }
        // The call found above acts (no second look-up by id).
        let Some((call, mut cx)) = self.call_at(now, index) else {
            return;
        };
        match msg.method() {
            Some(Method::Invite | Method::Update) => call.on_reinvite(&mut cx, msg, head, server),
            Some(Method::Bye) => call.on_bye(&mut cx, &head, server),
            Some(Method::Info) => call.on_info(&mut cx, msg, &head, server),
            Some(Method::Refer) => call.on_refer(&mut cx, msg, head, server),
            Some(Method::Notify) => call.on_notify(&mut cx, msg, &head, server),
            _ => {
                let mut r = head.response(501, "Not Implemented", None);
                r.push("Allow", super::ALLOW);
                cx.send_response(Some(server), &r);
            }
        }
    }

    /// The ACK of a 2xx (a new transaction, matched by dialog).
    fn on_dialog_ack(&mut self, now: Instant, msg: &Message<'_>) {
        let from_tag = msg.from().tag().unwrap_or_default();
        let to_tag = msg.to().tag().unwrap_or_default();
        let index = self.calls.iter().position(|c| {
            c.dialog
                .as_ref()
                .is_some_and(|d| d.matches_request(msg.call_id(), from_tag, to_tag))
        });
        if let Some((call, mut cx)) = index.and_then(|i| self.call_at(now, i)) {
            call.on_ack(&mut cx, msg.sdp_body());
        }
    }
}

/// A 400 for a request the parser refused, when enough of it can be read to route a
/// response (request line, Via, From, To, Call-ID, CSeq): a lenient line scan, never
/// trusted beyond copying those lines back.
fn bad_request(text: &str, why: &str) -> Option<String> {
    // Lines end in CRLF or a bare LF; a CR left at the very end is trimmed with the value.
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next()?;
    let mut parts = first.split(' ');
    let method = parts.next()?;
    let _uri = parts.next()?;
    if parts.next()? != "SIP/2.0"
        || method == "ACK"
        || method.starts_with("SIP/")
        || method.is_empty()
    {
        return None;
    }
    let mut vias = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq) = (None, None, None, None);
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.contains(['\r', '\n']) {
            continue;
        }
        match HeaderName::parse(name.trim()) {
            HeaderName::Via => vias.push(value),
            HeaderName::From => from = Some(value),
            HeaderName::To => to = Some(value),
            HeaderName::CallId => call_id = Some(value),
            HeaderName::CSeq => cseq = Some(value),
            _ => {}
        }
    }
    // The response goes back along the top Via: one that does not parse could not be routed.
    let top = vias.first()?.split(',').next()?;
    crate::message::Via::parse(top.trim()).ok()?;
    // `why` is a `ParseError`'s message: our own words and numbers, one short line.
    let mut reason = String::from("Bad Request - ");
    reason.push_str(why);
    let mut r = Outgoing::response(400, &reason);
    for v in vias {
        r.push("Via", v.to_owned());
    }
    r.push("From", from?.to_owned());
    let mut to = to?.to_owned();
    if !crate::search::contains(&to, ";tag=") {
        to.push_str(";tag=400");
    }
    r.push("To", to)
        .push("Call-ID", call_id?.to_owned())
        .push("CSeq", cseq?.to_owned());
    Some(r.render())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_copies_the_routing_headers() {
        let text = "INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\nf: <sip:c@d>;tag=1\r\nt: <sip:a@b>\r\ni: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\n";
        let reply =
            bad_request(text, "Content-Length 99 does not match body length 0").expect("a 400");
        let parsed = message::parse(&reply).expect("our 400 parses");
        assert_eq!(parsed.status(), Some(400));
        assert_eq!(parsed.call_id(), "abc");
        assert!(parsed.to().tag().is_some());
        assert!(bad_request("SIP/2.0 200 OK\r\n\r\n", "x").is_none());
        assert!(bad_request("ACK sip:a SIP/2.0\r\nVia: x\r\n\r\n", "x").is_none());
        assert!(bad_request("garbage", "x").is_none());
        // Found by the whole-UA fuzz target: a 400 whose top Via does not parse could not be
        // routed back, so none is sent.
        let bad_via = text.replace("SIP/2.0/WSS x.invalid;", "\u{fffd}*0;");
        assert!(bad_request(&bad_via, "invalid Via header").is_none());
    }
}

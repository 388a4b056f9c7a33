//! What a call borrows from its user agent while it acts (the rustls `Context` pattern):
//! the time, the RNG, our identity and settings, the output queue and the transactions.
//! The user agent looks a call up once and lends it these; a call never sees another.

use std::collections::VecDeque;

use crate::call::RequestHead;
use crate::events::{CallId, Event};
use crate::media::MediaCommand;
use crate::message::AuthKind;
use crate::outgoing::{Outgoing, Start};
use crate::rng::Rng;
use crate::timer::Instant;
use crate::transaction::ClientTx;
use crate::ua::{
    find_server, fresh_via, preauthorize, AuthCache, ClientEntry, Local, Output, Owner,
    ServerEntry, UaConfig,
};

/// The shared state a call acts through, borrowed from the user agent for one input.
pub(crate) struct Context<'a> {
    pub(crate) now: Instant,
    pub(crate) rng: &'a mut Rng,
    pub(crate) local: &'a Local,
    pub(crate) config: &'a UaConfig,
    pub(crate) outputs: &'a mut VecDeque<Output>,
    /// Whether the transport is open: text sent while it is not is lost, as on a real wire.
    pub(crate) connected: bool,
    pub(crate) clients: &'a mut Vec<ClientEntry>,
    pub(crate) servers: &'a mut Vec<ServerEntry>,
    /// The credentials of the last accepted challenge, reused pre-emptively.
    pub(crate) auth: &'a mut AuthCache,
}

impl Context<'_> {
    pub(crate) fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    pub(crate) fn media(&mut self, call: &CallId, command: MediaCommand) {
        self.outputs.push_back(Output::Media {
            call: call.clone(),
            command,
        });
    }

    /// Sends text if the transport is open; otherwise it is lost, as on a real wire.
    pub(crate) fn transmit(&mut self, text: String) {
        if self.connected {
            self.outputs.push_back(Output::Transmit(text));
        }
    }

    /// A fresh Via value with a new branch.
    pub(crate) fn new_via(&mut self) -> (String, String) {
        fresh_via(self.rng, &self.local.host)
    }

    /// Starts a client transaction for `request` (whose first header is its Via).
    pub(crate) fn send_request(
        &mut self,
        owner: Owner,
        request: Outgoing,
        auth_attempts: u8,
    ) -> String {
        let mut branch = String::new();
        if let Some(via) = request.get("Via") {
            if let Some((_, after)) = crate::search::split_once(via, ";branch=") {
                match crate::search::split_once(after, ";") {
                    Some((b, _)) => branch.push_str(b),
                    None => branch.push_str(after),
                }
            }
        }
        let text = request.render();
        let tx = ClientTx::new(
            self.now,
            branch.clone(),
            request.method().unwrap_or_default(),
            text.clone(),
        );
        self.clients.push(ClientEntry {
            tx,
            owner,
            request,
            auth_attempts,
        });
        self.transmit(text);
        branch
    }

    /// Sends a response within server transaction `index` (or statelessly when `None`).
    pub(crate) fn send_response(&mut self, server: Option<usize>, response: &Outgoing) {
        let status = match &response.start {
            Start::Response { status, .. } => *status,
            Start::Request { .. } => return,
        };
        let text = response.render();
        if let Some(entry) = server.and_then(|i| self.servers.get_mut(i)) {
            if !entry.tx.on_send(self.now, status, text.clone()) {
                return;
            }
        }
        self.transmit(text);
    }

    /// Sends a response that carries only the headers copied from `head` (and our To tag,
    /// when given): one body for the many short answers keeps them out of every caller.
    pub(crate) fn respond(
        &mut self,
        head: &RequestHead,
        server: Option<usize>,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) {
        let r = head.response(status, reason, to_tag);
        self.send_response(server, &r);
    }

    /// Puts credentials from the last accepted challenge on `request`, as `kind`.
    pub(crate) fn preauthorize(&mut self, request: &mut Outgoing, kind: AuthKind) {
        preauthorize(self.auth, self.rng, self.config, request, kind);
    }

    /// A dialog-creating response: Record-Route copied, our Contact.
    pub(crate) fn dialog_response(
        &self,
        head: &RequestHead,
        status: u16,
        reason: &str,
        local_tag: &str,
    ) -> Outgoing {
        let mut r = head.response(status, reason, Some(local_tag));
        for rr in &head.record_routes {
            r.push("Record-Route", rr.clone());
        }
        r.push("Contact", self.local.contact.clone());
        r
    }

    /// Refuses an offer with no codec the browser can use: 488 with a Warning naming what it
    /// offered (RFC 3261 §13.3.1.1, §20.43). Returns the warning text, for the application.
    pub(crate) fn refuse_offer(
        &mut self,
        head: &RequestHead,
        server: Option<usize>,
        offer: &str,
        to_tag: Option<&str>,
    ) -> String {
        let (code, text) = crate::sdp::audio_refusal(offer);
        let mut warning = crate::decimal::string(u64::from(code));
        warning.push(' ');
        warning.push_str(&self.local.host);
        warning.push_str(" \"");
        warning.push_str(&text);
        warning.push('"');
        let mut r = head.response(488, "Not Acceptable Here", to_tag);
        r.push("Warning", warning);
        self.send_response(server, &r);
        text
    }

    /// The server transaction of a received request, by branch, sent-by and method.
    pub(crate) fn find_server(&self, branch: &str, sent_by: &str, method: &str) -> Option<usize> {
        find_server(self.servers, branch, sent_by, method)
    }
}

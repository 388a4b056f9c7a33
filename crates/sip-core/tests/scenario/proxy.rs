//! A tiny stateless proxy and registrar: routes by AOR or by registered Contact, adds
//! Record-Route, challenges REGISTER with digest (MD5 or SHA-256), can demand
//! Min-Expires. Digest is verified with its own hashing, not the crate's module.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use sip_core::message::{self, AuthKind};

pub const DOMAIN: &str = "test.local";
pub const RR: &str = "<sip:proxy.test.local;lr>";

#[derive(Clone, Debug)]
pub struct Binding {
    pub user: String,
    pub contact_user: String,
    pub contact_host: String,
    pub contact: String,
    pub phone: usize,
}

/// Where the proxy sends a message: to a phone index.
pub type Forward = (usize, String);

pub struct Proxy {
    pub sha256: bool,
    pub password: String,
    pub nonce: String,
    pub nonce_serial: u32,
    pub min_expires: Option<u32>,
    pub grant: Option<u32>,
    pub bindings: Vec<Binding>,
    /// Every REGISTER received, as text.
    pub registers: Vec<String>,
    /// Every request forwarded or answered, as text (requests from phones).
    pub seen: Vec<String>,
    /// Demand Proxy-Authorization on initial INVITEs and on MESSAGEs out of dialog (407),
    /// like Kamailio's auth_challenge.
    pub auth_invites: bool,
    /// Refuse a nonce-count not above the last one seen for the nonce (Kamailio's
    /// `nonce_count` on); off, a nonce is reusable until rotated (its default).
    pub strict_nc: bool,
    /// The highest nc accepted per nonce.
    pub last_nc: std::collections::HashMap<String, u32>,
    /// Challenges sent (401 and 407).
    pub challenges: usize,
    /// Keepalive pings answered.
    pub pings: usize,
    /// Answer CRLF pings (Kamailio does; RFC 7118 servers need not).
    pub answer_pings: bool,
    /// The status for an OPTIONS to the domain itself; `None`: routed like any request
    /// (no such user: 404).
    pub options_status: Option<(u16, &'static str)>,
    /// An RFC 5626 edge (§5.3, as Kamailio's outbound module does it): the Record-Route of
    /// an initial INVITE carries a flow token naming the sender's flow (`epoch.phone.flow`
    /// in the user part); an in-dialog request whose Route token names another
    /// sender's flow goes to that flow, or gets 430 when it is gone, and 403 when the
    /// token is from an earlier epoch (the edge restarted with a new secret).
    pub edge: bool,
    /// The edge's secret: a restart changes it.
    pub epoch: u32,
    /// The current flow of each phone (`Phone::flow`), kept by the network.
    pub flows: Vec<u32>,
}

impl Proxy {
    pub fn new() -> Proxy {
        Proxy {
            sha256: false,
            password: "secret".into(),
            nonce: "n0".into(),
            nonce_serial: 0,
            min_expires: None,
            grant: None,
            bindings: Vec::new(),
            registers: Vec::new(),
            seen: Vec::new(),
            auth_invites: false,
            strict_nc: false,
            last_nc: Default::default(),
            challenges: 0,
            pings: 0,
            answer_pings: true,
            options_status: None,
            edge: false,
            epoch: 0,
            flows: Vec::new(),
        }
    }

    pub fn rotate_nonce(&mut self) {
        self.nonce_serial += 1;
        self.nonce = format!("n{}", self.nonce_serial);
    }

    /// Handles a message from `phone`; returns what to deliver where.
    pub fn handle(&mut self, phone: usize, text: &str) -> Vec<Forward> {
        // RFC 5626 §4.4.1 keepalive, answered like Kamailio's websocket module does.
        if text == "\r\n\r\n" {
            if !self.answer_pings {
                return Vec::new();
            }
            self.pings += 1;
            return vec![(phone, "\r\n".to_owned())];
        }
        let Ok(msg) = message::parse(text) else {
            return Vec::new();
        };
        if msg.is_request() {
            self.seen.push(text.to_owned());
            if msg.method().map(|m| m.as_str()) == Some("REGISTER") {
                self.registers.push(text.to_owned());
                return vec![(phone, self.register(phone, &msg))];
            }
            let method = msg
                .method()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default();
            if let Some((code, reason)) = self.options_status {
                if method == "OPTIONS" && msg.request_uri() == Some(&format!("sip:{DOMAIN}")[..]) {
                    let answer = match code {
                        401 => self.challenge(&msg, false, AuthKind::Www),
                        407 => self.challenge(&msg, false, AuthKind::Proxy),
                        _ => fix_len(reply(&msg, code, reason)),
                    };
                    return vec![(phone, answer)];
                }
            }
            if self.auth_invites && msg.to().tag() == Some("proxytag") {
                // The ACK of our own 407.
                return Vec::new();
            }
            if self.auth_invites
                && (method == "INVITE" || method == "MESSAGE")
                && msg.to().tag().is_none()
            {
                match self.check_auth(&msg, &method, AuthKind::Proxy) {
                    Auth::Ok => {}
                    Auth::Stale => {
                        return vec![(phone, self.challenge(&msg, true, AuthKind::Proxy))]
                    }
                    Auth::Missing | Auth::Wrong => {
                        return vec![(phone, self.challenge(&msg, false, AuthKind::Proxy))]
                    }
                }
            }
            if self.edge && msg.to().tag().is_some() {
                if let Some(out) = self.edge_route(phone, text, &msg) {
                    return out;
                }
            }
            self.forward_request(phone, text, &msg)
        } else {
            forward_response(text)
        }
    }

    /// Routes an in-dialog request by the flow token of its first Route, or `None` when
    /// the token names the sender's own flow ("outgoing": routed by the Request-URI).
    fn edge_route(
        &mut self,
        phone: usize,
        text: &str,
        msg: &message::Message<'_>,
    ) -> Option<Vec<Forward>> {
        let route = msg.header(message::HeaderName::Route)?;
        let user = route.strip_prefix("<sip:")?.split_once('@')?.0;
        let mut parts = user.split('.').map(|n| n.parse::<u32>().ok());
        let (Some(Some(epoch)), Some(Some(to)), Some(Some(flow))) =
            (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let to = to as usize;
        let ack = msg.method().map(|m| m.as_str()) == Some("ACK");
        let refuse = |code, reason| {
            if ack {
                Vec::new()
            } else {
                vec![(phone, fix_len(reply(msg, code, reason)))]
            }
        };
        if epoch != self.epoch {
            return Some(refuse(403, "Forbidden"));
        }
        let current = |p: usize| self.flows.get(p).copied().unwrap_or(0);
        if to == phone && flow == current(phone) {
            return None;
        }
        if flow != current(to) {
            return Some(refuse(430, "Flow Failed"));
        }
        // Forwarded to the flow whatever the Request-URI says.
        let mut out = self.forward_request(phone, text, msg);
        for (p, _) in out.iter_mut() {
            *p = to;
        }
        Some(out)
    }

    fn register(&mut self, phone: usize, msg: &message::Message<'_>) -> String {
        let user = sip_core::message::SipUri::parse(msg.to().uri)
            .ok()
            .and_then(|u| u.user)
            .unwrap_or("")
            .to_owned();
        match self.check_auth(msg, "REGISTER", AuthKind::Www) {
            Auth::Ok => {}
            Auth::Missing => return self.challenge(msg, false, AuthKind::Www),
            Auth::Stale => return self.challenge(msg, true, AuthKind::Www),
            Auth::Wrong => return self.challenge(msg, false, AuthKind::Www),
        }
        let contact = msg.contacts().into_iter().next();
        let expires = contact
            .as_ref()
            .and_then(|c| c.expires())
            .or(msg.expires().ok().flatten())
            .unwrap_or(3600);
        if let Some(min) = self.min_expires {
            if expires != 0 && expires < min {
                let mut r = reply(msg, 423, "Interval Too Brief");
                r.insert_str(r.len() - 2, &format!("Min-Expires: {min}\r\n"));
                return fix_len(r);
            }
        }
        let Some(contact) = contact else {
            return fix_len(reply(msg, 400, "No Contact"));
        };
        let uri = sip_core::message::SipUri::parse(contact.uri).expect("contact uri");
        let (cu, ch) = (uri.user.unwrap_or("").to_owned(), uri.host.to_owned());
        self.bindings
            .retain(|b| !(b.contact_user == cu && b.contact_host == ch));
        let granted = self.grant.unwrap_or(expires);
        if expires > 0 {
            self.bindings.push(Binding {
                user,
                contact_user: cu,
                contact_host: ch,
                contact: contact.uri.to_owned(),
                phone,
            });
        }
        let mut r = reply(msg, 200, "OK");
        if expires > 0 {
            r.insert_str(
                r.len() - 2,
                &format!("Contact: <{}>;expires={granted}\r\n", contact.uri),
            );
        }
        fix_len(r)
    }

    fn challenge(&mut self, msg: &message::Message<'_>, stale: bool, kind: AuthKind) -> String {
        self.challenges += 1;
        let alg = if self.sha256 { "SHA-256" } else { "MD5" };
        let (mut r, header) = match kind {
            AuthKind::Www => (reply(msg, 401, "Unauthorized"), "WWW-Authenticate"),
            AuthKind::Proxy => (
                reply(msg, 407, "Proxy Authentication Required"),
                "Proxy-Authenticate",
            ),
        };
        let stale = if stale { ", stale=true" } else { "" };
        r.insert_str(
            r.len() - 2,
            &format!("{header}: Digest realm=\"{DOMAIN}\", nonce=\"{}\", qop=\"auth\", algorithm={alg}{stale}\r\n", self.nonce),
        );
        fix_len(r)
    }

    fn check_auth(&mut self, msg: &message::Message<'_>, method: &str, kind: AuthKind) -> Auth {
        let creds = msg.credentials().unwrap_or_default();
        let Some(c) = creds.iter().find(|c| c.kind == kind) else {
            return Auth::Missing;
        };
        let p = |n: &str| c.param(n).unwrap_or("").to_owned();
        let h = |s: String| -> String {
            if self.sha256 {
                hex(&Sha256::digest(s.as_bytes()))
            } else {
                hex(&Md5::digest(s.as_bytes()))
            }
        };
        let expected_alg = if self.sha256 { "SHA-256" } else { "MD5" };
        let alg = p("algorithm");
        if !(alg.eq_ignore_ascii_case(expected_alg) || (alg.is_empty() && !self.sha256)) {
            return Auth::Wrong;
        }
        let ha1 = h(format!(
            "{}:{}:{}",
            p("username"),
            p("realm"),
            self.password
        ));
        let ha2 = h(format!("{method}:{}", p("uri")));
        let expected = h(format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            p("nonce"),
            p("nc"),
            p("cnonce"),
            p("qop")
        ));
        if expected != p("response") {
            return Auth::Wrong;
        }
        if p("nonce") != self.nonce {
            return Auth::Stale;
        }
        let nc = u32::from_str_radix(&p("nc"), 16).unwrap_or(0);
        let last = self.last_nc.entry(p("nonce")).or_insert(0);
        if self.strict_nc && nc <= *last {
            return Auth::Stale;
        }
        *last = (*last).max(nc);
        Auth::Ok
    }

    fn forward_request(
        &mut self,
        phone: usize,
        text: &str,
        msg: &message::Message<'_>,
    ) -> Vec<Forward> {
        let uri = msg.request_uri().unwrap_or("");
        let parsed = sip_core::message::SipUri::parse(uri).ok();
        let user = parsed.and_then(|u| u.user).unwrap_or("");
        let host = parsed.map(|u| u.host).unwrap_or("");
        let initial = msg.to().tag().is_none();
        let targets: Vec<Binding> = if host.ends_with(".invalid") {
            self.bindings
                .iter()
                .filter(|b| b.contact_user == user && b.contact_host == host)
                .cloned()
                .collect()
        } else {
            self.bindings
                .iter()
                .filter(|b| b.user == user)
                .cloned()
                .collect()
        };
        if targets.is_empty() {
            if msg.method().map(|m| m.as_str()) == Some("ACK") {
                return Vec::new();
            }
            return vec![(phone, fix_len(reply(msg, 404, "Not Found")))];
        }
        // An edge knows when the target's connection is gone (it cannot open one to it).
        if self.edge
            && targets.iter().all(|b| self.flows.get(b.phone) == Some(&0))
            && msg.method().map(|m| m.as_str()) != Some("ACK")
        {
            return vec![(phone, fix_len(reply(msg, 480, "Temporarily Unavailable")))];
        }
        let branch = msg
            .top_via()
            .and_then(|v| v.branch())
            .unwrap_or("x")
            .to_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or("");
        let method = first.split(' ').next().unwrap_or("");
        let rest: Vec<&str> = lines.collect();
        let mut out = Vec::new();
        for (i, b) in targets.iter().enumerate() {
            let request_uri = if host.ends_with(".invalid") {
                uri.to_owned()
            } else {
                b.contact.clone()
            };
            let mut s = format!("{method} {request_uri} SIP/2.0\r\nVia: SIP/2.0/WSS proxy.{DOMAIN};branch=z9hG4bK-p{phone}-{i}-{branch}\r\n");
            if initial && method == "INVITE" {
                if self.edge {
                    let flow = self.flows.get(phone).copied().unwrap_or(0);
                    let epoch = self.epoch;
                    s.push_str(&format!(
                        "Record-Route: <sip:{epoch}.{phone}.{flow}@proxy.{DOMAIN};lr>\r\n"
                    ));
                } else {
                    s.push_str(&format!("Record-Route: {RR}\r\n"));
                }
            }
            let mut route_removed = false;
            for l in &rest {
                if !route_removed && l.starts_with("Route:") && l.contains("proxy.test.local") {
                    route_removed = true;
                    continue;
                }
                s.push_str(l);
                s.push_str("\r\n");
            }
            s.push_str("\r\n");
            s.push_str(body);
            out.push((b.phone, s));
        }
        out
    }
}

enum Auth {
    Ok,
    Missing,
    Stale,
    Wrong,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pops our Via and sends the response to the phone named in its branch.
fn forward_response(text: &str) -> Vec<Forward> {
    let Some(start) = text.find("\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-p") else {
        return Vec::new();
    };
    let line_start = start + 2;
    let line_end = text[line_start..]
        .find("\r\n")
        .map(|e| line_start + e + 2)
        .unwrap_or(text.len());
    let line = &text[line_start..line_end];
    let phone: usize = line
        .split("-p")
        .nth(1)
        .and_then(|s| s.split('-').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let mut out = String::from(&text[..line_start]);
    out.push_str(&text[line_end..]);
    vec![(phone, out)]
}

/// A response copying Via, From, To (+tag), Call-ID, CSeq; ends with "\r\n\r\n".
fn reply(msg: &message::Message<'_>, code: u16, reason: &str) -> String {
    let mut b = message::response_to(msg, code, reason, Some("proxytag"));
    b.header("Server", "test-proxy");
    let mut s = b.finish("");
    // Drop Content-Length so fix_len can add it after extra headers.
    s = s.replace("Content-Length: 0\r\n", "");
    s
}

fn fix_len(mut s: String) -> String {
    s.insert_str(s.len() - 2, "Content-Length: 0\r\n");
    s
}

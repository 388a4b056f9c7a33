//! Dialogs (RFC 3261 §12): the identifiers, route set, remote target and CSeq spaces
//! shared by the requests of one call after the INVITE.

use crate::outgoing::Outgoing;

/// Which side of the dialog we are: the caller owns the Call-ID (it matters for 491 backoff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Uac,
    Uas,
}

/// One dialog, early (from a provisional response) or confirmed (2xx).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dialog {
    pub(crate) role: Role,
    pub(crate) call_id: String,
    pub(crate) local_tag: String,
    pub(crate) remote_tag: String,
    /// Our name-addr (From of our requests) without tag.
    pub(crate) local_uri: String,
    /// The peer's name-addr (To of our requests) without tag.
    pub(crate) remote_uri: String,
    /// The peer's Contact URI: the Request-URI of our requests.
    pub(crate) remote_target: String,
    /// Route header values for our requests, in order.
    pub(crate) route_set: Vec<String>,
    pub(crate) local_cseq: u32,
    pub(crate) remote_cseq: Option<u32>,
    pub(crate) confirmed: bool,
}

impl Dialog {
    /// Whether a request with these identifiers (its From tag is the peer's) is in this dialog.
    pub(crate) fn matches_request(&self, call_id: &str, from_tag: &str, to_tag: &str) -> bool {
        self.call_id == call_id && self.remote_tag == from_tag && self.local_tag == to_tag
    }

    /// Accepts the CSeq of a new request from the peer; false when it is out of order
    /// (RFC 3261 §12.2.2: answer 500).
    pub(crate) fn accept_remote_cseq(&mut self, cseq: u32) -> bool {
        match self.remote_cseq {
            Some(last) if cseq <= last => false,
            _ => {
                self.remote_cseq = Some(cseq);
                true
            }
        }
    }

    /// The next CSeq for a new request of ours.
    pub(crate) fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.local_cseq
    }

    /// A new request of ours in this dialog, with the next CSeq.
    pub(crate) fn next_request(&mut self, method: &str, via: String) -> Outgoing {
        let cseq = self.next_cseq();
        self.request(method, cseq, via)
    }

    /// The Replaces value naming this dialog as the peer sees it (RFC 3891 §3: to-tag is
    /// the peer's tag, from-tag ours).
    pub(crate) fn replaces(&self) -> String {
        let mut s = self.call_id.clone();
        s.push_str(";to-tag=");
        s.push_str(&self.remote_tag);
        s.push_str(";from-tag=");
        s.push_str(&self.local_tag);
        s
    }

    /// A request in this dialog: Request-URI, Via, Route set, To/From with tags, Call-ID, CSeq.
    pub(crate) fn request(&self, method: &str, cseq: u32, via: String) -> Outgoing {
        let mut m = Outgoing::request(method, &self.remote_target);
        m.push("Via", via).push("Max-Forwards", "70");
        for route in &self.route_set {
            m.push("Route", route.clone());
        }
        m.push("To", tagged(&self.remote_uri, &self.remote_tag))
            .push("From", tagged(&self.local_uri, &self.local_tag))
            .push("Call-ID", self.call_id.clone())
            .push("CSeq", format_cseq(cseq, method));
        m
    }
}

/// `name-addr;tag=x`.
pub(crate) fn tagged(uri: &str, tag: &str) -> String {
    let mut s = String::with_capacity(uri.len() + tag.len() + 5);
    s.push_str(uri);
    if !tag.is_empty() {
        s.push_str(";tag=");
        s.push_str(tag);
    }
    s
}

/// `1 INVITE`.
pub(crate) fn format_cseq(n: u32, method: &str) -> String {
    let mut s = crate::decimal::string(u64::from(n));
    s.push(' ');
    s.push_str(method);
    s
}

/// Wraps a bare URI in angle brackets for a header value.
pub(crate) fn angle(uri: &str) -> String {
    let mut s = String::with_capacity(uri.len() + 2);
    s.push('<');
    s.push_str(uri);
    s.push('>');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog() -> Dialog {
        Dialog {
            role: Role::Uac,
            call_id: "c".into(),
            local_tag: "l".into(),
            remote_tag: "r".into(),
            local_uri: "<sip:a@x>".into(),
            remote_uri: "<sip:b@x>".into(),
            remote_target: "sip:b@1.invalid;transport=ws".into(),
            route_set: vec!["<sip:p1;lr>".into(), "<sip:p2;lr>".into()],
            local_cseq: 1,
            remote_cseq: None,
            confirmed: true,
        }
    }

    #[test]
    fn builds_in_dialog_requests() {
        let mut d = dialog();
        let n = d.next_cseq();
        let text = d
            .request("BYE", n, "SIP/2.0/WSS h.invalid;branch=z9hG4bKx".into())
            .render();
        assert!(text.starts_with("BYE sip:b@1.invalid;transport=ws SIP/2.0\r\n"));
        assert!(text.contains("Route: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\n"));
        assert!(text.contains("To: <sip:b@x>;tag=r\r\nFrom: <sip:a@x>;tag=l\r\n"));
        assert!(text.contains("CSeq: 2 BYE\r\n"));
    }

    #[test]
    fn remote_cseq_must_grow() {
        let mut d = dialog();
        assert!(d.accept_remote_cseq(5));
        assert!(!d.accept_remote_cseq(5));
        assert!(d.accept_remote_cseq(6));
        assert!(d.matches_request("c", "r", "l"));
        assert!(!d.matches_request("c", "l", "r"));
    }
}

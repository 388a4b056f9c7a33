//! Transfers across calls: the user's transfer commands (blind, attended with Replaces),
//! the answer to a peer's REFER (which places a new call), the call an INVITE with
//! Replaces takes over, and the outcomes linked calls report to each other. What one
//! call does lives in `call/refer.rs`.

use super::calls::target_uri;
use super::Ua;
use crate::call::{escape, replaces_tags, Refer};
use crate::dialog::{angle, Role};
use crate::error::CommandError;
use crate::events::{CallId, EndCause};
use crate::timer::Instant;

impl Ua {
    /// Blind transfer: asks the peer of the answered call `id` (REFER) to call `target`, a
    /// number or URI as for [`Ua::call`]. [`crate::events::Event::TransferAccepted`] follows
    /// the peer's 2xx; then the call ends `Transferred` when the target answers, or
    /// [`crate::events::Event::TransferFailed`] says why not (the call stays as it was).
    pub fn transfer(
        &mut self,
        now: Instant,
        id: &CallId,
        target: &str,
    ) -> Result<(), CommandError> {
        let (uri, _) = target_uri(target, &self.local.domain)?;
        self.refer(now, id, angle(&uri), None)
    }

    /// Attended transfer: asks the peer of `id` to call the peer of our answered call
    /// `other`, replacing it (RFC 3891): the two peers talk, and both our calls end
    /// `Transferred`.
    pub fn transfer_replacing(
        &mut self,
        now: Instant,
        id: &CallId,
        other: &CallId,
    ) -> Result<(), CommandError> {
        let call = self
            .calls
            .iter()
            .find(|c| &c.info.id == other && !c.is_ended());
        let Some(call) = call.filter(|_| other != id) else {
            return Err(CommandError::UnknownCall(other.0.clone()));
        };
        let Some(d) = call.dialog.as_ref().filter(|_| call.is_answered()) else {
            return Err(call.wrong_state("transfer to"));
        };
        // The target's dialog, seen from the target: its tag is the to-tag.
        let replaces = d.replaces();
        // `<uri>`, as the dialog keeps it.
        let uri = d
            .remote_uri
            .get(1..d.remote_uri.len().saturating_sub(1))
            .unwrap_or_default();
        let refer_to = ["<", uri, "?Replaces=", &escape(&replaces), ">"].concat();
        self.refer(now, id, refer_to, Some(other))
    }

    fn refer(
        &mut self,
        now: Instant,
        id: &CallId,
        refer_to: String,
        other: Option<&CallId>,
    ) -> Result<(), CommandError> {
        let (call, mut cx) = self.live_call(now, id)?;
        call.transfer(&mut cx, refer_to)?;
        if let Some(c) = other.and_then(|o| self.calls.iter_mut().find(|c| &c.info.id == o)) {
            c.refer.handed_to = Some(id.clone());
        }
        self.after(now);
        Ok(())
    }

    /// Accepts the peer's REFER on the call `id` (after
    /// [`crate::events::Event::TransferRequested`]): 202, then a new outbound call to the
    /// target, whose id is returned; its progress is NOTIFYed to the peer, and `id` ends
    /// `Transferred` once it is answered.
    pub fn accept_transfer(&mut self, now: Instant, id: &CallId) -> Result<CallId, CommandError> {
        let (call, mut cx) = self.live_call(now, id)?;
        let target = call.answer_refer(&mut cx, true)?;
        let Some(t) = target else {
            return Err(CommandError::UnknownCall(id.0.clone()));
        };
        let refer = Refer {
            notify_to: Some(id.clone()),
            replaces: t.replaces,
            ..Refer::default()
        };
        let new = self.dial(now, t.uri, t.number, refer, "", "");
        self.after(now);
        Ok(new)
    }

    /// Rejects the peer's REFER on the call `id` with 603 Decline; the call goes on.
    pub fn reject_transfer(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        let (call, mut cx) = self.live_call(now, id)?;
        call.answer_refer(&mut cx, false)?;
        self.after(now);
        Ok(())
    }

    /// The confirmed call an INVITE's Replaces `value` names (RFC 3891 §3; the tags are
    /// taken in either order, as senders differ), or the refusal: 400 for a malformed value,
    /// 481 for no such call, 486 for `early-only`.
    pub(crate) fn replaced_call(&self, value: &str) -> Result<CallId, (u16, &'static str)> {
        let Some((call_id, to, from, early)) = replaces_tags(value) else {
            return Err((400, "Bad Replaces"));
        };
        let found = self.calls.iter().find(|c| {
            !c.is_ended()
                && c.dialog.as_ref().is_some_and(|d| {
                    d.confirmed
                        && d.call_id == call_id
                        && ((d.local_tag == to && d.remote_tag == from)
                            || (d.local_tag == from && d.remote_tag == to))
                })
        });
        match found {
            None => Err((481, "Call/Transaction Does Not Exist")),
            Some(_) if early => Err((486, "Busy Here")),
            // Both ends move the call after an edge restart: the caller's move wins.
            Some(c) if c.moving() && c.dialog.as_ref().is_some_and(|d| d.role == Role::Uac) => {
                Err((491, "Request Pending"))
            }
            Some(c) => Ok(c.info.id.clone()),
        }
    }

    /// Carries outcomes between linked calls: the new call of an accepted REFER NOTIFYs
    /// its answer or failure on the call that was referred; an answered INVITE with
    /// Replaces ends the call it replaces; the target call of our attended transfer ends
    /// with it.
    pub(crate) fn follow_transfers(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            let Some(c) = self.calls.get_mut(i) else {
                break;
            };
            let answered = c.is_answered();
            if answered {
                if let Some(old) = c.refer.replacing.take() {
                    self.link_act(now, &old, None);
                }
            }
            let Some(c) = self.calls.get_mut(i) else {
                break;
            };
            if answered || c.refer.ended.is_some() {
                if let Some(to) = c.refer.notify_to.take() {
                    let status = match c.refer.ended {
                        Some((_, Some(s))) if !answered => s,
                        _ if answered => 200,
                        _ => 487,
                    };
                    self.link_act(now, &to, Some(status));
                }
            }
            // The target call of our attended transfer: over with it, or ours again when it failed.
            let Some(c) = self.calls.get(i) else {
                break;
            };
            if let Some(a) = &c.refer.handed_to {
                let own = c.info.id.clone();
                match self.calls.iter().find(|x| &x.info.id == a) {
                    Some(x) if x.refer.is_out() => {}
                    Some(x)
                        if x.refer
                            .ended
                            .is_some_and(|(e, _)| e == EndCause::Transferred) =>
                    {
                        self.link_act(now, &own, None)
                    }
                    _ => {
                        if let Some(c) = self.calls.get_mut(i) {
                            c.refer.handed_to = None;
                        }
                    }
                }
            }
        }
    }

    /// What a linked call asks of the live call `id`: NOTIFY the outcome `status` of the
    /// transfer it placed, or (`None`) end it as handed over.
    fn link_act(&mut self, now: Instant, id: &CallId, status: Option<u16>) {
        if let Some((call, mut cx)) = self.call_context(now, id) {
            if call.is_ended() {
                return;
            }
            match status {
                Some(s) => call.notify_refer(&mut cx, s),
                None => call.hand_over(&mut cx),
            }
        }
    }
}

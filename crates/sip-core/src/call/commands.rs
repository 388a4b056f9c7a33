//! What the user asks of one call: answer, hold, mute, DTMF. Misuse is an error and
//! changes nothing; the `Ua` has checked that the call is live.

use crate::call::{Call, CallTimer, Context, Negotiation};
use crate::error::CommandError;
use crate::events::{CallDirection, CallState, Event};
use crate::media::MediaCommand;

impl Call {
    /// Answers a ringing inbound call: the media layer is asked for the answer (or, the
    /// INVITE had no offer, for our offer: our 200 carries it, the ACK the answer).
    pub(crate) fn answer(&mut self, cx: &mut Context<'_>) -> Result<(), CommandError> {
        if self.info.direction != CallDirection::Inbound
            || self.info.state != CallState::Ringing
            || !self.negotiation.is_idle()
        {
            return Err(self.wrong_state("answer"));
        }
        self.negotiation = Negotiation::Answer;
        let command = match self.remote_offer.clone() {
            Some(remote_sdp) => MediaCommand::CreateAnswer { remote_sdp },
            None => MediaCommand::CreateOffer,
        };
        cx.media(&self.info.id, command);
        Ok(())
    }

    /// Sends validated DTMF `tones`: RFC 4733 through the media layer when the peer offered
    /// telephone-event, else one SIP INFO per tone.
    pub(crate) fn send_dtmf(
        &mut self,
        cx: &mut Context<'_>,
        tones: String,
        (duration, gap): (u32, u32),
    ) -> Result<(), CommandError> {
        if !self.is_answered() && self.info.state != CallState::Early {
            return Err(self.wrong_state("send DTMF"));
        }
        if self.telephone_event() {
            cx.media(
                &self.info.id,
                MediaCommand::InsertDtmf {
                    tones,
                    duration,
                    gap,
                },
            );
        } else {
            self.dtmf_timing = (duration, gap);
            self.dtmf_queue.push_str(&tones);
            if !self.dtmf_in_flight && !self.timers.is_set(CallTimer::Dtmf) {
                self.send_next_dtmf(cx);
            }
        }
        Ok(())
    }

    /// Wants the call held (or not); the re-INVITE follows when nothing else is negotiated.
    pub(crate) fn set_hold(
        &mut self,
        cx: &mut Context<'_>,
        hold: bool,
        command: &'static str,
    ) -> Result<(), CommandError> {
        if !self.is_answered() {
            return Err(self.wrong_state(command));
        }
        self.local_hold_wanted = hold;
        self.maybe_reoffer(cx);
        Ok(())
    }

    /// Mutes or unmutes our microphone (`out`) and the remote audio here (`inbound`); no
    /// signalling.
    pub(crate) fn set_muted(
        &mut self,
        cx: &mut Context<'_>,
        muted: bool,
        out: bool,
        inbound: bool,
    ) {
        let mut changed = false;
        if out && self.info.muted != muted {
            self.info.muted = muted;
            cx.media(&self.info.id, MediaCommand::SetMuted(muted));
            changed = true;
        }
        if inbound && self.info.muted_in != muted {
            self.info.muted_in = muted;
            cx.media(&self.info.id, MediaCommand::SetMutedIn(muted));
            changed = true;
        }
        if changed {
            cx.emit(Event::CallUpdated(self.info.clone()));
        }
    }
}

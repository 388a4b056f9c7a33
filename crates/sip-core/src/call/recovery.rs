//! Media recovery: when a call's ICE path is lost (`failed`, `disconnected` past the grace
//! period, or a network change while it is down) the call shows `Reconnecting` and sends a
//! re-INVITE whose offer has new ICE credentials (RFC 8445 §9, RFC 8839 §4.4.1.1.1): both
//! sides gather and check again, on whatever network they now have. ICE connecting again
//! makes the call `Active` (or `Held`); the restart failing, or no ICE within
//! [`MediaRecovery::timeout`](crate::ua::MediaRecovery), ends it with BYE.

use crate::call::{Call, CallTimer, Context};
use crate::events::{CallState, EndCause, ErrorScope, Event};
use crate::ua::Purpose;

/// Why a call ends when the peer refused or never answered its ICE restart re-INVITE.
pub(crate) const RESTART_FAILED: &str = "media lost: ICE restart re-INVITE failed";

/// What the media layer last said of the call's ICE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ice {
    /// Not connected yet.
    New,
    /// Connected: media flows.
    Up,
    /// Disconnected or failed.
    Down,
}

impl Call {
    /// ICE connected: the grace ends, and a reconnecting call is itself again.
    pub(crate) fn ice_connected(&mut self, cx: &mut Context<'_>) {
        self.ice = Ice::Up;
        self.timers.stop(CallTimer::IceGrace);
        if self.info.state == CallState::Reconnecting {
            self.timers.stop(CallTimer::IceRecovery);
            // Not yet sent (glare, another exchange first): no longer needed.
            self.ice_restart_wanted = false;
            self.info.state = CallState::Active;
            self.update_hold();
            cx.emit(Event::CallUpdated(self.info.clone()));
        }
    }

    /// ICE disconnected: it may come back by itself; restart after the grace period.
    pub(crate) fn ice_disconnected(&mut self, cx: &mut Context<'_>) {
        self.ice = Ice::Down;
        let recovering = self.info.state == CallState::Reconnecting;
        if self.is_answered() && !recovering && !self.timers.is_set(CallTimer::IceGrace) {
            let at = cx.now.plus(cx.config.media_recovery.grace);
            self.timers.set(CallTimer::IceGrace, at);
        }
    }

    /// ICE failed: restart at once (the browser gave up on every candidate pair).
    pub(crate) fn ice_failed(&mut self, cx: &mut Context<'_>) {
        self.ice = Ice::Down;
        self.restart_ice(cx);
    }

    /// The network changed (the browser went online): a call whose ICE is down restarts
    /// now rather than after the grace. A connected call keeps its path: `online` follows
    /// `offline`, and a path that survived it works.
    pub(crate) fn network_changed(&mut self, cx: &mut Context<'_>) {
        if self.ice == Ice::Down {
            self.restart_ice(cx);
        }
    }

    /// Starts the ICE restart, once per loss: `Reconnecting`, the bound, the re-offer.
    pub(crate) fn restart_ice(&mut self, cx: &mut Context<'_>) {
        self.timers.stop(CallTimer::IceGrace);
        let recovering = self.info.state == CallState::Reconnecting;
        if self.is_ended() || !self.is_answered() || recovering || self.dialog.is_none() {
            return;
        }
        self.info.state = CallState::Reconnecting;
        cx.emit(Event::CallUpdated(self.info.clone()));
        let at = cx.now.plus(cx.config.media_recovery.timeout);
        self.timers.set(CallTimer::IceRecovery, at);
        self.ice_restart_wanted = true;
        self.maybe_reoffer(cx);
    }

    /// The media could not be recovered: BYE (unless the dialog is gone, 481), a media
    /// error with `detail`, and the end (`failed`, with the SIP status that ended it, if any).
    pub(crate) fn recovery_failed(
        &mut self,
        cx: &mut Context<'_>,
        status: Option<u16>,
        detail: &str,
    ) {
        if self.is_ended() {
            return;
        }
        if status != Some(481) {
            self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        }
        cx.emit(Event::Error {
            scope: ErrorScope::Media,
            detail: detail.to_owned(),
        });
        self.end(cx, EndCause::Failed, status);
    }
}

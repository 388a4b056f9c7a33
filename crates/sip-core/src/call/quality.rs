//! The call's quality sampling: a [`CallTimer::Sample`] asks the media layer for its
//! statistics while the call is answered, and each sample feeds the call's
//! [`Monitor`](crate::quality::Monitor), whose verdicts become events.

use crate::call::{Call, CallTimer, Context};
use crate::events::Event;
use crate::media::MediaCommand;
use crate::quality::{Sample, Verdict};

impl Call {
    /// Media flows (ICE connected): sample from now on, when sampling is configured. A
    /// reconnected ICE keeps the running timer.
    pub(crate) fn start_sampling(&mut self, cx: &mut Context<'_>) {
        if let Some(every) = cx.config.quality.sample_interval() {
            if !self.timers.is_set(CallTimer::Sample) {
                self.timers.set(CallTimer::Sample, cx.now.plus(every));
            }
        }
    }

    /// The sampling timer fired: ask for a sample while the call is answered, and go on.
    pub(crate) fn on_sample_timer(&mut self, cx: &mut Context<'_>) {
        let Some(every) = cx.config.quality.sample_interval() else {
            return;
        };
        if self.is_ended() {
            return;
        }
        if self.is_answered() {
            cx.media(&self.info.id, MediaCommand::GetStats);
        }
        self.timers.set(CallTimer::Sample, cx.now.plus(every));
    }

    /// A sample came back: the `stats` event when one is due, and the warnings it raises
    /// or clears. Audio that cannot flow (held, muted) is not judged.
    pub(crate) fn on_sample(&mut self, cx: &mut Context<'_>, sample: Sample) {
        let quality = cx.config.quality;
        let held = self.info.held.local || self.info.held.remote;
        let inbound = self.is_answered() && !held;
        let outbound = inbound && !self.info.muted;
        let id = &self.info.id;
        let stats = self.quality.record(
            cx.now,
            sample,
            quality.warnings.as_ref(),
            inbound,
            outbound,
            |verdict| {
                let call = id.clone();
                cx.emit(match verdict {
                    Verdict::Raise {
                        warning,
                        value,
                        threshold,
                    } => Event::QualityWarning {
                        call,
                        warning,
                        value,
                        threshold,
                    },
                    Verdict::Clear(warning) => Event::QualityWarningCleared { call, warning },
                });
            },
        );
        if let (Some(interval), Some(every)) = (quality.stats_interval, quality.sample_interval()) {
            if self.quality.stats_due(cx.now, interval, every) {
                cx.emit(Event::Stats {
                    call: self.info.id.clone(),
                    stats,
                });
            }
        }
    }
}

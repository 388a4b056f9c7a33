//! Call quality: the numbers the media layer samples from the browser ([`Sample`]), what the
//! application is shown of them ([`Stats`], with a [`mos`] estimate), and the policy that turns
//! a run of bad samples into a [`Warning`] and its end into a clear ([`Monitor`]).
//!
//! Pure computation, no clock: every sample comes with the time it was taken, so the policy
//! is tested natively by feeding samples (docs/quality.md has the formula and the rules).

use crate::timer::{Instant, Millis};

/// How often calls are sampled while warnings are on (the vendor SDKs sample every second).
pub const WARNING_SAMPLE_MS: Millis = 1_000;
/// How many recent samples a warning looks at.
pub const WINDOW: u32 = 5;
/// How many of the last [`WINDOW`] samples must cross a threshold to raise its warning.
pub const RAISE_COUNT: u32 = 3;
/// The least time between two raises of the same warning on one call: a condition that
/// flaps around its threshold is reported at most this often.
pub const MIN_RAISE_GAP_MS: Millis = 20_000;
/// The smallest change of the microphone's level (0 to 1) between two samples that counts as
/// a change: a live microphone never holds its level closer than this for a second.
pub const CONSTANT_LEVEL_DELTA: f64 = 0.0001;

/// One reading of a call's `RTCPeerConnection.getStats()`, as the media layer hands it over:
/// counters are cumulative over the call, levels are the latest (0 to 1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// Round-trip time in ms (RTCP, else the selected ICE pair's STUN checks); `None` before
    /// the first measurement.
    pub rtt_ms: Option<f64>,
    /// Inbound interarrival jitter in ms (RFC 3550); `None` before any audio came.
    pub jitter_ms: Option<f64>,
    /// Inbound RTP packets received.
    pub packets_received: f64,
    /// Inbound RTP packets lost.
    pub packets_lost: f64,
    /// The remote audio's level (as played: 0 while nothing plays it).
    pub inbound_level: f64,
    /// The microphone's level.
    pub outbound_level: f64,
    /// The microphone's total energy (grows while it picks up sound).
    pub outbound_energy: f64,
    /// RTP payload bytes sent.
    pub bytes_sent: f64,
    /// RTP payload bytes received.
    pub bytes_received: f64,
    /// The codec's name without `audio/` (`opus`, `PCMU`); empty before negotiation.
    pub codec: String,
    /// The selected candidate pair's local candidate type (`host`, `srflx`, `prflx`,
    /// `relay`); empty before ICE selected a pair.
    pub local_candidate: String,
    /// The selected pair's remote candidate type.
    pub remote_candidate: String,
}

/// What the application is shown of a sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// The sample.
    pub sample: Sample,
    /// Inbound packet loss in percent since the previous sample of the call (over the
    /// whole call for its first).
    pub packet_loss_pct: f64,
    /// The MOS estimate, 1 to 4.5; `None` until RTT and jitter are known.
    pub mos: Option<f64>,
}

/// The mean opinion score (1 to 4.5) by the simplified ITU-T G.107 E-model the vendor SDKs
/// use: effective latency `Le = rtt + 2 * jitter + 10` ms; `R = 93.2 - Le / 40` when
/// `Le < 160`, else `93.2 - (Le - 120) / 10`; `R -= 2.5 * loss_pct`, clamped to 0..100;
/// `MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)`.
#[must_use]
pub fn mos(rtt_ms: f64, jitter_ms: f64, loss_pct: f64) -> f64 {
    if !(rtt_ms.is_finite() && jitter_ms.is_finite() && loss_pct.is_finite()) {
        return 1.0;
    }
    let latency = rtt_ms.max(0.0) + 2.0 * jitter_ms.max(0.0) + 10.0;
    let delay_impairment = if latency < 160.0 {
        latency / 40.0
    } else {
        (latency - 120.0) / 10.0
    };
    let r = (93.2 - delay_impairment - 2.5 * loss_pct.max(0.0)).clamp(0.0, 100.0);
    let score = 1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r);
    score.clamp(1.0, 4.5)
}

/// A condition worth telling the user about (Twilio and Telnyx raise the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Round-trip time above [`Thresholds::rtt_ms`].
    HighRtt,
    /// Inbound jitter above [`Thresholds::jitter_ms`].
    HighJitter,
    /// Inbound loss above [`Thresholds::packet_loss_pct`].
    HighPacketLoss,
    /// MOS below [`Thresholds::mos`].
    LowMos,
    /// No inbound audio: no RTP bytes came since the previous sample.
    NoInboundAudio,
    /// No outbound audio: no bytes sent or the microphone picked up no energy (not checked
    /// while muted or held).
    NoOutboundAudio,
    /// The microphone's level has not moved by [`CONSTANT_LEVEL_DELTA`] since the previous
    /// sample while not silent: a stuck device (or a test tone).
    ConstantAudioLevel,
}

impl Warning {
    /// Every warning, in the order of their slots in a [`Monitor`].
    pub const ALL: [Warning; 7] = [
        Warning::HighRtt,
        Warning::HighJitter,
        Warning::HighPacketLoss,
        Warning::LowMos,
        Warning::NoInboundAudio,
        Warning::NoOutboundAudio,
        Warning::ConstantAudioLevel,
    ];

    /// The kebab-case name used by the JavaScript API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Warning::HighRtt => "high-rtt",
            Warning::HighJitter => "high-jitter",
            Warning::HighPacketLoss => "high-packet-loss",
            Warning::LowMos => "low-mos",
            Warning::NoInboundAudio => "no-inbound-audio",
            Warning::NoOutboundAudio => "no-outbound-audio",
            Warning::ConstantAudioLevel => "constant-audio-level",
        }
    }
}

/// The thresholds of the warnings (the defaults are Twilio's and Telnyx's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// `high-rtt` above this many ms (400).
    pub rtt_ms: f64,
    /// `high-jitter` above this many ms (30).
    pub jitter_ms: f64,
    /// `high-packet-loss` above this percentage (1).
    pub packet_loss_pct: f64,
    /// `low-mos` below this score (3.5).
    pub mos: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            rtt_ms: 400.0,
            jitter_ms: 30.0,
            packet_loss_pct: 1.0,
            mos: 3.5,
        }
    }
}

/// Whether and how often calls are sampled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QualityConfig {
    /// Emit [`Event::Stats`](crate::events::Event::Stats) this often, in ms (`None`: never).
    pub stats_interval: Option<Millis>,
    /// Raise warnings with these thresholds (`None`: no warnings).
    pub warnings: Option<Thresholds>,
}

impl QualityConfig {
    /// How often a call is sampled: every second while warnings are on (a `stats` event comes
    /// with the sample nearest its due time), else at the `stats` interval; `None`: never.
    #[must_use]
    pub fn sample_interval(&self) -> Option<Millis> {
        match (self.warnings, self.stats_interval) {
            (Some(_), _) => Some(WARNING_SAMPLE_MS),
            (None, interval) => interval.map(|ms| ms.max(1)),
        }
    }
}

/// What the policy decided about one warning after a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Raise it: `value` crossed `threshold` in enough recent samples.
    Raise {
        /// Which warning.
        warning: Warning,
        /// The latest sample's value.
        value: f64,
        /// The threshold it crossed.
        threshold: f64,
    },
    /// The condition ended.
    Clear(Warning),
}

/// One warning's recent history.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// Bit 0 is the latest sample: set when it crossed the threshold.
    history: u8,
    raised: bool,
    last_raise: Option<Instant>,
}

/// What the policy keeps of the previous sample.
#[derive(Clone, Copy, Debug)]
struct Last {
    received: f64,
    lost: f64,
    bytes_in: f64,
    bytes_out: f64,
    energy_out: f64,
    level_out: f64,
}

impl Last {
    fn of(s: &Sample) -> Last {
        Last {
            received: s.packets_received,
            lost: s.packets_lost,
            bytes_in: s.bytes_received,
            bytes_out: s.bytes_sent,
            energy_out: s.outbound_energy,
            level_out: s.outbound_level,
        }
    }
}

/// The quality policy of one call: the previous sample (for per-interval loss and
/// changes) and a five-sample history per warning.
///
/// A warning is raised when [`RAISE_COUNT`] of the last [`WINDOW`] samples crossed its
/// threshold and it was not raised within [`MIN_RAISE_GAP_MS`]; it is cleared when none of
/// the last [`WINDOW`] samples crossed (so a condition must be gone for five samples).
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    previous: Option<Last>,
    tracks: [Track; 7],
    /// When the next `stats` event is due.
    stats_due: Option<Instant>,
}

impl Monitor {
    /// The stats of `sample` against the previous sample, without recording it (for an
    /// on-demand query that must not disturb the warnings).
    #[must_use]
    pub fn stats(&self, sample: Sample) -> Stats {
        let (received, lost) = match self.previous {
            Some(p) => (
                sample.packets_received - p.received,
                sample.packets_lost - p.lost,
            ),
            None => (sample.packets_received, sample.packets_lost),
        };
        let (received, lost) = (received.max(0.0), lost.max(0.0));
        let packet_loss_pct = if received + lost > 0.0 {
            100.0 * lost / (received + lost)
        } else {
            0.0
        };
        let mos = match (sample.rtt_ms, sample.jitter_ms) {
            (Some(rtt), Some(jitter)) => Some(mos(rtt, jitter, packet_loss_pct)),
            _ => None,
        };
        Stats {
            sample,
            packet_loss_pct,
            mos,
        }
    }

    /// Records a sample taken at `now`: its stats, and the warnings it raises or clears.
    /// `thresholds` is `None` while warnings are off. `outbound` says whether our audio
    /// should be flowing (not muted, not held) and `inbound` whether the peer's should
    /// (not held): a condition that cannot be judged counts as not crossed. Each verdict
    /// goes to `verdict` (a callback, not a list: no allocation per sample).
    pub fn record(
        &mut self,
        now: Instant,
        sample: Sample,
        thresholds: Option<&Thresholds>,
        inbound: bool,
        outbound: bool,
        mut verdict: impl FnMut(Verdict),
    ) -> Stats {
        let stats = self.stats(sample);
        let s = &stats.sample;
        let now_last = Last::of(s);
        if let Some(t) = thresholds {
            // Compared with the previous sample: nothing to judge on the first.
            let p = self.previous;
            // Bytes, not energy, for the remote audio: the browser measures its level only
            // while it plays it (a muted element or a WebAudio graph alone leave it at 0).
            let no_inbound = inbound && p.is_some_and(|p| now_last.bytes_in <= p.bytes_in);
            let no_outbound = outbound
                && p.is_some_and(|p| {
                    now_last.bytes_out <= p.bytes_out || now_last.energy_out <= p.energy_out
                });
            let level_delta = p.map_or(f64::INFINITY, |p| (now_last.level_out - p.level_out).abs());
            let checks: [(bool, f64, f64); 7] = [
                above(s.rtt_ms, t.rtt_ms),
                above(s.jitter_ms, t.jitter_ms),
                above(Some(stats.packet_loss_pct), t.packet_loss_pct),
                match stats.mos {
                    Some(m) => (m < t.mos, m, t.mos),
                    None => (false, 0.0, t.mos),
                },
                (no_inbound, s.inbound_level, 0.0),
                (no_outbound, s.outbound_level, 0.0),
                (
                    outbound && s.outbound_level > 0.0 && level_delta < CONSTANT_LEVEL_DELTA,
                    s.outbound_level,
                    CONSTANT_LEVEL_DELTA,
                ),
            ];
            for ((track, warning), (crossed, value, threshold)) in
                self.tracks.iter_mut().zip(Warning::ALL).zip(checks)
            {
                track.history = (track.history << 1) | u8::from(crossed);
                let recent = (track.history & ((1 << WINDOW) - 1)).count_ones();
                if !track.raised
                    && recent >= RAISE_COUNT
                    && track
                        .last_raise
                        .is_none_or(|at| now.since(at) >= MIN_RAISE_GAP_MS)
                {
                    track.raised = true;
                    track.last_raise = Some(now);
                    verdict(Verdict::Raise {
                        warning,
                        value,
                        threshold,
                    });
                } else if track.raised && recent == 0 {
                    track.raised = false;
                    verdict(Verdict::Clear(warning));
                }
            }
        }
        self.previous = Some(now_last);
        stats
    }

    /// Whether a `stats` event is due with a sample taken at `now`, for events every
    /// `interval` ms on samples every `sample` ms: the sample nearest the due time carries
    /// it, so the events keep their average interval.
    pub fn stats_due(&mut self, now: Instant, interval: Millis, sample: Millis) -> bool {
        let due = *self.stats_due.get_or_insert(now);
        if now.plus(sample / 2) < due {
            return false;
        }
        // Behind by more than an interval (a throttled background tab): start over from now.
        let next = due.plus(interval);
        self.stats_due = Some(if next <= now {
            now.plus(interval)
        } else {
            next
        });
        true
    }
}

/// `(crossed, value, threshold)` for a value that must stay at or below its threshold.
fn above(value: Option<f64>, threshold: f64) -> (bool, f64, f64) {
    match value {
        Some(v) => (v > threshold, v, threshold),
        None => (false, 0.0, threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn mos_matches_hand_computed_values() {
        // rtt 20, jitter 5, no loss: Le = 20 + 2*5 + 10 = 40 (< 160), R = 93.2 - 40/40 = 92.2;
        // MOS = 1 + 0.035*92.2 + 7e-6*92.2*(92.2-60)*(100-92.2)
        //     = 1 + 3.227 + 7e-6*92.2*32.2*7.8 = 1 + 3.227 + 0.162098664 = 4.389098664
        close(mos(20.0, 5.0, 0.0), 4.389_098_664);
        // rtt 100, jitter 20, 1 % loss: Le = 100 + 40 + 10 = 150 (< 160),
        // R = 93.2 - 150/40 - 2.5*1 = 93.2 - 3.75 - 2.5 = 86.95;
        // MOS = 1 + 3.04325 + 7e-6*86.95*26.95*13.05 = 1 + 3.04325 + 0.214060683375
        //     = 4.257310683375
        close(mos(100.0, 20.0, 1.0), 4.257_310_683_375);
        // rtt 150, no jitter, no loss: Le = 160, the second branch:
        // R = 93.2 - (160 - 120)/10 = 89.2 (both branches meet here: 160/40 = 4 too);
        // MOS = 1 + 3.122 + 7e-6*89.2*29.2*10.8 = 1 + 3.122 + 0.196910784 = 4.318910784
        close(mos(150.0, 0.0, 0.0), 4.318_910_784);
        // The degradation test's conditions: rtt 400, jitter 35, 5 % loss:
        // Le = 400 + 70 + 10 = 480, R = 93.2 - (480-120)/10 - 2.5*5 = 93.2 - 36 - 12.5 = 44.7;
        // MOS = 1 + 1.5645 + 7e-6*44.7*(-15.3)*55.3 = 1 + 1.5645 - 0.264741561 = 2.299758439
        close(mos(400.0, 35.0, 5.0), 2.299_758_439);
        // Hopeless: Le = 1000 + 200 + 10 = 1210, R = 93.2 - 109 - 25 < 0 -> 0, MOS = 1.
        close(mos(1000.0, 100.0, 10.0), 1.0);
        // 40 % loss alone: R = 93.2 - 60/40 - 100 < 0 -> 0, MOS = 1.
        close(mos(30.0, 10.0, 40.0), 1.0);
        // Garbage in, the worst score out (no panic, no NaN).
        close(mos(f64::NAN, 0.0, 0.0), 1.0);
        // The best a call gets: Le = 10, R = 92.95, MOS = 4.404394368375 (under the 4.5 cap).
        close(mos(0.0, 0.0, 0.0), 4.404_394_368_375);
    }

    /// A healthy sample `n` seconds into a call: 50 packets/s, bytes and energy growing,
    /// a microphone level that moves.
    fn healthy(n: u32) -> Sample {
        let n = f64::from(n);
        Sample {
            rtt_ms: Some(20.0),
            jitter_ms: Some(3.0),
            packets_received: 50.0 * n,
            packets_lost: 0.0,
            inbound_level: 0.2,
            outbound_level: 0.1 + 0.01 * (n % 7.0),
            outbound_energy: n,
            bytes_sent: 4000.0 * n,
            bytes_received: 4000.0 * n,
            codec: String::from("opus"),
            local_candidate: String::from("host"),
            remote_candidate: String::from("host"),
        }
    }

    fn feed(m: &mut Monitor, second: u32, s: Sample) -> Vec<Verdict> {
        let t = Thresholds::default();
        let mut v = Vec::new();
        m.record(
            Instant(u64::from(second) * 1000),
            s,
            Some(&t),
            true,
            true,
            |x| v.push(x),
        );
        v
    }

    fn names(v: &[Verdict]) -> Vec<String> {
        v.iter()
            .map(|v| match v {
                Verdict::Raise { warning, .. } => ["raise ", warning.as_str()].concat(),
                Verdict::Clear(w) => ["clear ", w.as_str()].concat(),
            })
            .collect()
    }

    #[test]
    fn loss_is_per_interval() {
        let mut m = Monitor::default();
        let mut s = healthy(1);
        s.packets_lost = 1.0;
        s.packets_received = 99.0;
        // First sample: over the call so far, 1 of 100.
        let stats = m.record(Instant(0), s, None, true, true, |_| {});
        close(stats.packet_loss_pct, 1.0);
        let mut s = healthy(2);
        s.packets_lost = 11.0; // 10 more lost
        s.packets_received = 189.0; // 90 more received: 10 of 100
        let stats = m.stats(s);
        close(stats.packet_loss_pct, 10.0);
        // rtt 20, jitter 3, 10 %: Le = 36, R = 93.2 - 0.9 - 25 = 67.3,
        // MOS = 1 + 2.3555 + 7e-6*67.3*7.3*32.7 = 3.3555 + 0.112457 = 3.468 (rounded).
        let m_score = stats.mos.unwrap_or_default();
        assert!((m_score - 3.468).abs() < 0.001, "{m_score}");
    }

    #[test]
    fn raised_after_three_of_five_and_cleared_after_five_clean() {
        let mut m = Monitor::default();
        // Cumulative loss; each lossy second loses 2 packets beside its 50 received (3.8 %:
        // above 1 %, yet MOS stays 4.1, so low-mos is not raised with it).
        let mut lost = 0.0;
        let mut next = |i: u32, lossy: bool| {
            if lossy {
                lost += 2.0;
            }
            let mut s = healthy(i);
            s.packets_lost = lost;
            s
        };
        for i in 1..=5 {
            assert!(
                feed(&mut m, i, next(i, false)).is_empty(),
                "healthy sample {i}"
            );
        }
        assert!(feed(&mut m, 6, next(6, true)).is_empty());
        // A clean sample in between: 2 of the last 5 crossed.
        assert!(feed(&mut m, 7, next(7, false)).is_empty());
        let v = feed(&mut m, 8, next(8, true));
        assert!(v.is_empty(), "only 2 of 5 so far");
        let v = feed(&mut m, 9, next(9, true));
        assert_eq!(names(&v), ["raise high-packet-loss"]);
        match v[0] {
            Verdict::Raise {
                value, threshold, ..
            } => {
                // 2 lost of 52 in that second: 3.85 % against 1 %.
                close(value, 100.0 * 2.0 / 52.0);
                close(threshold, 1.0);
            }
            Verdict::Clear(_) => unreachable!(),
        }
        // Still lossy: no second raise.
        assert!(feed(&mut m, 10, next(10, true)).is_empty());
        // Loss ends: the last lossy sample leaves the window after five clean ones.
        for i in 11..=14 {
            assert!(feed(&mut m, i, next(i, false)).is_empty(), "sample {i}");
        }
        assert_eq!(
            names(&feed(&mut m, 15, next(15, false))),
            ["clear high-packet-loss"]
        );
    }

    #[test]
    fn a_raise_is_throttled() {
        let mut m = Monitor::default();
        let slow = |i: u32| {
            let mut s = healthy(i);
            s.rtt_ms = Some(600.0);
            s
        };
        let mut raises = 0;
        // Bad for 3 s, good for 5 s, again and again for 40 s: raised at 3 s, cleared,
        // then not before 20 s after the first raise.
        let mut at = Vec::new();
        for i in 1..=40u32 {
            let s = if (i - 1) % 8 < 3 { slow(i) } else { healthy(i) };
            for v in feed(&mut m, i, s) {
                if let Verdict::Raise {
                    warning: Warning::HighRtt,
                    ..
                } = v
                {
                    raises += 1;
                    at.push(i);
                }
            }
        }
        assert_eq!(at, [3, 27]);
        assert_eq!(raises, 2);
    }

    #[test]
    fn audio_warnings() {
        let mut m = Monitor::default();
        // Nothing comes in and the microphone level is stuck at 0.3: both raised on the
        // third sample after the first (the first has nothing to compare with).
        let stuck = |i: u32| {
            let mut s = healthy(i);
            s.bytes_received = 100.0;
            s.outbound_level = 0.3;
            s
        };
        let mut all = Vec::new();
        for i in 1..=4 {
            all.extend(names(&feed(&mut m, i, stuck(i))));
        }
        assert_eq!(
            all,
            ["raise no-inbound-audio", "raise constant-audio-level"]
        );
        // Muted (outbound not judged) and the peer sending again: both clear after five.
        let mut all = Vec::new();
        for i in 5..=9 {
            let mut v = Vec::new();
            m.record(
                Instant(u64::from(i) * 1000),
                healthy(i),
                Some(&Thresholds::default()),
                true,
                false,
                |x| v.push(x),
            );
            all.extend(names(&v));
        }
        assert_eq!(
            all,
            ["clear no-inbound-audio", "clear constant-audio-level"]
        );
        // A silent microphone: no energy while bytes still flow (DTX comfort noise).
        let mut all = Vec::new();
        for i in 10..=13 {
            let mut s = healthy(i);
            s.outbound_energy = 9.0;
            s.outbound_level = 0.0;
            all.extend(names(&feed(&mut m, i, s)));
        }
        assert_eq!(all, ["raise no-outbound-audio"]);
    }

    #[test]
    fn low_mos_and_jitter() {
        let mut m = Monitor::default();
        let mut all = Vec::new();
        for i in 1..=3 {
            let mut s = healthy(i);
            s.rtt_ms = Some(400.0);
            s.jitter_ms = Some(35.0);
            all.extend(names(&feed(&mut m, i, s)));
        }
        // rtt 400 is not above 400; jitter 35 > 30; MOS 1 + 0.035*R..: Le = 480,
        // R = 93.2 - 36 = 57.2, MOS = 1 + 2.002 + 7e-6*57.2*(-2.8)*42.8 = 2.954 < 3.5.
        assert_eq!(all, ["raise high-jitter", "raise low-mos"]);
    }

    #[test]
    fn stats_events_keep_their_interval() {
        let mut m = Monitor::default();
        // Events every 2.5 s on samples every second: the first sample (1 s) carries one,
        // then the samples nearest 3.5, 6, 8.5 s (a sample within 0.5 s of the due time).
        let fired: Vec<u64> = (1..=10)
            .filter(|s| m.stats_due(Instant(s * 1000), 2_500, 1_000))
            .collect();
        assert_eq!(fired, [1, 3, 6, 8]);
        let mut m = Monitor::default();
        let fired: Vec<u64> = (1..=5)
            .filter(|s| m.stats_due(Instant(s * 1000), 1_000, 1_000))
            .collect();
        assert_eq!(fired, [1, 2, 3, 4, 5]);
    }
}

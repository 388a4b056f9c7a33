//! What a load run measured, and its report (`report.json` and the summary people read).

use std::collections::BTreeMap;

use serde::Serialize;

/// Nearest-rank percentiles of a sample, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// How many values.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// The largest.
    pub max: u64,
}

impl Percentiles {
    /// The percentiles of `values` (any order); all zero when empty.
    #[must_use]
    pub fn of(values: &[u64]) -> Percentiles {
        let mut v = values.to_vec();
        v.sort_unstable();
        Percentiles {
            count: v.len(),
            p50: rank(&v, 50),
            p95: rank(&v, 95),
            p99: rank(&v, 99),
            max: v.last().copied().unwrap_or(0),
        }
    }
}

/// The nearest-rank percentile `p` of sorted `v`: the smallest value with at least p % of
/// the sample at or below it.
fn rank(v: &[u64], p: usize) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let i = (p * v.len()).div_ceil(100).max(1) - 1;
    v[i.min(v.len() - 1)]
}

/// The counters one run fills in (shared by the call slots and the agents' tasks).
#[derive(Debug, Default)]
pub struct Tally {
    /// Setup times of signalling-only calls (call command to the 200), ms.
    pub setup_ms: Vec<u64>,
    /// Setup times of calls with media, ms.
    pub setup_ms_media: Vec<u64>,
    /// Registration times (agent started to registered), ms.
    pub register_ms: Vec<u64>,
    /// Calls placed.
    pub attempted: u64,
    /// Calls answered, held and hung up cleanly.
    pub completed: u64,
    /// Media calls whose caller heard the echo.
    pub with_audio: u64,
    /// Answered calls not yet over.
    pub concurrent: u64,
    /// The most answered calls up at once.
    pub peak: u64,
    /// Incoming calls not over yet (the callees' side).
    pub inbound: u64,
    /// Agents whose `Destroyed` came (after the final shutdown).
    pub destroyed: u64,
    /// Whether the run is stopping: unregistrations and closed sockets are expected.
    pub stopping: bool,
    /// Failures by cause.
    pub failures: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts one failure of `cause`.
    pub fn fail(&mut self, cause: impl Into<String>) {
        *self.failures.entry(cause.into()).or_insert(0) += 1;
    }

    /// One more answered call up.
    pub fn up(&mut self) {
        self.concurrent += 1;
        self.peak = self.peak.max(self.concurrent);
    }

    /// One answered call over.
    pub fn down(&mut self) {
        self.concurrent = self.concurrent.saturating_sub(1);
    }

    /// How many failures in all.
    #[must_use]
    pub fn failure_count(&self) -> u64 {
        self.failures.values().sum()
    }
}

/// CPU time one process (with its children) spent in a phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cpu {
    /// CPU seconds (user + system).
    pub seconds: f64,
    /// Of one core over the phase's wall time (200 is both cores of this machine).
    pub percent: f64,
}

impl Cpu {
    /// From clock ticks spent over `wall_secs`.
    #[must_use]
    pub fn from_ticks(ticks: u64, wall_secs: f64) -> Cpu {
        let seconds = ticks as f64 / super::procfs::TICKS_PER_SEC as f64;
        let percent = if wall_secs > 0.0 {
            seconds / wall_secs * 100.0
        } else {
            0.0
        };
        Cpu {
            seconds: round2(seconds),
            percent: round2(percent),
        }
    }
}

/// Two decimals: enough for people, stable in JSON.
#[must_use]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the run was asked to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanReport {
    /// User agents registered.
    pub uas: usize,
    /// Calls kept up at once.
    pub concurrent: usize,
    /// Of those, calls with media (to the echo bot).
    pub media: usize,
    /// Seconds calls are placed for.
    pub duration_s: f64,
    /// Seconds each call stays up.
    pub hold_s: f64,
    /// Registrations in flight at most.
    pub register_window: usize,
}

/// The registration phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Registration {
    /// Agents registered.
    pub registered: usize,
    /// From the first agent started to the last registered.
    pub seconds: f64,
    /// `registered / seconds`.
    pub per_second: f64,
    /// Each agent's time to register.
    pub latency_ms: Percentiles,
}

/// The calling phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calls {
    /// Calls placed.
    pub attempted: u64,
    /// Calls answered, held and ended by our BYE.
    pub completed: u64,
    /// The phase's length, from the first call to the last one over.
    pub seconds: f64,
    /// `attempted / seconds`.
    pub per_second: f64,
    /// The most answered calls up at once.
    pub peak_concurrent: u64,
    /// Signalling-only calls: call command to the 200.
    pub setup_ms: Percentiles,
    /// Calls with media: the same, the offer made by str0m.
    pub setup_ms_media: Percentiles,
    /// Media calls whose caller received the echo of its audio.
    pub media_with_audio: u64,
}

/// Resident memory of the load process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Memory {
    /// Before the first agent.
    pub rss_before_kib: u64,
    /// Once every agent registered.
    pub rss_registered_kib: u64,
    /// `(rss_registered - rss_before) / uas`.
    pub per_ua_kib: f64,
}

/// The whole report (`report.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// No failure, and the concurrency target was reached.
    pub ok: bool,
    /// The plan.
    pub plan: PlanReport,
    /// Registration.
    pub registration: Registration,
    /// Calls.
    pub calls: Calls,
    /// Failures by cause (empty when none).
    pub failures: BTreeMap<String, u64>,
    /// Memory.
    pub memory: Memory,
    /// CPU by process (`load`, `kamailio`, `bots`) in each phase.
    pub cpu: CpuPhases,
}

/// CPU by process name, per phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpuPhases {
    /// From the first agent started to the last registered.
    pub register: BTreeMap<String, Cpu>,
    /// The calls.
    pub calls: BTreeMap<String, Cpu>,
}

impl Report {
    /// A few lines for people.
    #[must_use]
    pub fn summary(&self) -> String {
        let r = &self.registration;
        let c = &self.calls;
        let p = |x: &Percentiles| {
            format!(
                "p50 {} / p95 {} / p99 {} / max {} ms",
                x.p50, x.p95, x.p99, x.max
            )
        };
        let mut lines = vec![
            format!(
                "registered {}/{} UAs in {:.2} s: {:.1} registrations/s (each {})",
                r.registered,
                self.plan.uas,
                r.seconds,
                r.per_second,
                p(&r.latency_ms)
            ),
            format!(
                "calls: {} placed, {} completed in {:.1} s: {:.1} calls/s, peak {} concurrent (target {})",
                c.attempted, c.completed, c.seconds, c.per_second, c.peak_concurrent, self.plan.concurrent
            ),
            format!("setup (INVITE to 200), signalling: {}", p(&c.setup_ms)),
        ];
        if self.plan.media > 0 {
            lines.push(format!(
                "setup with media: {}; {} media calls heard their echo",
                p(&c.setup_ms_media),
                c.media_with_audio
            ));
        }
        lines.push(format!(
            "memory: {:.1} KiB per UA (RSS {} -> {} KiB)",
            self.memory.per_ua_kib, self.memory.rss_before_kib, self.memory.rss_registered_kib
        ));
        for (phase, procs) in [("register", &self.cpu.register), ("calls", &self.cpu.calls)] {
            let list: Vec<String> = procs
                .iter()
                .map(|(name, cpu)| format!("{name} {:.2} s ({:.0} %)", cpu.seconds, cpu.percent))
                .collect();
            lines.push(format!("cpu during {phase}: {}", list.join(", ")));
        }
        if self.failures.is_empty() {
            lines.push(String::from("failures: none"));
        } else {
            let list: Vec<String> = self
                .failures
                .iter()
                .map(|(cause, n)| format!("{cause}: {n}"))
                .collect();
            lines.push(format!("failures: {}", list.join(", ")));
        }
        lines.push(String::from(if self.ok { "OK" } else { "FAILED" }));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&v);
        assert_eq!(
            (p.count, p.p50, p.p95, p.p99, p.max),
            (100, 50, 95, 99, 100)
        );
        // Few values: p99 is the largest, p50 the lower middle.
        let p = Percentiles::of(&[30, 10, 20, 40]);
        assert_eq!((p.p50, p.p95, p.p99, p.max), (20, 40, 40, 40));
        let p = Percentiles::of(&[7]);
        assert_eq!((p.p50, p.p99), (7, 7));
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
    }

    #[test]
    fn counts_failures_and_the_peak() {
        let mut t = Tally::default();
        t.up();
        t.up();
        t.down();
        t.up();
        t.down();
        t.down();
        t.down();
        assert_eq!((t.peak, t.concurrent), (2, 0));
        t.fail("invite 480");
        t.fail("invite 480");
        t.fail("setup timeout");
        assert_eq!(t.failure_count(), 3);
        assert_eq!(t.failures.get("invite 480"), Some(&2));
    }

    #[test]
    fn cpu_is_a_share_of_one_core() {
        let c = Cpu::from_ticks(150, 3.0);
        assert_eq!((c.seconds, c.percent), (1.5, 50.0));
        assert_eq!(Cpu::from_ticks(5, 0.0).percent, 0.0);
    }
}

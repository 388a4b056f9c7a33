//! The load generator (`sip-load`, started by `scripts/load`): N user agents of the
//! [`driver`](crate::driver), each registering through the proxy, then C calls kept up at
//! once for T seconds, and a report of what it took ([`stats::Report`]).
//!
//! Signalling-only calls go from one agent to another, both with [`MediaMode::Null`]: a fixed
//! SDP (PCMU on the discard port) answers and offers, no socket and no packet, so what is
//! measured is SIP and the proxy. The first M call slots are calls with media instead: M
//! agents with a str0m session each ([`MediaMode::Tone`]) call the echo bot and must hear
//! their tone come back.

pub mod procfs;
pub mod stats;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sip_core::{CallId, CallState, CommandError, EndCause, Event};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::time::{timeout, Instant};

use crate::clock::Clock;
use crate::driver::{self, Agent, Command, Notice, Settings, Signer};
use crate::media::MediaMode;
use stats::{Calls, Cpu, CpuPhases, Memory, Percentiles, PlanReport, Registration, Report, Tally};

/// What a run does.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The proxy's WebSocket URLs.
    pub ws_servers: Vec<String>,
    /// The SIP domain.
    pub domain: String,
    /// The secret the proxy checks credentials with (`auth_ephemeral`).
    pub secret: String,
    /// User agents to register.
    pub uas: usize,
    /// Calls kept up at once.
    pub concurrent: usize,
    /// Of those, calls with media to `echo`.
    pub media: usize,
    /// How long calls are placed for.
    pub duration: Duration,
    /// How long each call stays up.
    pub hold: Duration,
    /// The echo bot's extension (needed when `media > 0`).
    pub echo: Option<String>,
    /// The extension of agent 0; the others follow.
    pub first_extension: u32,
    /// Registrations in flight at most.
    pub register_window: usize,
    /// A call not answered within this is a failure (`setup timeout`).
    pub setup_timeout: Duration,
    /// Other processes whose CPU is reported, by name (`kamailio`, `bots`).
    pub watch: Vec<(String, u32)>,
}

impl Plan {
    /// A plan with the defaults for `ws_servers`: 1,000 agents, 100 calls, 60 s.
    #[must_use]
    pub fn new(ws_servers: Vec<String>) -> Plan {
        Plan {
            ws_servers,
            domain: String::from("127.0.0.1"),
            secret: String::from("klink-dev-secret"),
            uas: 1000,
            concurrent: 100,
            media: 0,
            duration: Duration::from_secs(60),
            hold: Duration::from_secs(5),
            echo: None,
            first_extension: 20_000,
            register_window: 200,
            setup_timeout: Duration::from_secs(10),
            watch: Vec::new(),
        }
    }

    /// Why the plan cannot run, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.ws_servers.is_empty() || self.ws_servers.iter().any(|u| !u.starts_with("ws://")) {
            return Err(String::from("ws_servers must be one or more ws:// URLs"));
        }
        if self.secret.is_empty() {
            return Err(String::from("the secret is empty"));
        }
        if self.uas == 0 || self.register_window == 0 {
            return Err(String::from("uas and register_window must be at least 1"));
        }
        if self.media > self.concurrent {
            return Err(String::from(
                "media calls are part of the concurrent calls: media <= concurrent",
            ));
        }
        if self.media > 0 && self.echo.is_none() {
            return Err(String::from(
                "media calls need the echo bot's extension (--echo)",
            ));
        }
        // A signalling call takes two idle agents; a media call one of its own.
        let signalling = self.concurrent - self.media;
        if self.uas < self.media + 2 * signalling {
            return Err(format!(
                "{} concurrent calls ({} with media) need at least {} user agents",
                self.concurrent,
                self.media,
                self.media + 2 * signalling
            ));
        }
        if u64::from(self.first_extension) + self.uas as u64 > 1_000_000_000 {
            return Err(String::from("extensions out of range"));
        }
        if self.hold.is_zero() || self.setup_timeout.is_zero() {
            return Err(String::from("hold and setup_timeout must be positive"));
        }
        Ok(())
    }

    fn extension(&self, index: usize) -> String {
        (u64::from(self.first_extension) + index as u64).to_string()
    }
}

/// How long a BYE or an unregistration may take before it counts as failed.
const END_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a media call may go without the echo of its first packet.
const AUDIO_TIMEOUT: Duration = Duration::from_secs(5);

type Shared = Arc<Mutex<Tally>>;

fn lock(tally: &Shared) -> MutexGuard<'_, Tally> {
    // A poisoned lock means a task panicked mid-update: the counters are still counters.
    tally
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a call slot hears about its call.
#[derive(Debug)]
enum CallNote {
    Answered,
    Audio,
    Ended {
        cause: EndCause,
        status: Option<u16>,
    },
}

/// Registration news for the coordinator.
#[derive(Debug)]
enum RegNote {
    Registered(usize),
    Failed,
}

/// Placing a call goes through the agent's task, so the call's events cannot arrive before
/// its listener.
struct Place {
    target: String,
    notes: UnboundedSender<CallNote>,
    reply: oneshot::Sender<Result<CallId, CommandError>>,
}

/// One agent, as the coordinator and the call slots hold it.
#[derive(Clone)]
struct Handle {
    commands: UnboundedSender<Command>,
    places: UnboundedSender<Place>,
}

/// Runs `plan` on the current tokio runtime and returns its report.
pub async fn run(plan: Plan) -> Result<Report, String> {
    plan.check()?;
    let clock = Clock::start();
    let tally: Shared = Arc::new(Mutex::new(Tally::default()));
    let rss_before = procfs::rss_kib("self").unwrap_or(0);

    // ---- registration: at most `register_window` in flight ----
    let (reg_tx, mut reg_rx) = unbounded_channel();
    let mut handles = Vec::with_capacity(plan.uas);
    let mut started_at = Vec::with_capacity(plan.uas);
    let cpu_start = cpu_snapshot(&plan.watch);
    let reg_start = Instant::now();
    let mut last_registered = reg_start;
    let (mut done, mut in_flight, mut registered) = (0usize, 0usize, 0usize);
    let reg_deadline =
        reg_start + Duration::from_secs(30) + Duration::from_millis(20 * plan.uas as u64);
    while done < plan.uas {
        while handles.len() < plan.uas && in_flight < plan.register_window {
            let i = handles.len();
            handles.push(start_agent(clock, &plan, i, reg_tx.clone(), tally.clone()));
            started_at.push(Instant::now());
            in_flight += 1;
        }
        match timeout(
            reg_deadline.saturating_duration_since(Instant::now()),
            reg_rx.recv(),
        )
        .await
        {
            Ok(Some(RegNote::Registered(i))) => {
                last_registered = Instant::now();
                lock(&tally)
                    .register_ms
                    .push(ms(last_registered - started_at[i]));
                registered += 1;
            }
            // The agent reported the cause itself.
            Ok(Some(RegNote::Failed)) => {}
            Ok(None) | Err(_) => {
                let missing = plan.uas - done;
                let mut t = lock(&tally);
                for _ in 0..missing {
                    t.fail("register timeout");
                }
                break;
            }
        }
        in_flight -= 1;
        done += 1;
    }
    let reg_secs = (last_registered - reg_start).as_secs_f64();
    let rss_registered = procfs::rss_kib("self").unwrap_or(0);
    let cpu_registered = cpu_snapshot(&plan.watch);
    let reg_wall = reg_start.elapsed().as_secs_f64();

    // ---- calls: `concurrent` slots, each placing one call after another ----
    let calls_start = Instant::now();
    if lock(&tally).failure_count() == 0 {
        let end = calls_start + plan.duration;
        let idle: Arc<Mutex<VecDeque<usize>>> =
            Arc::new(Mutex::new((plan.media..plan.uas).collect()));
        let mut slots = Vec::with_capacity(plan.concurrent);
        for slot in 0..plan.concurrent {
            let ctx = SlotCtx {
                plan: plan.clone(),
                handles: handles.clone(),
                idle: idle.clone(),
                tally: tally.clone(),
                end,
            };
            slots.push(tokio::spawn(run_slot(ctx, slot)));
        }
        for s in slots {
            if s.await.is_err() {
                lock(&tally).fail("call slot crashed");
            }
        }
    }
    // The last BYEs reach their callees (a shutdown now would hang those calls up).
    let bye_deadline = Instant::now() + END_TIMEOUT;
    while lock(&tally).inbound > 0 && Instant::now() < bye_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calls_secs = calls_start.elapsed().as_secs_f64();
    let cpu_calls = cpu_snapshot(&plan.watch);

    // ---- shutdown: every agent unregisters and closes ----
    lock(&tally).stopping = true;
    for h in &handles {
        let _ = h.commands.send(Command::Shutdown);
    }
    let stop_deadline = Instant::now() + END_TIMEOUT + Duration::from_millis(5 * plan.uas as u64);
    while lock(&tally).destroyed < handles.len() as u64 && Instant::now() < stop_deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = &mut *lock(&tally);
    for _ in 0..t.inbound {
        t.fail("callee call not ended");
    }
    for _ in t.destroyed..handles.len() as u64 {
        t.fail("shutdown timeout");
    }

    let cpu = CpuPhases {
        register: cpu_delta(&cpu_start, &cpu_registered, reg_wall),
        calls: cpu_delta(&cpu_registered, &cpu_calls, calls_secs),
    };
    let report = Report {
        ok: t.failures.is_empty() && t.peak >= plan.concurrent as u64,
        plan: PlanReport {
            uas: plan.uas,
            concurrent: plan.concurrent,
            media: plan.media,
            duration_s: plan.duration.as_secs_f64(),
            hold_s: plan.hold.as_secs_f64(),
            register_window: plan.register_window,
        },
        registration: Registration {
            registered,
            seconds: stats::round2(reg_secs),
            per_second: stats::round2(per_second(registered as u64, reg_secs)),
            latency_ms: Percentiles::of(&t.register_ms),
        },
        calls: Calls {
            attempted: t.attempted,
            completed: t.completed,
            seconds: stats::round2(calls_secs),
            per_second: stats::round2(per_second(t.attempted, calls_secs)),
            peak_concurrent: t.peak,
            setup_ms: Percentiles::of(&t.setup_ms),
            setup_ms_media: Percentiles::of(&t.setup_ms_media),
            media_with_audio: t.with_audio,
        },
        failures: t.failures.clone(),
        memory: Memory {
            rss_before_kib: rss_before,
            rss_registered_kib: rss_registered,
            per_ua_kib: stats::round2(
                rss_registered.saturating_sub(rss_before) as f64 / plan.uas as f64,
            ),
        },
        cpu,
    };
    Ok(report)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn per_second(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// CPU ticks so far of this process and of the watched ones.
fn cpu_snapshot(watch: &[(String, u32)]) -> Vec<(String, u64)> {
    let mut all = vec![(String::from("load"), procfs::tree_ticks(std::process::id()))];
    all.extend(
        watch
            .iter()
            .map(|(name, pid)| (name.clone(), procfs::tree_ticks(*pid))),
    );
    all
}

fn cpu_delta(from: &[(String, u64)], to: &[(String, u64)], wall: f64) -> BTreeMap<String, Cpu> {
    from.iter()
        .zip(to)
        .map(|((name, a), (_, b))| (name.clone(), Cpu::from_ticks(b.saturating_sub(*a), wall)))
        .collect()
}

/// Starts agent `index`: media agents (the first `plan.media`) get a tone on str0m, the
/// others no media at all.
fn start_agent(
    clock: Clock,
    plan: &Plan,
    index: usize,
    reg: UnboundedSender<RegNote>,
    tally: Shared,
) -> Handle {
    let signer = Signer {
        secret: plan.secret.clone(),
        extension: plan.extension(index),
        ttl_secs: 3600,
    };
    let mut ua = signer.ua_config(&clock, &plan.domain, plan.ws_servers.clone());
    ua.user_agent = String::from("klink-sip-load");
    let media = if index < plan.media {
        MediaMode::Tone { hz: 1000.0 }
    } else {
        MediaMode::Null
    };
    let agent = driver::spawn(
        clock,
        Settings {
            ua,
            media,
            signer: Some(signer),
        },
    );
    let (places, place_rx) = unbounded_channel();
    let handle = Handle {
        commands: agent.commands.clone(),
        places,
    };
    tokio::spawn(serve(index, agent, place_rx, reg, tally));
    handle
}

/// The agent's side: answers every incoming call, hands each outgoing call's events to its
/// slot, and counts what goes wrong.
async fn serve(
    index: usize,
    mut agent: Agent,
    mut places: UnboundedReceiver<Place>,
    reg: UnboundedSender<RegNote>,
    tally: Shared,
) {
    let mut calls: HashMap<CallId, UnboundedSender<CallNote>> = HashMap::new();
    let mut registering = true;
    loop {
        let notice = tokio::select! {
            notice = agent.notices.recv() => notice,
            Some(place) = places.recv() => {
                let (reply, answer) = oneshot::channel();
                let _ = agent.commands.send(Command::Call { target: place.target, reply });
                let result = answer.await.unwrap_or(Err(CommandError::ShutDown));
                if let Ok(id) = &result {
                    calls.insert(id.clone(), place.notes);
                }
                let _ = place.reply.send(result);
                continue;
            }
        };
        let Some(notice) = notice else { break };
        let stopping = lock(&tally).stopping;
        match notice {
            Notice::Sip(Event::RegisteredChange { registered: true }) => {
                if registering {
                    registering = false;
                    let _ = reg.send(RegNote::Registered(index));
                }
            }
            Notice::Sip(Event::RegisteredChange { registered: false }) => {
                if !stopping {
                    lock(&tally).fail("unregistered");
                }
            }
            Notice::Sip(Event::RegistrationFailed { code, .. }) => {
                lock(&tally).fail(format!("register {code}"));
                if registering {
                    registering = false;
                    let _ = reg.send(RegNote::Failed);
                }
            }
            Notice::Sip(Event::Incoming(info)) => {
                lock(&tally).inbound += 1;
                let _ = agent.commands.send(Command::Answer(info.id));
            }
            Notice::Sip(Event::CallUpdated(info)) => {
                if info.state == CallState::Active {
                    if let Some(notes) = calls.get(&info.id) {
                        let _ = notes.send(CallNote::Answered);
                    }
                }
            }
            Notice::Sip(Event::SessionEnded {
                call,
                cause,
                status,
            }) => match calls.remove(&call) {
                Some(notes) => {
                    let _ = notes.send(CallNote::Ended { cause, status });
                }
                // The callee's side: the caller's BYE is the one good ending.
                None => {
                    let mut t = lock(&tally);
                    t.inbound = t.inbound.saturating_sub(1);
                    if cause != EndCause::HangupRemote {
                        t.fail(format!("callee {}", cause.as_str()));
                    }
                }
            },
            Notice::Sip(Event::Disconnected) => {
                if !stopping {
                    lock(&tally).fail("disconnected");
                }
            }
            Notice::Sip(Event::Error { scope, .. }) => {
                if !stopping {
                    lock(&tally).fail(format!("error {}", scope.as_str()));
                }
            }
            Notice::Sip(Event::Destroyed) => {
                lock(&tally).destroyed += 1;
                break;
            }
            Notice::Sip(
                Event::Connected
                | Event::SessionStarted(_)
                | Event::Dtmf { .. }
                | Event::TransferAccepted { .. }
                | Event::TransferFailed { .. }
                | Event::TransferRequested { .. }
                | Event::HoldFailed { .. }
                | Event::CredentialsExpiring
                | Event::Pong { .. }
                | Event::Stats { .. }
                | Event::QualityWarning { .. }
                | Event::QualityWarningCleared { .. }
                | Event::Message { .. },
            ) => {}
            Notice::Refused { command, .. } => lock(&tally).fail(format!("refused {command}")),
            Notice::FirstAudio { call } => {
                if let Some(notes) = calls.get(&call) {
                    let _ = notes.send(CallNote::Audio);
                }
            }
            Notice::Digit { .. } | Notice::InfoDigit { .. } => {}
        }
    }
}

struct SlotCtx {
    plan: Plan,
    handles: Vec<Handle>,
    idle: Arc<Mutex<VecDeque<usize>>>,
    tally: Shared,
    end: Instant,
}

/// One call slot: calls one after another until the end of the phase. Slots below
/// `plan.media` call the echo bot from their own media agent; the others take two idle
/// signalling agents per call.
async fn run_slot(ctx: SlotCtx, slot: usize) {
    while Instant::now() < ctx.end {
        if slot < ctx.plan.media {
            let target = ctx.plan.echo.clone().unwrap_or_default();
            one_call(&ctx, &ctx.handles[slot], target, true).await;
            continue;
        }
        let pair = {
            let mut idle = ctx
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match (idle.pop_front(), idle.pop_front()) {
                (Some(a), Some(b)) => Some((a, b)),
                (a, b) => {
                    idle.extend(a.into_iter().chain(b));
                    None
                }
            }
        };
        // Plan::check leaves two idle agents per slot: this is only a guard.
        let Some((a, b)) = pair else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        one_call(&ctx, &ctx.handles[a], ctx.plan.extension(b), false).await;
        let mut idle = ctx
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.push_back(a);
        idle.push_back(b);
    }
}

/// Places one call, holds it, hangs it up; every deviation is a counted failure.
async fn one_call(ctx: &SlotCtx, caller: &Handle, target: String, media: bool) {
    let tally = &ctx.tally;
    let (notes_tx, mut notes) = unbounded_channel();
    let (reply, answer) = oneshot::channel();
    lock(tally).attempted += 1;
    let t0 = Instant::now();
    let placed = caller.places.send(Place {
        target,
        notes: notes_tx,
        reply,
    });
    let id = match (placed, answer.await) {
        (Ok(()), Ok(Ok(id))) => id,
        (Ok(()), Ok(Err(e))) => {
            lock(tally).fail(format!("call refused: {}", e.message()));
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        }
        _ => {
            lock(tally).fail("agent gone");
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        }
    };
    let mut audio = false;
    // Until the 200.
    let setup_deadline = t0 + ctx.plan.setup_timeout;
    loop {
        match timeout(
            setup_deadline.saturating_duration_since(Instant::now()),
            notes.recv(),
        )
        .await
        {
            Ok(Some(CallNote::Answered)) => break,
            Ok(Some(CallNote::Audio)) => audio = true,
            Ok(Some(CallNote::Ended { cause, status })) => {
                lock(tally).fail(match status {
                    Some(code) => format!("invite {code}"),
                    None => format!("invite {}", cause.as_str()),
                });
                return;
            }
            Ok(None) => {
                lock(tally).fail("agent gone");
                return;
            }
            Err(_) => {
                lock(tally).fail("setup timeout");
                let _ = caller.commands.send(Command::Hangup(id));
                let _ = timeout(END_TIMEOUT, wait_ended(&mut notes)).await;
                return;
            }
        }
    }
    {
        let mut t = lock(tally);
        let setup = ms(t0.elapsed());
        if media {
            t.setup_ms_media.push(setup);
        } else {
            t.setup_ms.push(setup);
        }
        t.up();
    }
    let hold_end = Instant::now() + ctx.plan.hold;
    let audio_deadline = Instant::now() + AUDIO_TIMEOUT;
    let mut dropped = None;
    let mut missed = false;
    loop {
        let wake = if media && !audio && !missed {
            hold_end.min(audio_deadline)
        } else {
            hold_end
        };
        match timeout(wake.saturating_duration_since(Instant::now()), notes.recv()).await {
            Ok(Some(CallNote::Audio)) => audio = true,
            Ok(Some(CallNote::Answered)) => {}
            Ok(Some(CallNote::Ended { cause, .. })) => {
                dropped = Some(format!("dropped {}", cause.as_str()));
                break;
            }
            Ok(None) => {
                dropped = Some(String::from("agent gone"));
                break;
            }
            Err(_) if Instant::now() >= hold_end => break,
            // The audio deadline passed: fail once, hold on.
            Err(_) => {
                lock(tally).fail("no audio");
                missed = true;
            }
        }
    }
    if media && audio {
        lock(tally).with_audio += 1;
    }
    if let Some(cause) = dropped {
        let mut t = lock(tally);
        t.down();
        t.fail(cause);
        return;
    }
    let _ = caller.commands.send(Command::Hangup(id));
    let ended = timeout(END_TIMEOUT, wait_ended(&mut notes)).await;
    let mut t = lock(tally);
    t.down();
    match ended {
        Ok(Some((EndCause::HangupLocal, _))) => t.completed += 1,
        Ok(Some((cause, _))) => t.fail(format!("hangup {}", cause.as_str())),
        Ok(None) => t.fail("agent gone"),
        Err(_) => t.fail("hangup timeout"),
    }
}

async fn wait_ended(notes: &mut UnboundedReceiver<CallNote>) -> Option<(EndCause, Option<u16>)> {
    while let Some(note) = notes.recv().await {
        if let CallNote::Ended { cause, status } = note {
            return Some((cause, status));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let mut p = Plan::new(vec![String::from("ws://127.0.0.1:8088")]);
        p.uas = 50;
        p.concurrent = 10;
        p.media = 2;
        p.echo = Some(String::from("9000"));
        p
    }

    #[test]
    fn checks_the_plan_with_a_reason() {
        assert_eq!(plan().check(), Ok(()));
        type Change = fn(&mut Plan);
        let cases: [(Change, &str); 6] = [
            (|p| p.uas = 17, "need at least 18 user agents"),
            (|p| p.media = 11, "media <= concurrent"),
            (|p| p.echo = None, "--echo"),
            (
                |p| p.ws_servers = vec![String::from("wss://x")],
                "ws:// URLs",
            ),
            (|p| p.register_window = 0, "at least 1"),
            (|p| p.hold = Duration::ZERO, "positive"),
        ];
        for (change, want) in cases {
            let mut p = plan();
            change(&mut p);
            assert!(
                p.check().is_err_and(|e| e.contains(want)),
                "{want}: {:?}",
                p.check()
            );
        }
        let mut p = plan();
        p.uas = 18;
        assert_eq!(p.check(), Ok(()));
    }

    #[test]
    fn extensions_follow_the_first() {
        let p = plan();
        assert_eq!(
            (p.extension(0), p.extension(49)),
            ("20000".into(), "20049".into())
        );
    }
}

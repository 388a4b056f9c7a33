//! Native agents through a real Kamailio (dev/kamailio.cfg on a free port): registration with
//! minted credentials, a call to an echo agent whose audio comes back through two str0m
//! sessions, and early media from a ringback agent before its 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use sip_bot::clock::Clock;
use sip_bot::driver::{self, Agent, Command, Notice, Settings, Signer};
use sip_bot::media::MediaMode;
use sip_core::{CallId, CallState, EndCause, Event};
use tokio::time::timeout;

const SECRET: &str = "klink-dev-secret";
const KAMAILIO: &str = "/usr/sbin/kamailio";

/// Kamailio on a free port, stopped (and its run directory removed) on drop.
struct Proxy {
    child: Child,
    run: PathBuf,
    url: String,
}

impl Drop for Proxy {
    /// SIGTERM first: Kamailio's main process then stops its workers. A SIGKILL (what
    /// `Child::kill` sends) leaves every worker running, orphaned, after the test.
    fn drop(&mut self) {
        let _ = Process::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..60 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.run);
    }
}

fn start_proxy() -> Proxy {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let run = std::env::temp_dir().join(format!("sip-bot-test-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&run).unwrap();
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dev/kamailio.cfg");
    let child = Process::new(KAMAILIO)
        .arg("-f")
        .arg(cfg)
        .args(["-DD", "-E", "-Y"])
        .arg(&run)
        .arg("-P")
        .arg(run.join("kamailio.pid"))
        .args(["-A", &format!("WS_PORT={port}")])
        .args([
            "-A",
            &format!("CTL_SOCKET=\"unix:{}\"", run.join("ctl").display()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proxy = Proxy {
        child,
        run,
        url: format!("ws://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return proxy;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("Kamailio did not listen on {port}");
}

fn agent(clock: Clock, proxy: &Proxy, extension: &str, media: MediaMode) -> Agent {
    let signer = Signer {
        secret: SECRET.to_owned(),
        extension: extension.to_owned(),
        ttl_secs: 600,
    };
    let ua = signer.ua_config(&clock, "127.0.0.1", vec![proxy.url.clone()]);
    driver::spawn(
        clock,
        Settings {
            ua,
            media,
            signer: Some(signer),
        },
    )
}

/// The next notice of `agent` that `pick` maps to something, within 10 s.
async fn next<T>(agent: &mut Agent, mut pick: impl FnMut(Notice) -> Option<T>) -> T {
    let wait = async {
        loop {
            let notice = agent.notices.recv().await.expect("the agent ended");
            if let Some(t) = pick(notice) {
                return t;
            }
        }
    };
    timeout(Duration::from_secs(10), wait)
        .await
        .expect("no such notice in 10 s")
}

async fn registered(agent: &mut Agent) {
    next(agent, |n| {
        matches!(n, Notice::Sip(Event::RegisteredChange { registered: true })).then_some(())
    })
    .await;
}

async fn incoming(agent: &mut Agent) -> CallId {
    next(agent, |n| match n {
        Notice::Sip(Event::Incoming(info)) => Some(info.id),
        _ => None,
    })
    .await
}

async fn state(agent: &mut Agent, call: &CallId, want: CallState) {
    next(agent, |n| match n {
        Notice::Sip(Event::CallUpdated(info)) if info.id == *call && info.state == want => Some(()),
        _ => None,
    })
    .await;
}

async fn dial(agent: &Agent, target: &str) -> CallId {
    let (reply, rx) = tokio::sync::oneshot::channel();
    agent
        .commands
        .send(Command::Call {
            target: target.to_owned(),
            reply,
        })
        .unwrap();
    rx.await.unwrap().unwrap()
}

async fn shut_down(mut agent: Agent) {
    agent.commands.send(Command::Shutdown).unwrap();
    next(&mut agent, |n| {
        matches!(n, Notice::Sip(Event::Destroyed)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_to_the_echo_agent_brings_the_callers_tone_back_and_early_media_plays_before_the_200(
) {
    if !Path::new(KAMAILIO).exists() {
        // scripts/setup installs it; without it there is no proxy to test through.
        eprintln!("skipped: {KAMAILIO} is not installed");
        return;
    }
    let proxy = start_proxy();
    let clock = Clock::start();
    let mut caller = agent(clock, &proxy, "9101", MediaMode::Tone { hz: 1000.0 });
    let mut echo = agent(clock, &proxy, "9100", MediaMode::Echo);
    let mut ringback = agent(clock, &proxy, "9102", MediaMode::Tone { hz: 425.0 });
    registered(&mut caller).await;
    registered(&mut echo).await;
    registered(&mut ringback).await;

    // Echo: the caller's tone goes to the echo agent and comes back.
    let call = dial(&caller, "9100").await;
    let theirs = incoming(&mut echo).await;
    echo.commands.send(Command::Answer(theirs.clone())).unwrap();
    state(&mut caller, &call, CallState::Active).await;
    next(&mut echo, |n| {
        matches!(n, Notice::FirstAudio { .. }).then_some(())
    })
    .await;
    next(&mut caller, |n| match n {
        Notice::FirstAudio { call: c } if c == call => Some(()),
        _ => None,
    })
    .await;
    caller.commands.send(Command::Hangup(call)).unwrap();
    let cause = next(&mut echo, |n| match n {
        Notice::Sip(Event::SessionEnded { call, cause, .. }) if call == theirs => Some(cause),
        _ => None,
    })
    .await;
    assert_eq!(cause, EndCause::HangupRemote);

    // Ringback: the 183 carries the answer, its tone arrives while the call is early.
    let call = dial(&caller, "9102").await;
    let theirs = incoming(&mut ringback).await;
    ringback
        .commands
        .send(Command::EarlyMedia(theirs.clone()))
        .unwrap();
    state(&mut caller, &call, CallState::Early).await;
    let heard_early = next(&mut caller, |n| match n {
        Notice::FirstAudio { call: c } if c == call => Some(true),
        Notice::Sip(Event::CallUpdated(info))
            if info.id == call && info.state == CallState::Active =>
        {
            Some(false)
        }
        _ => None,
    })
    .await;
    assert!(heard_early, "the tone arrived before the answer");
    ringback.commands.send(Command::Answer(theirs)).unwrap();
    state(&mut caller, &call, CallState::Active).await;
    caller.commands.send(Command::Hangup(call)).unwrap();

    shut_down(caller).await;
    shut_down(echo).await;
    shut_down(ringback).await;
}

/// An echo agent that answers every call until it is shut down.
fn answering_echo(clock: Clock, proxy: &Proxy, extension: &str) -> tokio::task::JoinHandle<()> {
    let mut echo = agent(clock, proxy, extension, MediaMode::Echo);
    tokio::spawn(async move {
        while let Some(notice) = echo.notices.recv().await {
            match notice {
                Notice::Sip(Event::Incoming(info)) => {
                    echo.commands.send(Command::Answer(info.id)).unwrap();
                }
                Notice::Sip(Event::Destroyed) => break,
                _ => {}
            }
        }
    })
}

/// `sip_bot::load` (scripts/load): signalling-only calls between its agents (the fixed SDP,
/// no media) and one call slot with audio to an echo agent, every call answered, held and
/// hung up, and a report that says so.
#[tokio::test(flavor = "current_thread")]
async fn the_load_generator_keeps_its_calls_up_and_reports_no_failure() {
    let proxy = start_proxy();
    let clock = Clock::start();
    let echo = answering_echo(clock, &proxy, "9100");
    let mut plan = sip_bot::load::Plan::new(vec![proxy.url.clone()]);
    plan.uas = 5;
    plan.concurrent = 2;
    plan.media = 1;
    plan.echo = Some(String::from("9100"));
    plan.duration = Duration::from_secs(2);
    plan.hold = Duration::from_millis(500);
    plan.first_extension = 31_000;
    // The echo agent registers while the load's agents start: give it a head start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = sip_bot::load::run(plan).await.unwrap();
    echo.abort();

    assert!(report.ok, "{}", report.summary());
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.registration.registered, 5);
    let calls = &report.calls;
    assert_eq!(calls.peak_concurrent, 2);
    assert_eq!(calls.completed, calls.attempted);
    assert!(calls.completed >= 4, "{calls:?}");
    assert_eq!(
        calls.setup_ms.count + calls.setup_ms_media.count,
        calls.completed as usize
    );
    assert!(calls.setup_ms.count >= 2 && calls.setup_ms_media.count >= 2);
    assert_eq!(calls.media_with_audio as usize, calls.setup_ms_media.count);
}

/// A load run that cannot register says why and is not ok (scripts/load exits 1 on it).
#[tokio::test(flavor = "current_thread")]
async fn a_load_run_with_a_wrong_secret_reports_the_registration_failures() {
    let proxy = start_proxy();
    let mut plan = sip_bot::load::Plan::new(vec![proxy.url.clone()]);
    plan.secret = String::from("not-the-secret");
    plan.uas = 2;
    plan.concurrent = 1;
    plan.duration = Duration::from_secs(1);
    plan.first_extension = 32_000;
    let report = sip_bot::load::run(plan).await.unwrap();

    assert!(!report.ok);
    assert_eq!(report.registration.registered, 0);
    assert_eq!(report.calls.attempted, 0);
    assert!(
        report.failures.keys().any(|k| k.starts_with("register ")),
        "{:?}",
        report.failures
    );
}

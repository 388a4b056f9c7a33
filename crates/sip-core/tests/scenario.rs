//! Scenario tests: user agents talking through an in-test proxy under a virtual clock.
//!
//! One test binary (see `scenario/`): the harness, then one module per area.

#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity
)]
#[path = "scenario/harness.rs"]
mod harness;
#[path = "scenario/proxy.rs"]
mod proxy;

#[path = "scenario/ack_wait.rs"]
mod ack_wait;
#[path = "scenario/agent.rs"]
mod agent;
#[path = "scenario/calls.rs"]
mod calls;
#[path = "scenario/codecs.rs"]
mod codecs;
#[path = "scenario/connect_timeout.rs"]
mod connect_timeout;
#[path = "scenario/early_media.rs"]
mod early_media;
#[path = "scenario/faults.rs"]
mod faults;
#[path = "scenario/flow_recovery.rs"]
mod flow_recovery;
#[path = "scenario/keepalive.rs"]
mod keepalive;
#[path = "scenario/keepalive_options.rs"]
mod keepalive_options;
#[path = "scenario/lifecycle.rs"]
mod lifecycle;
#[path = "scenario/message.rs"]
mod message;
#[path = "scenario/ping.rs"]
mod ping;
#[path = "scenario/quality.rs"]
mod quality;
#[path = "scenario/reconnect.rs"]
mod reconnect;
#[path = "scenario/recovery.rs"]
mod recovery;
#[path = "scenario/registration.rs"]
mod registration;
#[path = "scenario/reorder.rs"]
mod reorder;
#[path = "scenario/session_timers.rs"]
mod session_timers;
#[path = "scenario/soak.rs"]
mod soak;
#[path = "scenario/transfer.rs"]
mod transfer;
#[path = "scenario/update.rs"]
mod update;

// A refused hold or resume is a typed event.
#[path = "scenario/hold.rs"]
mod hold;

// The whole user agent under fuzzed input (also the libFuzzer target fuzz/fuzz_targets/ua.rs).
#[path = "scenario/ua_fuzz.rs"]
mod ua_fuzz;

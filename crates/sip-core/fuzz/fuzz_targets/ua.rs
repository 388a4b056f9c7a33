//! The whole user agent: bytes choose a starting state (registering, ringing either way,
//! answered, held, a re-INVITE pending, reconnecting) and then the steps that attack it
//! (mutated real messages, raw text, commands, time, transport and media trouble). Nothing may
//! panic and the user agent's invariants must hold after every step. The driver is the
//! scenario tests' own (`tests/scenario/ua_fuzz.rs`, which `cargo test` runs bounded), on
//! their virtual network and proxy.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/scenario/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../tests/scenario/proxy.rs"]
mod proxy;
#[path = "../../tests/scenario/ua_fuzz.rs"]
mod ua_fuzz;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ua_fuzz::run(data));

//! The sans-IO SIP core ([`sip_core`]) run natively: one tokio task per user agent drives
//! a WebSocket to the SIP proxy and, per call, a [`str0m`] WebRTC session on a UDP socket.
//!
//! The library is what the `sip-bot` binary and a load generator share: [`driver`] runs a
//! user agent ([`driver::spawn`]) and hands out its events; [`roles`] are the bots built on
//! it (echo, DTMF reader, ringback); [`media`] fulfils the core's media commands.

pub mod clock;
pub mod config;
pub mod credentials;
pub mod driver;
pub mod g711;
pub mod load;
pub mod media;
pub mod report;
pub mod rfc4733;
pub mod roles;

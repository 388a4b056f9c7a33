//! Sans-IO SIP user agent core.
//!
//! The core never touches a socket, a clock or a random source: the driver feeds it
//! inputs stamped with the current time and drains its outputs. See [`ua`] for the
//! driver loop.
#![cfg_attr(not(test), warn(missing_docs))]

pub mod decimal;
pub mod digest;
pub mod message;
pub mod sdp;

mod call;
mod dialog;
pub mod error;
pub mod events;
mod hash;
pub mod media;
mod outgoing;
pub mod quality;
mod registration;
pub mod rng;
pub mod search;
pub mod timer;
pub mod transaction;
pub mod ua;

pub use ua::{
    CallDirection, CallId, CallInfo, CallState, CommandError, Direction, EndCause, ErrorScope,
    Event, HoldState, Input, Instant, MediaCommand, MediaResult, Output, ReconnectPolicy,
    TransportCommand, Ua, UaConfig,
};

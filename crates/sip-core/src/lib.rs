//! Sans-IO SIP user agent core.
//!
//! The core never touches a socket, a clock or a random source: the driver feeds it
//! inputs stamped with the current time and drains its outputs. See [`ua`] for the
//! driver loop.
#![cfg_attr(not(test), warn(missing_docs))]

pub mod digest;
pub mod message;
pub mod sdp;

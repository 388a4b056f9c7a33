//! The contract with the driver: what it feeds the user agent ([`Input`]) and what it
//! drains from it ([`Output`]), in the loop the [`ua`](super) module documents.

use super::{CallId, Event, Instant, MediaCommand, MediaResult};
#[cfg(doc)]
use super::{ReconnectPolicy, Ua};

/// Something that happened to the user agent, fed by the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Input<'a> {
    /// One SIP message from the WebSocket (one message per frame, RFC 7118).
    Received(&'a str),
    /// The WebSocket asked for by [`TransportCommand::Connect`] is open.
    TransportConnected,
    /// The WebSocket closed or could not open.
    TransportClosed {
        /// Why, for logs.
        reason: String,
    },
    /// The media layer finished a [`MediaCommand`] or changed state.
    Media {
        /// Which call.
        call: CallId,
        /// What happened.
        result: MediaResult,
    },
    /// The platform reports a network change (the browser's `online` event, a new
    /// connection type): the transport may be dead without knowing it, so it is probed now.
    NetworkChanged,
}

/// What the driver must do with its WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportCommand {
    /// Open a WebSocket (subprotocol `sip`) to `url`; answer with
    /// [`Input::TransportConnected`] or [`Input::TransportClosed`]. Unanswered after
    /// [`ReconnectPolicy::connect_timeout`], it is abandoned with [`TransportCommand::Close`].
    Connect {
        /// The server URL.
        url: String,
    },
    /// Close the WebSocket. The user agent counts it closed at once: the driver drops it
    /// without waiting for a closing handshake and reports nothing more of it.
    Close,
}

/// What the user agent wants from its driver, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Send this SIP message as one WebSocket text frame.
    Transmit(String),
    /// Open or close the WebSocket.
    Transport(TransportCommand),
    /// Ask the media layer of a call to do something.
    Media {
        /// Which call.
        call: CallId,
        /// What to do.
        command: MediaCommand,
    },
    /// Tell the application.
    Event(Event),
    /// Nothing more to do now: call [`Ua::handle_timeout`] at this instant (`None`: no timer).
    Timeout(Option<Instant>),
}

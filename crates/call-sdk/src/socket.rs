//! The WebSocket driver: one SIP-over-WebSocket connection (RFC 7118, subprotocol `sip`).
//!
//! A [`Socket`] owns the browser socket and its callbacks; dropping it detaches the callbacks
//! and closes the connection, so a closed transport leaves nothing behind. That is also how a
//! half-dead socket (a flow that died without a close) is abandoned: once dropped it reports
//! nothing more, so a reconnect need not wait for a closing handshake that never completes.
//!
//! A [`NetworkWatch`] reports the browser's network changes, after which a socket that still
//! looks open may be dead.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::js;

/// What the socket reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    /// The handshake completed with the `sip` subprotocol.
    Open,
    /// A SIP message arrived.
    Message(String),
    /// The connection is gone (or never came up); nothing more will be reported.
    Closed {
        /// The WebSocket close code (1006 when the connection failed).
        code: u16,
        /// The close reason the server gave, if any.
        reason: String,
    },
}

/// The socket events the engine listens to.
const EVENTS: [&str; 3] = ["open", "message", "close"];

/// An open (or opening) SIP WebSocket.
pub struct Socket {
    ws: WebSocket,
    /// One callback for `open`, `message` and `close`, told apart by `event.type`: one closure
    /// (of the type `NetworkWatch` uses too) is smaller in the wasm than three.
    on_event: Closure<dyn FnMut(web_sys::Event)>,
}

impl Socket {
    /// Starts connecting to `url`; `sink` receives every [`SocketEvent`] of this connection.
    pub fn open(url: &str, sink: impl Fn(SocketEvent) + 'static) -> Result<Self, String> {
        let ws = WebSocket::new_with_str(url, "sip").map_err(|e| js::describe(&e))?;
        ws.set_binary_type(BinaryType::Arraybuffer);

        let on_event = {
            let ws = ws.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                match ev.type_().as_str() {
                    "open" if ws.protocol() == "sip" => sink(SocketEvent::Open),
                    // RFC 7118 §4: without the subprotocol this is not a SIP server.
                    "open" => {
                        let _ = ws.close_with_code_and_reason(1002, "sip subprotocol required");
                    }
                    "message" => {
                        if let Some(text) = message_text(&ev.unchecked_into::<MessageEvent>()) {
                            sink(SocketEvent::Message(text));
                        }
                    }
                    _ => {
                        let ev = ev.unchecked_into::<CloseEvent>();
                        sink(SocketEvent::Closed {
                            code: ev.code(),
                            reason: ev.reason(),
                        });
                    }
                }
            })
        };
        js::listen(&ws, &EVENTS, on_event.as_ref().unchecked_ref(), true);
        Ok(Self { ws, on_event })
    }

    /// Sends one SIP message as a text frame.
    pub fn send(&self, text: &str) -> Result<(), String> {
        if self.ws.ready_state() != WebSocket::OPEN {
            return Err("the SIP WebSocket is not open".into());
        }
        self.ws.send_with_str(text).map_err(|e| js::describe(&e))
    }
}

/// The text of a frame: a string, or an `ArrayBuffer` holding UTF-8 (anything else is dropped).
fn message_text(ev: &MessageEvent) -> Option<String> {
    let data = ev.data();
    match data.as_string() {
        Some(text) => Some(text),
        None => data
            .dyn_into::<js_sys::ArrayBuffer>()
            .ok()
            .and_then(|buf| String::from_utf8(js_sys::Uint8Array::new(&buf).to_vec()).ok()),
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        js::listen(
            &self.ws,
            &EVENTS,
            self.on_event.as_ref().unchecked_ref(),
            false,
        );
        let _ = self.ws.close_with_code(1000);
    }
}

/// Calls back when the browser says the network changed: the global scope's `online` event
/// and, where the Network Information API exists, `navigator.connection`'s `change` (a new
/// network type or link). Dropping it removes the listeners.
pub struct NetworkWatch {
    /// The global scope and `navigator.connection` (`undefined` where there is none), the
    /// targets of [`NETWORK_EVENTS`] in order.
    targets: [JsValue; 2],
    callback: Closure<dyn FnMut(web_sys::Event)>,
}

/// The event each target of a [`NetworkWatch`] reports a change with.
const NETWORK_EVENTS: [&str; 2] = ["online", "change"];

impl NetworkWatch {
    /// Listens wherever this environment can tell; in one without those events it does nothing.
    pub fn new(on_change: impl Fn() + 'static) -> Self {
        let callback =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| on_change());
        let global = JsValue::from(js_sys::global());
        let connection = js::get(&js::get(&global, "navigator"), "connection");
        let watch = Self {
            targets: [global, connection],
            callback,
        };
        watch.listen(true);
        watch
    }

    /// Adds or removes the listeners. A target that is no `EventTarget` refuses the call,
    /// and `js::listen` ignores the refusal, as the environment has no such event.
    fn listen(&self, add: bool) {
        for (target, event) in self.targets.iter().zip(NETWORK_EVENTS) {
            if target.is_object() {
                js::listen(
                    target.unchecked_ref(),
                    &[event],
                    self.callback.as_ref().unchecked_ref(),
                    add,
                );
            }
        }
    }
}

impl Drop for NetworkWatch {
    fn drop(&mut self) {
        self.listen(false);
    }
}

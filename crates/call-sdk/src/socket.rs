//! The WebSocket driver: one SIP-over-WebSocket connection (RFC 7118, subprotocol `sip`).
//!
//! A [`Socket`] owns the browser socket and its callbacks; dropping it detaches the callbacks
//! and closes the connection, so a closed transport leaves nothing behind.

use std::rc::Rc;

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

/// An open (or opening) SIP WebSocket.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Starts connecting to `url`; `sink` receives every [`SocketEvent`] of this connection.
    pub fn open(url: &str, sink: Rc<dyn Fn(SocketEvent)>) -> Result<Self, String> {
        let ws = WebSocket::new_with_str(url, "sip").map_err(|e| js::describe(&e))?;
        ws.set_binary_type(BinaryType::Arraybuffer);

        let on_open = {
            let sink = sink.clone();
            let ws = ws.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                if ws.protocol() == "sip" {
                    sink(SocketEvent::Open);
                } else {
                    // RFC 7118 §4: without the subprotocol this is not a SIP server.
                    let _ = ws.close_with_code_and_reason(1002, "sip subprotocol required");
                }
            })
        };
        let on_message = {
            let sink = sink.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                let data = ev.data();
                let text = match data.as_string() {
                    Some(text) => Some(text),
                    None => data.dyn_into::<js_sys::ArrayBuffer>().ok().and_then(|buf| {
                        String::from_utf8(js_sys::Uint8Array::new(&buf).to_vec()).ok()
                    }),
                };
                if let Some(text) = text {
                    sink(SocketEvent::Message(text));
                }
            })
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            sink(SocketEvent::Closed {
                code: ev.code(),
                reason: ev.reason(),
            });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one SIP message as a text frame.
    pub fn send(&self, text: &str) -> Result<(), String> {
        if self.ws.ready_state() != WebSocket::OPEN {
            return Err("the SIP WebSocket is not open".into());
        }
        self.ws.send_with_str(text).map_err(|e| js::describe(&e))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close_with_code(1000);
    }
}

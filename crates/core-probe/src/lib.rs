//! The sans-IO user agent with the thinnest bridge a page could drive it through: strings in,
//! one encoded output per poll out. No WebSocket, peer connection, fetch or timer code: those
//! would be the page's. Built only to measure (`scripts/bench`, docs/size.md); not shipped.
//!
//! Fields are separated by U+001F (unit separator). Every output starts with one tag byte:
//! `T` transmit, `C` connect, `X` close, `M` media command, `E` event, `W` wait until (ms).

use std::cell::RefCell;

use sip_core::decimal;
use sip_core::timer::Instant;
use sip_core::ua::{
    CallId, CallInfo, Event, Input, MediaCommand, MediaResult, Output, TransportCommand, Ua,
    UaConfig,
};
use wasm_bindgen::prelude::wasm_bindgen;

const SEP: char = '\u{1f}';

thread_local! {
    static UA: RefCell<Option<Ua>> = const { RefCell::new(None) };
}

/// Creates the user agent from `sip uri, user, password, servers (space separated), instance id`.
#[wasm_bindgen]
pub fn create(config: &str, now: f64, seed: f64) {
    let mut fields = config.split(SEP);
    let mut next = || fields.next().unwrap_or_default();
    let (uri, user, password) = (next(), next(), next());
    let servers = next()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut ua_config = UaConfig::new(uri, user, password, servers);
    ua_config.instance_id = next().to_owned();
    let ua = Ua::new(ua_config, seed as u64, Instant(now as u64));
    UA.with(|cell| *cell.borrow_mut() = Some(ua));
}

/// Runs one command or input; `arg` is the call id, then (after a separator) its argument.
/// Returns 0 on success, 1 when the core refused, 2 when there is no user agent.
#[wasm_bindgen]
pub fn command(kind: u32, arg: &str, now: f64) -> u32 {
    let now = Instant(now as u64);
    UA.with(|cell| {
        let mut cell = cell.borrow_mut();
        let Some(ua) = cell.as_mut() else { return 2 };
        let (id, rest) = arg.split_once(SEP).unwrap_or((arg, ""));
        let call = CallId(id.to_owned());
        let result = match kind {
            0 => ua.answer(now, &call),
            1 => ua.reject(now, &call),
            2 => ua.hangup(now, &call),
            3 => ua.hold(now, &call),
            4 => ua.unhold(now, &call),
            5 => ua.mute(now, &call),
            6 => ua.unmute(now, &call),
            7 => ua.dtmf(now, &call, rest),
            8 => ua.call(now, arg).map(drop),
            _ => {
                match kind {
                    9 => ua.start(now),
                    10 => ua.shutdown(now),
                    11 => ua.handle_input(now, Input::Received(arg)),
                    12 => ua.handle_input(now, Input::TransportConnected),
                    13 => ua.handle_input(
                        now,
                        Input::TransportClosed {
                            reason: arg.to_owned(),
                        },
                    ),
                    14 => ua.handle_input(now, Input::NetworkChanged),
                    15 => ua.handle_input(
                        now,
                        Input::Media {
                            call,
                            result: media_result(rest),
                        },
                    ),
                    _ => ua.handle_timeout(now),
                }
                Ok(())
            }
        };
        u32::from(result.is_err())
    })
}

/// A media result from its tag byte and text: `o` offer, `a` answer, `r` applied, `c` ICE
/// connected, `d` ICE disconnected, `x` ICE failed, anything else a failure with that text.
fn media_result(text: &str) -> MediaResult {
    let (tag, rest) = text.split_at(text.len().min(1));
    match tag {
        "o" => MediaResult::LocalOffer(rest.to_owned()),
        "a" => MediaResult::LocalAnswer(rest.to_owned()),
        "r" => MediaResult::RemoteApplied,
        "c" => MediaResult::IceConnected,
        "d" => MediaResult::IceDisconnected,
        "x" => MediaResult::IceFailed,
        _ => MediaResult::Failed(text.to_owned()),
    }
}

/// The next output, encoded; `W` with no time means no timer is needed.
#[wasm_bindgen]
pub fn poll() -> String {
    UA.with(|cell| {
        cell.borrow_mut()
            .as_mut()
            .map(|ua| encode(ua.poll_output()))
            .unwrap_or_default()
    })
}

fn encode(output: Output) -> String {
    let mut out = String::new();
    match output {
        Output::Transmit(text) => push(&mut out, 'T', &[&text]),
        Output::Transport(TransportCommand::Connect { url }) => push(&mut out, 'C', &[&url]),
        Output::Transport(TransportCommand::Close) => out.push('X'),
        Output::Media { call, command } => {
            let (tag, text) = match &command {
                MediaCommand::CreateOffer => ("o", ""),
                MediaCommand::CreateAnswer { remote_sdp } => ("a", remote_sdp.as_str()),
                MediaCommand::ApplyAnswer { remote_sdp } => ("p", remote_sdp.as_str()),
                MediaCommand::CreateReoffer {
                    direction,
                    ice_restart: false,
                    ..
                } => ("r", direction.as_str()),
                MediaCommand::CreateReoffer { direction, .. } => ("i", direction.as_str()),
                MediaCommand::Rollback => ("b", ""),
                MediaCommand::InsertDtmf { tones, .. } => ("d", tones.as_str()),
                MediaCommand::SetMuted(true) => ("m", "1"),
                MediaCommand::SetMuted(false) => ("m", "0"),
                MediaCommand::SetMutedIn(true) => ("i", "1"),
                MediaCommand::SetMutedIn(false) => ("i", "0"),
                MediaCommand::Close => ("c", ""),
                MediaCommand::GetStats => ("s", ""),
            };
            push(&mut out, 'M', &[call.as_str(), tag, text]);
        }
        Output::Event(event) => encode_event(&mut out, &event),
        Output::Timeout(at) => {
            out.push('W');
            if let Some(at) = at {
                decimal::push(&mut out, at.0);
            }
        }
    }
    out
}

fn encode_event(out: &mut String, event: &Event) {
    push(out, 'E', &[event.name()]);
    match event {
        Event::RegisteredChange { registered } => push_field(out, flag(*registered)),
        Event::RegistrationFailed { code, reason } => {
            push_number(out, u64::from(*code));
            push_field(out, reason);
        }
        Event::Incoming(info) | Event::SessionStarted(info) | Event::CallUpdated(info) => {
            push_info(out, info)
        }
        Event::SessionEnded {
            call,
            cause,
            status,
        } => {
            push_field(out, call.as_str());
            push_field(out, cause.as_str());
            if let Some(status) = status {
                push_number(out, u64::from(*status));
            }
        }
        Event::Dtmf { call, tone } => {
            push_field(out, call.as_str());
            out.push(SEP);
            out.push(*tone);
        }
        Event::Error { scope, detail } => {
            push_field(out, scope.as_str());
            push_field(out, detail);
        }
        Event::HoldFailed {
            call,
            hold,
            status,
            reason,
        } => {
            push_field(out, call.as_str());
            push_field(out, flag(*hold));
            push_field(out, reason);
            if let Some(status) = status {
                push_number(out, u64::from(*status));
            }
        }
        Event::TransferAccepted { call } => push_field(out, call.as_str()),
        Event::TransferFailed {
            call,
            status,
            reason,
        } => {
            push_field(out, call.as_str());
            push_field(out, reason);
            if let Some(status) = status {
                push_number(out, u64::from(*status));
            }
        }
        Event::TransferRequested { call, target } => {
            push_field(out, call.as_str());
            push_field(out, target);
        }
        Event::Pong { id, status, rtt_ms } => {
            push_number(out, id.map_or(0, u64::from));
            push_number(out, u64::from(*status));
            push_number(out, *rtt_ms);
        }
        // The probe's user agent samples no quality (its config leaves it off).
        Event::Stats { call, .. } => push_field(out, call.as_str()),
        Event::QualityWarning { call, warning, .. }
        | Event::QualityWarningCleared { call, warning } => {
            push_field(out, call.as_str());
            push_field(out, warning.as_str());
        }
        Event::Message {
            call,
            from,
            text,
            content_type,
        } => {
            push_field(out, call.as_ref().map_or("", CallId::as_str));
            push_field(out, from);
            push_field(out, content_type);
            push_field(out, text);
        }
        Event::Connected | Event::Disconnected | Event::CredentialsExpiring | Event::Destroyed => {}
    }
}

fn push_info(out: &mut String, info: &CallInfo) {
    for field in [
        info.id.as_str(),
        info.direction.as_str(),
        info.state.as_str(),
        &info.remote_number,
    ] {
        push_field(out, field);
    }
    push_field(out, info.remote_name.as_deref().unwrap_or_default());
    push_number(out, info.started_at.0);
    out.push(SEP);
    if let Some(at) = info.answered_at {
        decimal::push(out, at.0);
    }
    for on in [info.muted, info.held.local, info.held.remote] {
        push_field(out, flag(on));
    }
}

fn flag(on: bool) -> &'static str {
    if on {
        "1"
    } else {
        "0"
    }
}

fn push(out: &mut String, tag: char, fields: &[&str]) {
    out.push(tag);
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(field);
    }
}

fn push_field(out: &mut String, field: &str) {
    out.push(SEP);
    out.push_str(field);
}

fn push_number(out: &mut String, n: u64) {
    out.push(SEP);
    decimal::push(out, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain() -> Vec<String> {
        let mut outputs = Vec::new();
        loop {
            let output = poll();
            let done = output.starts_with('W') || output.is_empty();
            outputs.push(output);
            if done {
                return outputs;
            }
        }
    }

    /// Drives the probe through connect and the first REGISTER: the interface it is measured
    /// with must reach the real user agent.
    #[test]
    fn connects_and_registers_through_the_string_interface() {
        create(
            "sip:1001@acme.test\u{1f}1001\u{1f}secret\u{1f}wss://edge.acme.test\u{1f}urn:uuid:1",
            1000.0,
            7.0,
        );
        assert_eq!(command(9, "", 1000.0), 0);
        let outputs = drain();
        assert!(
            outputs.iter().any(|o| o == "Cwss://edge.acme.test"),
            "{outputs:?}"
        );
        assert_eq!(command(12, "", 1010.0), 0);
        let outputs = drain();
        let register = outputs
            .iter()
            .find(|o| o.starts_with('T'))
            .expect("a transmit");
        assert!(
            register.starts_with("TREGISTER sip:acme.test SIP/2.0\r\n"),
            "{register}"
        );
        assert!(
            register.contains("+sip.instance=\"<urn:uuid:1>\""),
            "{register}"
        );
        assert!(
            outputs
                .last()
                .is_some_and(|o| o.starts_with('W') && o.len() > 1),
            "{outputs:?}"
        );
        assert_eq!(
            command(2, "no-such-call", 1020.0),
            1,
            "an unknown call is refused"
        );
    }

    #[test]
    fn media_results_decode_by_tag() {
        assert_eq!(
            media_result("ov=0"),
            MediaResult::LocalOffer(String::from("v=0"))
        );
        assert_eq!(media_result("c"), MediaResult::IceConnected);
        assert_eq!(media_result(""), MediaResult::Failed(String::new()));
    }
}

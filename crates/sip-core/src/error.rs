//! Errors returned to the caller of a user command (misuse, not network failure).

use std::borrow::Cow;

/// Why a user command was refused. Network and peer failures are events, not errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// No call has that id (it may have ended).
    UnknownCall(String),
    /// The call is not in a state that allows this command.
    WrongState {
        /// Which call.
        call: String,
        /// Its state.
        state: &'static str,
        /// The refused command.
        command: &'static str,
    },
    /// The DTMF string contains a character outside `0-9 * # A-D ,`.
    InvalidTone(char),
    /// The DTMF string is empty.
    NoTones,
    /// The call target is empty or contains characters that cannot go in a SIP URI.
    InvalidTarget(String),
    /// A rejection status outside 300..=699.
    InvalidStatus(u16),
    /// Another argument is out of its range or holds what SIP cannot carry: what and the fix.
    InvalidArgument(&'static str),
    /// The transport is not connected.
    NotConnected,
    /// The user agent is shutting down or destroyed.
    ShutDown,
}

impl CommandError {
    /// What was refused and how to do it right, for the application (what `Display` writes).
    /// Built by concatenation rather than `format!`, so a driver that shows it links no
    /// `core::fmt` (docs/size.md).
    #[must_use]
    pub fn message(&self) -> Cow<'static, str> {
        let text = match self {
            CommandError::UnknownCall(id) => {
                ["no call with id ", id, " (it may have ended)"].concat()
            }
            CommandError::WrongState {
                call,
                state,
                command,
            } => [
                "call ",
                call,
                " is ",
                state,
                ": cannot ",
                command,
                " it now",
            ]
            .concat(),
            CommandError::InvalidTone(c) => {
                let mut buf = [0u8; 4];
                [
                    "invalid DTMF tone '",
                    c.encode_utf8(&mut buf),
                    "': use 0-9, *, #, A-D and ',' for a pause",
                ]
                .concat()
            }
            CommandError::NoTones => return Cow::Borrowed("no DTMF tones given"),
            CommandError::InvalidTarget(target) => [
                "invalid call target '",
                target,
                "': use a number or a sip: URI",
            ]
            .concat(),
            CommandError::InvalidStatus(status) => [
                "invalid rejection status ",
                &crate::decimal::string(u64::from(*status)),
                ": use 300-699 (486 Busy Here, 603 Decline)",
            ]
            .concat(),
            CommandError::InvalidArgument(what) => return Cow::Borrowed(what),
            CommandError::NotConnected => {
                return Cow::Borrowed("not connected to the SIP server yet")
            }
            CommandError::ShutDown => return Cow::Borrowed("the user agent is shutting down"),
        };
        Cow::Owned(text)
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::CommandError;

    #[test]
    fn messages_name_the_call_and_the_fix() {
        let cases = [
            (
                CommandError::UnknownCall("c1".into()),
                "no call with id c1 (it may have ended)",
            ),
            (
                CommandError::WrongState {
                    call: "c1".into(),
                    state: "ringing",
                    command: "hold",
                },
                "call c1 is ringing: cannot hold it now",
            ),
            (
                CommandError::InvalidTone('x'),
                "invalid DTMF tone 'x': use 0-9, *, #, A-D and ',' for a pause",
            ),
            (CommandError::NoTones, "no DTMF tones given"),
            (
                CommandError::InvalidTarget("a b".into()),
                "invalid call target 'a b': use a number or a sip: URI",
            ),
            (
                CommandError::InvalidStatus(200),
                "invalid rejection status 200: use 300-699 (486 Busy Here, 603 Decline)",
            ),
            (
                CommandError::NotConnected,
                "not connected to the SIP server yet",
            ),
            (CommandError::ShutDown, "the user agent is shutting down"),
        ];
        for (err, text) in cases {
            assert_eq!(err.message(), text);
            assert_eq!(err.to_string(), text);
        }
    }
}

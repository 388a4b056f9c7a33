//! The bots: what each role does with the notices of its agent.

use serde_json::Value;
use sip_core::{CallId, Event};
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::Clock;
use crate::config::{Bot, Config, Role};
use crate::driver::{self, Agent, Command, Notice, Settings, Signer};
use crate::media::MediaMode;
use crate::report::emit;

/// The media a role's calls need.
#[must_use]
pub fn media_mode(role: Role) -> MediaMode {
    match role {
        Role::Echo => MediaMode::Echo,
        Role::Dtmf { rfc4733 } => MediaMode::Listen {
            telephone_event: rfc4733,
        },
        Role::Ringback { tone_hz, .. } => MediaMode::Tone { hz: tone_hz },
    }
}

/// Starts the agent of `bot` and the task that plays its role; returns the agent's command
/// sender (send [`Command::Shutdown`] to stop it) and the role's task.
#[must_use]
pub fn start(
    clock: Clock,
    config: &Config,
    bot: &Bot,
) -> (UnboundedSender<Command>, tokio::task::JoinHandle<()>) {
    let signer = Signer {
        secret: config.secret.clone(),
        extension: bot.extension.clone(),
        ttl_secs: config.credential_ttl_secs,
    };
    let mut ua = signer.ua_config(&clock, &config.domain, config.ws_servers.clone());
    ua.display_name.clone_from(&bot.display_name);
    let agent = driver::spawn(
        clock,
        Settings {
            ua,
            media: media_mode(bot.role),
            signer: Some(signer),
        },
    );
    let commands = agent.commands.clone();
    let task = tokio::spawn(play(clock, bot.clone(), agent));
    (commands, task)
}

fn call_field(call: &CallId) -> (&'static str, Value) {
    ("call", Value::from(call.as_str()))
}

/// Reacts to the agent's notices until it is destroyed.
async fn play(clock: Clock, bot: Bot, mut agent: Agent) {
    let ext = bot.extension.as_str();
    let report = |event: &str, fields: &[(&str, Value)]| emit(ext, event, clock.now().0, fields);
    report("started", &[("role", Value::from(bot.role.name()))]);
    while let Some(notice) = agent.notices.recv().await {
        match notice {
            Notice::Sip(Event::RegisteredChange { registered }) => {
                report("registered", &[("registered", Value::from(registered))]);
            }
            Notice::Sip(Event::RegistrationFailed { code, reason }) => report(
                "registration_failed",
                &[("code", Value::from(code)), ("reason", Value::from(reason))],
            ),
            Notice::Sip(Event::Incoming(info)) => {
                report(
                    "incoming",
                    &[
                        call_field(&info.id),
                        ("from", Value::from(info.remote_number)),
                    ],
                );
                let id = info.id;
                match bot.role {
                    Role::Echo | Role::Dtmf { .. } => {
                        let _ = agent.commands.send(Command::Answer(id));
                    }
                    Role::Ringback {
                        answer_after_ms, ..
                    } => {
                        let _ = agent.commands.send(Command::EarlyMedia(id.clone()));
                        report("early_media", &[call_field(&id)]);
                        let commands = agent.commands.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(std::time::Duration::from_millis(answer_after_ms))
                                .await;
                            let _ = commands.send(Command::Answer(id));
                        });
                    }
                }
            }
            Notice::Sip(Event::SessionStarted(info)) => report("answered", &[call_field(&info.id)]),
            Notice::Sip(Event::SessionEnded {
                call,
                cause,
                status,
            }) => report(
                "ended",
                &[
                    call_field(&call),
                    ("cause", Value::from(cause.as_str())),
                    ("status", Value::from(status)),
                ],
            ),
            Notice::Sip(Event::Error { scope, detail }) => report(
                "error",
                &[
                    ("scope", Value::from(scope.as_str())),
                    ("detail", Value::from(detail)),
                ],
            ),
            Notice::Sip(Event::Destroyed) => {
                report("stopped", &[]);
                break;
            }
            Notice::Sip(_) => {}
            Notice::Refused { command, error } => report(
                "error",
                &[
                    ("scope", Value::from("command")),
                    (
                        "detail",
                        Value::from([command, ": ", &error.message()].concat()),
                    ),
                ],
            ),
            Notice::Digit { call, digit } => report(
                "digit",
                &[
                    call_field(&call),
                    ("via", Value::from("rfc4733")),
                    ("digit", Value::from(digit.digit.to_string())),
                    ("duration_ms", Value::from(digit.duration_ms)),
                    ("media_start_ms", Value::from(digit.media_start_ms)),
                    ("ended", Value::from(digit.ended)),
                ],
            ),
            Notice::InfoDigit {
                call,
                tone,
                duration_ms,
            } => report(
                "digit",
                &[
                    call_field(&call),
                    ("via", Value::from("info")),
                    ("digit", Value::from(tone.to_string())),
                    ("duration_ms", Value::from(duration_ms)),
                ],
            ),
            Notice::FirstAudio { call } => report("audio", &[call_field(&call)]),
        }
    }
}

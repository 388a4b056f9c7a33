//! What the bots report: one JSON object per line on stdout, for people and for tests.
//!
//! Every line has `bot` (the extension), `event` and `t_ms` (milliseconds since the bot
//! started, monotonic). Events: `registered`, `registration_failed`, `incoming`, `answered`,
//! `early_media`, `audio` (the first audio packet of a call), `digit`, `ended`, `error`.

use std::io::Write;

use serde_json::{Map, Value};

/// Writes one report line: `fields` beside `bot`, `event` and `t_ms`.
pub fn emit(bot: &str, event: &str, t_ms: u64, fields: &[(&str, Value)]) {
    let mut line = Map::new();
    line.insert(String::from("bot"), Value::from(bot));
    line.insert(String::from("event"), Value::from(event));
    line.insert(String::from("t_ms"), Value::from(t_ms));
    for (k, v) in fields {
        line.insert((*k).to_owned(), v.clone());
    }
    let mut out = std::io::stdout().lock();
    // A closed stdout (the reader went away) is not the bots' problem.
    let _ = writeln!(out, "{}", Value::Object(line));
    let _ = out.flush();
}

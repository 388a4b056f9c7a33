//! The bots' configuration file (TOML, e.g. `dev/bots.toml`): where the proxy is, the
//! shared secret credentials are signed with, and one entry per extension with its role.

use std::path::Path;

use serde::Deserialize;

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not TOML, or not this shape.
    #[error("bad configuration: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value out of its range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// WebSocket URLs of the proxy (`ws://` only: the bots run beside it).
    pub ws_servers: Vec<String>,
    /// The SIP domain of the extensions.
    #[serde(default = "default_domain")]
    pub domain: String,
    /// The secret Kamailio's `auth_ephemeral` shares.
    pub secret: String,
    /// How long a minted credential lives; it is renewed before it expires.
    #[serde(default = "default_ttl")]
    pub credential_ttl_secs: u64,
    /// The bots.
    #[serde(rename = "bot", default)]
    pub bots: Vec<Bot>,
}

/// One extension and what it does.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Bot {
    /// The extension it registers (`9000`).
    pub extension: String,
    /// The display name callers see.
    #[serde(default)]
    pub display_name: Option<String>,
    /// What it does with calls.
    #[serde(flatten)]
    pub role: Role,
}

/// What a bot does with the calls it receives.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Role {
    /// Answers and sends the caller's audio back.
    Echo,
    /// Answers and reports each digit it receives (RFC 4733 and SIP INFO).
    Dtmf {
        /// Accept RFC 4733 telephone events in the answer; `false` leaves them out, so the
        /// caller must send its digits by SIP INFO.
        #[serde(default = "yes")]
        rfc4733: bool,
    },
    /// Sends 183 with a tone as early media, then answers after `answer_after_ms`.
    Ringback {
        /// How long the early media lasts before the 200.
        #[serde(default = "default_answer_after")]
        answer_after_ms: u64,
        /// The tone's frequency (425 Hz: the European ringback tone).
        #[serde(default = "default_tone")]
        tone_hz: f64,
    },
}

impl Role {
    /// The role's name in reports.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Role::Echo => "echo",
            Role::Dtmf { .. } => "dtmf",
            Role::Ringback { .. } => "ringback",
        }
    }
}

fn yes() -> bool {
    true
}
fn default_domain() -> String {
    String::from("127.0.0.1")
}
fn default_ttl() -> u64 {
    3600
}
fn default_answer_after() -> u64 {
    3000
}
fn default_tone() -> f64 {
    425.0
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text)
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.ws_servers.is_empty() {
            return invalid(String::from("ws_servers is empty"));
        }
        if let Some(url) = self.ws_servers.iter().find(|u| !u.starts_with("ws://")) {
            return invalid(["ws_servers: ", url, " is not a ws:// URL"].concat());
        }
        if self.secret.is_empty() {
            return invalid(String::from("secret is empty"));
        }
        if self.domain.is_empty()
            || self
                .domain
                .contains(|c: char| c.is_whitespace() || c == '@')
        {
            return invalid(["domain ", &self.domain, " is not a host"].concat());
        }
        if !(60..=86_400 * 30).contains(&self.credential_ttl_secs) {
            return invalid(String::from("credential_ttl_secs must be 60 to 2592000"));
        }
        for (i, bot) in self.bots.iter().enumerate() {
            let ext = &bot.extension;
            if ext.is_empty() || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                return invalid(["bot extension ", ext, " must be letters and digits"].concat());
            }
            if self.bots[..i].iter().any(|b| b.extension == *ext) {
                return invalid(["bot extension ", ext, " appears twice"].concat());
            }
            if let Role::Ringback {
                answer_after_ms,
                tone_hz,
            } = bot.role
            {
                if answer_after_ms > 60_000 {
                    return invalid(String::from("answer_after_ms must be at most 60000"));
                }
                if !(50.0..=3_900.0).contains(&tone_hz) {
                    return invalid(String::from("tone_hz must be 50 to 3900 (8 kHz sampling)"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        ws_servers = ["ws://127.0.0.1:8088"]
        secret = "klink-dev-secret"

        [[bot]]
        extension = "9000"
        role = "echo"
        display_name = "Echo"

        [[bot]]
        extension = "9001"
        role = "dtmf"

        [[bot]]
        extension = "9002"
        role = "ringback"
        answer_after_ms = 1500

        [[bot]]
        extension = "9003"
        role = "dtmf"
        rfc4733 = false
    "#;

    #[test]
    fn reads_every_role_with_defaults() {
        let c = Config::parse(GOOD).map_err(|e| e.to_string());
        let c = c
            .as_ref()
            .map(|c| (&c.domain, c.credential_ttl_secs, &c.bots));
        let Ok((domain, ttl, bots)) = c else {
            panic!("{c:?}");
        };
        assert_eq!((domain.as_str(), ttl), ("127.0.0.1", 3600));
        assert_eq!(bots[0].role, Role::Echo);
        assert_eq!(bots[0].display_name.as_deref(), Some("Echo"));
        assert_eq!(bots[1].role, Role::Dtmf { rfc4733: true });
        assert_eq!(
            bots[2].role,
            Role::Ringback {
                answer_after_ms: 1500,
                tone_hz: 425.0
            }
        );
        assert_eq!(bots[3].role, Role::Dtmf { rfc4733: false });
    }

    #[test]
    fn the_repository_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dev/bots.toml");
        let c = Config::load(&path).map_err(|e| e.to_string());
        assert_eq!(c.map(|c| c.bots.len()), Ok(3));
    }

    #[test]
    fn refuses_bad_values_with_a_reason() {
        let cases = [
            (GOOD.replace("ws://", "wss://"), "not a ws:// URL"),
            (GOOD.replace("\"9001\"", "\"9000\""), "appears twice"),
            (GOOD.replace("\"9001\"", "\"90 01\""), "letters and digits"),
            (GOOD.replace("\"dtmf\"", "\"fax\""), "bad configuration"),
            (GOOD.replace("1500", "90000"), "at most 60000"),
            (GOOD.replace("secret =", "secrett ="), "bad configuration"),
            (String::from("not toml ["), "bad configuration"),
        ];
        for (text, want) in cases {
            let got = Config::parse(&text).map(|_| ()).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|e| e.contains(want)),
                "{want}: {got:?}"
            );
        }
    }
}

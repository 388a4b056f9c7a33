//! The gateway configuration: the TOML file, command-line overrides, and the checks that make a
//! bad file fail at startup instead of at the first request.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tokens::{parse_sha256_hex, TokenSpec};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_TTL_SECS: u64 = 3600;

/// A configuration that loaded and passed every check.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) sip_domain: String,
    pub(crate) shared_secret: String,
    pub(crate) credential_ttl_secs: u64,
    pub(crate) ws_servers: Vec<String>,
    pub(crate) ice_servers: Vec<IceServer>,
    pub(crate) admin_key: Option<String>,
    pub(crate) static_mounts: Vec<StaticMount>,
    pub(crate) tenants: Vec<Tenant>,
    pub(crate) tokens: Vec<TokenSpec>,
}

/// An `RTCIceServer` as the browser takes it; passed through to clients unchanged.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IceServer {
    pub(crate) urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<String>,
}

/// A directory served under a URL prefix; the prefix always starts and ends with `/`.
#[derive(Debug, Clone)]
pub(crate) struct StaticMount {
    pub(crate) prefix: String,
    pub(crate) dir: PathBuf,
}

#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) id: String,
    pub(crate) members: Vec<Member>,
}

impl Tenant {
    /// Looks a member up by an email already normalized with [`normalize_email`].
    pub(crate) fn member(&self, email: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.email == email)
    }
}

#[derive(Debug)]
pub(crate) struct Member {
    /// Lower-cased, so lookups are case-insensitive.
    pub(crate) email: String,
    pub(crate) display_name: String,
    pub(crate) extension: Option<String>,
}

/// Command-line values that take precedence over the file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Overrides {
    pub(crate) listen: Option<SocketAddr>,
    /// When non-empty, replaces the file's `ws_servers`.
    pub(crate) ws_servers: Vec<String>,
    /// Added to the file's mounts; a mount with the same prefix replaces the file's.
    pub(crate) static_mounts: Vec<(String, PathBuf)>,
    pub(crate) credential_ttl_secs: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML or has the wrong shape.
    #[error("invalid config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    /// The file parsed but a value is unusable.
    #[error("invalid config: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    sip_domain: String,
    shared_secret: String,
    credential_ttl_secs: Option<u64>,
    #[serde(default)]
    ws_servers: Vec<String>,
    #[serde(default)]
    ice_servers: Vec<IceServer>,
    admin_key: Option<String>,
    #[serde(default, rename = "static")]
    static_mounts: Vec<FileMount>,
    #[serde(default)]
    tenants: Vec<FileTenant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMount {
    prefix: String,
    dir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTenant {
    id: String,
    #[serde(default)]
    tokens: Vec<FileToken>,
    #[serde(default)]
    members: Vec<FileMember>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    id: String,
    sha256: String,
    #[serde(default)]
    abilities: Vec<String>,
    expires_at: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMember {
    email: String,
    display_name: String,
    extension: Option<String>,
}

impl Config {
    /// Reads `path`, applies `overrides` and validates the result. Relative static directories in
    /// the file are resolved against the parent of the file's directory (the repository root for
    /// `dev/gateway.toml`); those given on the command line against the working directory.
    pub(crate) fn load(path: &Path, overrides: Overrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: FileConfig = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let base = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().and_then(Path::parent).map(Path::to_owned))
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_file(file, &base, overrides)
    }

    fn from_file(file: FileConfig, base: &Path, overrides: Overrides) -> Result<Self, ConfigError> {
        let listen = match overrides.listen {
            Some(addr) => addr,
            None => {
                let text = file.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
                text.parse()
                    .map_err(|_| invalid(format!("listen {text:?} is not an IP:port address")))?
            }
        };
        if file.sip_domain.trim().is_empty() || file.sip_domain.contains(char::is_whitespace) {
            return Err(invalid("sip_domain must be a non-empty host name".into()));
        }
        if file.shared_secret.is_empty() {
            return Err(invalid("shared_secret must not be empty".into()));
        }
        let credential_ttl_secs = overrides
            .credential_ttl_secs
            .or(file.credential_ttl_secs)
            .unwrap_or(DEFAULT_TTL_SECS);
        if credential_ttl_secs == 0 {
            return Err(invalid("credential_ttl_secs must be at least 1".into()));
        }
        let ws_servers = if overrides.ws_servers.is_empty() {
            file.ws_servers
        } else {
            overrides.ws_servers
        };
        if let Some(bad) = ws_servers
            .iter()
            .find(|u| !(u.starts_with("ws://") || u.starts_with("wss://")))
        {
            return Err(invalid(format!(
                "ws server {bad:?} must start with ws:// or wss://"
            )));
        }
        let mut static_mounts = Vec::new();
        for mount in file.static_mounts {
            let dir = if mount.dir.is_absolute() {
                mount.dir
            } else {
                base.join(mount.dir)
            };
            add_mount(&mut static_mounts, &mount.prefix, dir)?;
        }
        for (prefix, dir) in overrides.static_mounts {
            add_mount(&mut static_mounts, &prefix, dir)?;
        }
        let (tenants, tokens) = build_tenants(file.tenants)?;
        Ok(Self {
            listen,
            sip_domain: file.sip_domain,
            shared_secret: file.shared_secret,
            credential_ttl_secs,
            ws_servers,
            ice_servers: file.ice_servers,
            admin_key: file.admin_key.filter(|k| !k.is_empty()),
            static_mounts,
            tenants,
            tokens,
        })
    }
}

fn invalid(reason: String) -> ConfigError {
    ConfigError::Invalid(reason)
}

fn add_mount(mounts: &mut Vec<StaticMount>, prefix: &str, dir: PathBuf) -> Result<(), ConfigError> {
    if !prefix.starts_with('/') || prefix.split('/').any(|s| s == ".." || s == ".") {
        return Err(invalid(format!(
            "static prefix {prefix:?} must be an absolute URL path"
        )));
    }
    let prefix = if prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    };
    mounts.retain(|m| m.prefix != prefix);
    mounts.push(StaticMount { prefix, dir });
    Ok(())
}

fn build_tenants(file: Vec<FileTenant>) -> Result<(Vec<Tenant>, Vec<TokenSpec>), ConfigError> {
    let mut tenant_ids = HashSet::new();
    let mut token_ids = HashSet::new();
    let mut token_hashes = HashSet::new();
    let mut extensions = HashSet::new();
    let mut tenants = Vec::new();
    let mut tokens = Vec::new();
    for (index, tenant) in file.into_iter().enumerate() {
        if tenant.id.is_empty() || !tenant_ids.insert(tenant.id.clone()) {
            return Err(invalid(format!(
                "tenant id {:?} is empty or repeated",
                tenant.id
            )));
        }
        for token in tenant.tokens {
            let sha256 = parse_sha256_hex(&token.sha256).ok_or_else(|| {
                invalid(format!(
                    "token {:?}: sha256 must be 64 hex digits",
                    token.id
                ))
            })?;
            if token.id.is_empty() || !token_ids.insert(token.id.clone()) {
                return Err(invalid(format!(
                    "token id {:?} is empty or repeated",
                    token.id
                )));
            }
            if !token_hashes.insert(sha256) {
                return Err(invalid(format!(
                    "token {:?} has the same hash as another token",
                    token.id
                )));
            }
            tokens.push(TokenSpec {
                id: token.id,
                tenant: index,
                sha256,
                abilities: token.abilities,
                expires_at: token.expires_at,
            });
        }
        let mut emails = HashSet::new();
        let mut members = Vec::new();
        for member in tenant.members {
            let email = normalize_email(&member.email).ok_or_else(|| {
                invalid(format!(
                    "tenant {:?}: {:?} is not an email address",
                    tenant.id, member.email
                ))
            })?;
            if !emails.insert(email.clone()) {
                return Err(invalid(format!(
                    "tenant {:?}: member {email} is repeated",
                    tenant.id
                )));
            }
            if let Some(extension) = &member.extension {
                if !is_valid_extension(extension) {
                    return Err(invalid(format!(
                        "member {email}: extension {extension:?} must be letters, digits, '.', '_' or '-'"
                    )));
                }
                // One SIP domain: an extension names one SIP user across all tenants.
                if !extensions.insert(extension.clone()) {
                    return Err(invalid(format!("extension {extension} is assigned twice")));
                }
            }
            members.push(Member {
                email,
                display_name: member.display_name,
                extension: member.extension,
            });
        }
        tenants.push(Tenant {
            id: tenant.id,
            members,
        });
    }
    Ok((tenants, tokens))
}

/// Lower-cases a plausible email address (one `@`, both sides non-empty, no spaces or controls);
/// `None` when it is not one.
pub(crate) fn normalize_email(text: &str) -> Option<String> {
    let (local, domain) = text.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then(|| text.to_lowercase())
}

/// Extensions become the user part of a SIP URI and follow `<expiry>:` in the ephemeral
/// username, so they must not contain `:`, `@` or anything needing escapes.
fn is_valid_extension(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        Config::from_file(file, Path::new("/repo"), Overrides::default())
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("Alice@ACME.test").as_deref(),
            Some("alice@acme.test")
        );
        for bad in [
            "",
            "alice",
            "@acme.test",
            "alice@",
            "a@b@c",
            "al ice@acme.test",
            "a\n@b",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn file_values_and_defaults_apply() -> Result<(), ConfigError> {
        let config = parse(&format!(
            r#"
            sip_domain = "pbx.test"
            shared_secret = "s"
            [[static]]
            prefix = "/sdk"
            dir = "npm/dist"
            [[tenants]]
            id = "t"
            [[tenants.tokens]]
            id = "k"
            sha256 = "{HASH}"
            abilities = ["telephony"]
            [[tenants.members]]
            email = "Bob@T.test"
            display_name = "Bob"
            extension = "1002"
            "#
        ))?;
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.credential_ttl_secs, DEFAULT_TTL_SECS);
        assert_eq!(config.static_mounts.len(), 1);
        assert_eq!(
            config.static_mounts.first().map(|m| m.prefix.as_str()),
            Some("/sdk/")
        );
        assert_eq!(
            config.static_mounts.first().map(|m| m.dir.clone()),
            Some(PathBuf::from("/repo/npm/dist"))
        );
        assert_eq!(
            config
                .tenants
                .first()
                .and_then(|t| t.member("bob@t.test"))
                .map(|m| m.display_name.as_str()),
            Some("Bob")
        );
        assert_eq!(config.tokens.first().map(|t| t.tenant), Some(0));
        Ok(())
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let base = "sip_domain = \"d\"\nshared_secret = \"s\"\n";
        let cases = [
            ("listen = \"nowhere\"", "listen"),
            ("credential_ttl_secs = 0", "credential_ttl_secs"),
            ("ws_servers = [\"http://x\"]", "ws server"),
            ("[[tenants]]\nid = \"a\"\n[[tenants]]\nid = \"a\"", "repeated"),
            ("[[tenants]]\nid = \"a\"\n[[tenants.tokens]]\nid = \"k\"\nsha256 = \"zz\"", "64 hex"),
            (
                "[[tenants]]\nid = \"a\"\n[[tenants.members]]\nemail = \"x@a\"\ndisplay_name = \"X\"\nextension = \"1:2\"",
                "extension",
            ),
            (
                "[[tenants]]\nid = \"a\"\n[[tenants.members]]\nemail = \"x@a\"\ndisplay_name = \"X\"\nextension = \"1\"\n\
                 [[tenants]]\nid = \"b\"\n[[tenants.members]]\nemail = \"y@b\"\ndisplay_name = \"Y\"\nextension = \"1\"",
                "assigned twice",
            ),
            ("unknown_key = 1", "unknown"),
        ];
        for (extra, needle) in cases {
            let message = parse(&format!("{base}{extra}"))
                .map(|_| ())
                .err()
                .map(|e| e.to_string());
            assert!(
                message.as_deref().is_some_and(|m| m.contains(needle)),
                "{extra:?} gave {message:?}, wanted {needle:?}"
            );
        }
    }

    #[test]
    fn overrides_win_over_the_file() -> Result<(), ConfigError> {
        let text = "sip_domain = \"d\"\nshared_secret = \"s\"\nws_servers = [\"ws://a\"]\ncredential_ttl_secs = 10\n\
                    [[static]]\nprefix = \"/\"\ndir = \"examples\"";
        let file: FileConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let overrides = Overrides {
            listen: "127.0.0.1:0".parse().ok(),
            ws_servers: vec!["wss://b".into()],
            static_mounts: vec![("/".into(), PathBuf::from("/other"))],
            credential_ttl_secs: Some(20),
        };
        let config = Config::from_file(file, Path::new("/repo"), overrides)?;
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.ws_servers, vec!["wss://b".to_owned()]);
        assert_eq!(config.credential_ttl_secs, 20);
        assert_eq!(config.static_mounts.len(), 1);
        assert_eq!(
            config.static_mounts.first().map(|m| m.dir.clone()),
            Some(PathBuf::from("/other"))
        );
        Ok(())
    }
}

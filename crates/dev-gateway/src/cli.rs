//! Command-line parsing; flags override the config file.

use std::path::PathBuf;

use crate::config::Overrides;

pub(crate) const USAGE: &str = "\
usage:
  dev-gateway [--config FILE] [--listen ADDR] [--ws-server URL]... [--static PREFIX=DIR]... [--ttl-secs N]
  dev-gateway hash-token <TOKEN | ->

  --config FILE         gateway config (default dev/gateway.toml)
  --listen ADDR         IP:port to bind; port 0 picks a free port
  --ws-server URL       SIP WebSocket server handed to clients; repeat for several (replaces the file's)
  --static PREFIX=DIR   serve DIR under URL PREFIX (adds to the file's; same prefix replaces)
  --ttl-secs N          credential lifetime in seconds
  hash-token TOKEN      print the SHA-256 hex of TOKEN for the config's tokens.sha256 ('-' reads stdin)";

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Serve {
        config: PathBuf,
        overrides: Overrides,
    },
    HashToken(String),
    Help,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CliError {
    #[error("unknown argument {0:?}")]
    Unknown(String),
    #[error("{0} needs a value")]
    MissingValue(String),
    #[error("bad value {value:?} for {flag}: {reason}")]
    BadValue {
        flag: String,
        value: String,
        reason: &'static str,
    },
}

pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, CliError> {
    let mut args = args.into_iter();
    let mut config = PathBuf::from("dev/gateway.toml");
    let mut overrides = Overrides::default();
    let mut first = true;
    while let Some(arg) = args.next() {
        if std::mem::take(&mut first) && arg == "hash-token" {
            let token = args
                .next()
                .ok_or_else(|| CliError::MissingValue(arg.clone()))?;
            return match args.next() {
                Some(extra) => Err(CliError::Unknown(extra)),
                None => Ok(Command::HashToken(token)),
            };
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        if !matches!(
            flag.as_str(),
            "--config" | "--listen" | "--ws-server" | "--static" | "--ttl-secs"
        ) {
            return Err(CliError::Unknown(arg));
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| CliError::MissingValue(flag.clone()))?;
        let bad = |reason| CliError::BadValue {
            flag: flag.clone(),
            value: value.clone(),
            reason,
        };
        match flag.as_str() {
            "--config" => config = PathBuf::from(&value),
            "--listen" => {
                overrides.listen = Some(value.parse().map_err(|_| bad("expected IP:port"))?)
            }
            "--ws-server" => overrides.ws_servers.push(value),
            "--static" => {
                let (prefix, dir) = value
                    .split_once('=')
                    .ok_or_else(|| bad("expected PREFIX=DIR"))?;
                overrides
                    .static_mounts
                    .push((prefix.to_owned(), PathBuf::from(dir)));
            }
            _ => {
                overrides.credential_ttl_secs = Some(
                    value
                        .parse()
                        .map_err(|_| bad("expected a number of seconds"))?,
                );
            }
        }
    }
    Ok(Command::Serve { config, overrides })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_in_both_spellings() {
        let parsed = parse(args(
            "--config c.toml --listen=127.0.0.1:0 --ws-server ws://a --ws-server=ws://b \
             --static /t/=/tmp/x --static=/sdk/=dist --ttl-secs 60",
        ));
        let expected = Command::Serve {
            config: "c.toml".into(),
            overrides: Overrides {
                listen: "127.0.0.1:0".parse().ok(),
                ws_servers: vec!["ws://a".into(), "ws://b".into()],
                static_mounts: vec![
                    ("/t/".into(), "/tmp/x".into()),
                    ("/sdk/".into(), "dist".into()),
                ],
                credential_ttl_secs: Some(60),
            },
        };
        assert_eq!(parsed, Ok(expected));
    }

    #[test]
    fn subcommand_help_and_errors() {
        assert_eq!(
            parse(args("hash-token kpt_x")),
            Ok(Command::HashToken("kpt_x".into()))
        );
        assert_eq!(parse(args("--help")), Ok(Command::Help));
        assert!(matches!(parse(args("--bogus")), Err(CliError::Unknown(_))));
        assert!(matches!(
            parse(args("--listen")),
            Err(CliError::MissingValue(_))
        ));
        assert!(matches!(
            parse(args("--listen nowhere")),
            Err(CliError::BadValue { .. })
        ));
        assert!(matches!(
            parse(args("--static nodir")),
            Err(CliError::BadValue { .. })
        ));
        assert!(matches!(
            parse(args("--ttl-secs x")),
            Err(CliError::BadValue { .. })
        ));
        assert!(matches!(
            parse(args("--listen 127.0.0.1:1 hash-token x")),
            Err(CliError::Unknown(_))
        ));
    }
}

//! `sip-bot`: registers the extensions of a configuration file and plays their roles
//! (echo, DTMF reader, ringback), reporting JSON lines on stdout. SIGINT or SIGTERM
//! unregisters them and exits.
//!
//! ```text
//! sip-bot [--config dev/bots.toml] [--ws-server ws://127.0.0.1:8088]...
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sip_bot::clock::Clock;
use sip_bot::config::Config;
use sip_bot::driver::Command;

const USAGE: &str = "usage: sip-bot [--config FILE] [--ws-server URL]...\n\
  --config FILE     the bots' TOML configuration (default dev/bots.toml)\n\
  --ws-server URL   the proxy's WebSocket URL, instead of the file's ws_servers (repeatable)\n";

fn main() -> ExitCode {
    let mut config_path = PathBuf::from("dev/bots.toml");
    let mut ws_servers = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--config", Some(v)) => config_path = PathBuf::from(v),
            ("--ws-server", Some(v)) => ws_servers.push(v),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let mut config = match Config::load(&config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sip-bot: {e}");
            return ExitCode::from(2);
        }
    };
    if !ws_servers.is_empty() {
        let text = toml_servers(&ws_servers);
        match Config::parse(&text) {
            Ok(_) => config.ws_servers = ws_servers,
            Err(e) => {
                eprintln!("sip-bot: --ws-server: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sip-bot: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

/// A minimal configuration with these servers, to check them with the file's rules.
fn toml_servers(servers: &[String]) -> String {
    let list: Vec<String> = servers
        .iter()
        .map(|s| serde_json::Value::from(s.as_str()).to_string())
        .collect();
    ["ws_servers = [", &list.join(","), "]\nsecret = \"x\"\n"].concat()
}

async fn run(config: Config) -> ExitCode {
    let clock = Clock::start();
    let bots: Vec<_> = config
        .bots
        .iter()
        .map(|bot| sip_bot::roles::start(clock, &config, bot))
        .collect();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sip-bot: cannot watch SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    for (commands, _) in &bots {
        let _ = commands.send(Command::Shutdown);
    }
    // Unregistering takes one round trip; the core itself gives up after 2 s.
    let all = futures_util::future::join_all(bots.into_iter().map(|(_, task)| task));
    let _ = tokio::time::timeout(Duration::from_secs(3), all).await;
    ExitCode::SUCCESS
}

//! `sip-load`: registers N user agents through the proxy and keeps C calls up for T seconds
//! (see `sip_bot::load`); prints a summary, writes the JSON report, exits 1 on any failure.
//! `scripts/load` starts Kamailio and the echo bot around it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sip_bot::load::{run, Plan};

const USAGE: &str = "usage: sip-load --ws-server URL [options]\n\
  --ws-server URL       the proxy's WebSocket URL (repeatable)\n\
  --uas N               user agents to register (1000)\n\
  --concurrent C        calls kept up at once (100)\n\
  --media M             of those, calls with media to the echo bot (0)\n\
  --echo EXT            the echo bot's extension (needed with --media)\n\
  --duration SECS       how long calls are placed for (60)\n\
  --hold SECS           how long each call stays up (5)\n\
  --register-window W   registrations in flight at most (200)\n\
  --setup-timeout SECS  a call not answered by then fails (10)\n\
  --first-extension X   the first agent's extension (20000)\n\
  --secret S            the proxy's auth_ephemeral secret (klink-dev-secret)\n\
  --domain D            the SIP domain (127.0.0.1)\n\
  --watch NAME=PID      also report the CPU of this process tree (repeatable)\n\
  --report FILE         where the JSON report goes (none)\n";

fn main() -> ExitCode {
    let (plan, report_path) = match parse(std::env::args().skip(1)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("sip-load: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = plan.check() {
        eprintln!("sip-load: {e}");
        return ExitCode::from(2);
    }
    // One thread: the load process uses at most one core, the proxy the other.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sip-load: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(run(plan)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sip-load: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", report.summary());
    if let Some(path) = report_path {
        let json = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, json + "\n") {
            eprintln!("sip-load: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Plan, Option<PathBuf>), String> {
    let mut plan = Plan::new(Vec::new());
    let mut report = None;
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let count = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag}: {v} is not a count"))
        };
        let secs = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: {v} is not a number of seconds"))
        };
        match flag.as_str() {
            "--ws-server" => plan.ws_servers.push(value),
            "--uas" => plan.uas = count(&value)?,
            "--concurrent" => plan.concurrent = count(&value)?,
            "--media" => plan.media = count(&value)?,
            "--echo" => plan.echo = Some(value),
            "--duration" => plan.duration = secs(&value)?,
            "--hold" => plan.hold = secs(&value)?,
            "--register-window" => plan.register_window = count(&value)?,
            "--setup-timeout" => plan.setup_timeout = secs(&value)?,
            "--first-extension" => {
                plan.first_extension = value
                    .parse()
                    .map_err(|_| format!("{flag}: {value} is not an extension"))?;
            }
            "--secret" => plan.secret = value,
            "--domain" => plan.domain = value,
            "--watch" => {
                let (name, pid) = value
                    .split_once('=')
                    .and_then(|(n, p)| Some((n.to_owned(), p.parse::<u32>().ok()?)))
                    .ok_or_else(|| format!("{flag}: {value} is not NAME=PID"))?;
                plan.watch.push((name, pid));
            }
            "--report" => report = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok((plan, report))
}

//! `dev-gateway`: the local stand-in for the K-Link credential API. It mints ephemeral SIP
//! credentials for tenant-scoped access tokens and serves the demo's static files.
//! The contract is in `docs/credential-api.md` and `docs/openapi.yaml`.

mod access_log;
mod api;
mod cli;
mod config;
mod cors;
mod credentials;
mod error;
mod server;
mod static_files;
mod tokens;

use std::io::BufRead as _;
use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("dev-gateway: {e}\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::HashToken(token) => hash_token(&token),
        Command::Serve { config, overrides } => {
            let config = match config::Config::load(&config, overrides) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("dev-gateway: {e}");
                    return ExitCode::from(2);
                }
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime.and_then(|rt| rt.block_on(server::run(config))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("dev-gateway: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Prints the hash to put in `[[tenants.tokens]] sha256`; `-` reads the token from stdin so it
/// stays out of the shell history and the process list.
fn hash_token(token: &str) -> ExitCode {
    let token = if token == "-" {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
            eprintln!("dev-gateway: cannot read stdin: {e}");
            return ExitCode::FAILURE;
        }
        line.trim().to_owned()
    } else {
        token.to_owned()
    };
    println!("{}", tokens::to_hex(&tokens::sha256(&token)));
    ExitCode::SUCCESS
}

//! Binds the listener, announces the address on stdout, and serves until SIGTERM or SIGINT.

use std::io::Write as _;
use std::sync::Arc;

use axum::middleware::from_fn;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::access_log;
use crate::api::{self, AppState};
use crate::config::Config;
use crate::cors;
use crate::static_files;

pub(crate) const CREDENTIALS_PATH: &str = "/v1/telephony/webphone/credentials";
pub(crate) const REVOKE_PATH: &str = "/admin/tokens/revoke";

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(CREDENTIALS_PATH, get(api::credentials))
        .route(REVOKE_PATH, post(api::revoke))
        .method_not_allowed_fallback(api::method_not_allowed)
        .fallback(static_files::serve)
        .layer(from_fn(cors::cors))
        .layer(from_fn(access_log::log))
        .with_state(state)
}

/// Runs the gateway. The single stdout line `dev-gateway listening on http://ADDR` is written,
/// and flushed, only once the socket accepts connections: scripts and tests wait for it.
pub(crate) async fn run(config: Config) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    for mount in &config.static_mounts {
        if !mount.dir.is_dir() {
            eprintln!(
                "warning: static dir {} for {} does not exist (yet)",
                mount.dir.display(),
                mount.prefix
            );
        }
    }
    let app = router(Arc::new(AppState::new(config)));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "dev-gateway listening on http://{addr}")?;
        stdout.flush()?;
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("dev-gateway stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(e) => {
                eprintln!("warning: cannot watch SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

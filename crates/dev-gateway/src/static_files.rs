//! Serves configured directories under URL prefixes for the demo and browser tests: no caching,
//! exact content types (browsers refuse to stream-compile wasm without `application/wasm`), and
//! no way out of a mounted directory.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::config::StaticMount;
use crate::error::ApiError;

/// What a request path resolves to.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    File(PathBuf),
    /// A directory asked for without its trailing slash: relative links need the slash.
    Redirect(String),
    NotFound,
}

pub(crate) async fn serve(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let target = resolve(&state.config.static_mounts, uri.path());
    let target = match target {
        Target::File(path) if is_dir(&path).await => Target::Redirect(format!("{}/", uri.path())),
        other => other,
    };
    match target {
        Target::File(path) => match tokio::fs::read(&path).await {
            Ok(bytes) => file_response(&path, bytes),
            Err(_) => ApiError::NotFound.into_response(),
        },
        Target::Redirect(location) => match HeaderValue::from_str(&location) {
            Ok(location) => {
                let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
                response.headers_mut().insert(header::LOCATION, location);
                response
            }
            Err(_) => ApiError::NotFound.into_response(),
        },
        Target::NotFound => ApiError::NotFound.into_response(),
    }
}

async fn is_dir(path: &std::path::Path) -> bool {
    tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir())
}

/// Maps a raw (percent-encoded) URL path to a file inside the longest matching mount. The path is
/// decoded before it is split, so `%2e%2e` and `%2f` are seen as `..` and `/`; any `..`, backslash
/// or NUL segment is refused.
fn resolve(mounts: &[StaticMount], raw_path: &str) -> Target {
    // `//host` would make a redirect leave the site.
    if raw_path.starts_with("//") {
        return Target::NotFound;
    }
    let Ok(path) = percent_encoding::percent_decode_str(raw_path).decode_utf8() else {
        return Target::NotFound;
    };
    let Some(mount) = mounts
        .iter()
        .filter(|m| path.starts_with(m.prefix.as_str()) || format!("{path}/") == m.prefix)
        .max_by_key(|m| m.prefix.len())
    else {
        return Target::NotFound;
    };
    let Some(rest) = path.get(mount.prefix.len()..) else {
        return Target::Redirect(mount.prefix.clone());
    };
    let mut file = mount.dir.clone();
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Target::NotFound,
            s if s.contains(['\\', '\0']) => return Target::NotFound,
            s => file.push(s),
        }
    }
    if rest.is_empty() || rest.ends_with('/') {
        file.push("index.html");
    }
    Target::File(file)
}

fn file_response(path: &std::path::Path, bytes: Vec<u8>) -> Response {
    let content_type = content_type(path.extension().and_then(|e| e.to_str()).unwrap_or(""));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn content_type(extension: &str) -> &'static str {
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "ts" | "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> Vec<StaticMount> {
        vec![
            StaticMount {
                prefix: "/".into(),
                dir: PathBuf::from("/site"),
            },
            StaticMount {
                prefix: "/sdk/".into(),
                dir: PathBuf::from("/dist"),
            },
        ]
    }

    #[test]
    fn longest_prefix_wins_and_index_is_implied() {
        let m = mounts();
        assert_eq!(resolve(&m, "/"), Target::File("/site/index.html".into()));
        assert_eq!(resolve(&m, "/a/b.js"), Target::File("/site/a/b.js".into()));
        assert_eq!(
            resolve(&m, "/sdk/x.wasm"),
            Target::File("/dist/x.wasm".into())
        );
        assert_eq!(
            resolve(&m, "/sdk/"),
            Target::File("/dist/index.html".into())
        );
        assert_eq!(resolve(&m, "/sdk"), Target::Redirect("/sdk/".into()));
        assert_eq!(
            resolve(&m, "/a%20b.txt"),
            Target::File("/site/a b.txt".into())
        );
    }

    #[test]
    fn traversal_is_refused() {
        let m = mounts();
        for path in [
            "/../etc/passwd",
            "/sdk/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/sdk/..%2f..%2fetc/passwd",
            "/a/%2E%2E/%2E%2E/x",
            "/a\\..\\x",
            "/a%5c..%5cx",
            "/a%00",
            "//evil.test/",
            "/%ff",
        ] {
            assert_eq!(resolve(&m, path), Target::NotFound, "{path}");
        }
        assert_eq!(resolve(&[], "/x"), Target::NotFound);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("wasm"), "application/wasm");
        assert_eq!(content_type("mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("bin"), "application/octet-stream");
    }
}

//! End-to-end tests of the dev gateway: the real binary, real HTTP on 127.0.0.1.

#[path = "api/openapi.rs"]
mod openapi;
#[path = "api/support.rs"]
mod support;

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use support::*;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Recomputes the Kamailio auth_ephemeral password independently of the gateway.
fn expected_password(secret: &str, user: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())?;
    mac.update(user.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// GNU date as an independent oracle for the ISO-8601 rendering.
fn gnu_date_iso(unix: u64) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{unix}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()?;
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

fn str_field<'a>(body: &'a Value, key: &str) -> &'a str {
    body.get(key).and_then(Value::as_str).unwrap_or_default()
}

#[test]
fn credentials_are_signed_for_the_member_and_expire_after_the_ttl() -> TestResult {
    let gw = Gateway::start(
        &test_config(),
        &[
            "--ttl-secs",
            "120",
            "--ws-server",
            "wss://edge1.test/ws",
            "--ws-server",
            "wss://edge2.test/ws",
        ],
    )?;
    let before = now();
    let reply = gw.credentials("ALICE%40Acme.Test", Some(ACME))?;
    let after = now();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json()?;
    assert_eq!(str_field(&body, "extension"), "1001");
    assert_eq!(str_field(&body, "displayName"), "Alice");
    assert_eq!(str_field(&body, "sipUri"), "sip:1001@pbx.test");
    assert_eq!(str_field(&body, "realm"), "pbx.test");

    let user = str_field(&body, "authorizationUser");
    let (expiry, extension) = user.split_once(':').ok_or("authorizationUser has no ':'")?;
    let expiry: u64 = expiry.parse()?;
    assert_eq!(extension, "1001");
    assert!(
        (before + 120..=after + 120).contains(&expiry),
        "expiry {expiry} not now+120"
    );
    assert_eq!(
        body.get("expiresAtUnix").and_then(Value::as_u64),
        Some(expiry)
    );
    assert_eq!(str_field(&body, "expiresAt"), gnu_date_iso(expiry)?);
    assert_eq!(
        str_field(&body, "password"),
        expected_password(SECRET, user)?
    );
    assert_ne!(
        str_field(&body, "password"),
        expected_password("other-secret", user)?
    );

    assert_eq!(
        body.get("wsServers"),
        Some(&serde_json::json!([
            "wss://edge1.test/ws",
            "wss://edge2.test/ws"
        ]))
    );
    assert_eq!(
        body.get("iceServers"),
        Some(&serde_json::json!([
            { "urls": ["stun:stun.test:3478"] },
            { "urls": ["turn:turn.test"], "username": "u", "credential": "c" }
        ]))
    );
    Ok(())
}

#[test]
fn every_failure_has_its_status_code_and_json_error() -> TestResult {
    let gw = Gateway::start(&test_config(), &[])?;
    let path = "/v1/telephony/webphone/credentials?email=alice@acme.test";
    let bearer = |t: &str| format!("Bearer {t}");
    // (request headers, status, code, a word the message must contain)
    type Case<'a> = (Vec<(&'a str, String)>, u16, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![], 401, "unauthorized", "missing"),
        (
            vec![("Authorization", "Basic a3B0Og==".into())],
            401,
            "unauthorized",
            "malformed",
        ),
        (
            vec![("Authorization", "Bearer".into())],
            401,
            "unauthorized",
            "malformed",
        ),
        (
            vec![("Authorization", bearer("kpt_nobody"))],
            401,
            "unauthorized",
            "not recognized",
        ),
        (
            vec![("Authorization", bearer(ACME_EXPIRED))],
            401,
            "unauthorized",
            "expired",
        ),
        (
            vec![("Authorization", bearer(ACME_NO_TELEPHONY))],
            403,
            "forbidden",
            "lacks the telephony ability",
        ),
    ];
    for (headers, status, code, word) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = gw.request("GET", path, &headers, None)?;
        assert_eq!(reply.status, status, "{headers:?}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.error_code().as_deref(), Some(code), "{headers:?}");
        let message = reply.error_message().unwrap_or_default();
        assert!(
            message.contains(word),
            "{headers:?}: message {message:?} lacks {word:?}"
        );
        if status == 401 {
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(
                challenge.starts_with("Bearer"),
                "{headers:?}: WWW-Authenticate {challenge:?}"
            );
        }
    }

    // (query, status, code) with a valid telephony token.
    let cases = [
        ("", 400, "invalid_request"),
        ("?email=", 400, "invalid_request"),
        ("?email=not-an-email", 400, "invalid_request"),
        (
            "?email=alice@acme.test&email=alice@acme.test",
            400,
            "invalid_request",
        ),
        ("?email=nobody@acme.test", 404, "member_not_found"),
        ("?email=carol@acme.test", 409, "extension_not_provisioned"),
        ("?email=Carol%40ACME.test", 409, "extension_not_provisioned"),
    ];
    for (query, status, code) in cases {
        let reply = gw.get(
            &format!("/v1/telephony/webphone/credentials{query}"),
            Some(ACME),
        )?;
        assert_eq!(reply.status, status, "{query}: {}", reply.text());
        assert_eq!(reply.error_code().as_deref(), Some(code), "{query}");
        assert!(reply.header("www-authenticate").is_none(), "{query}");
    }

    let reply = gw.request("DELETE", path, &[], None)?;
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (405, Some("method_not_allowed"))
    );
    Ok(())
}

#[test]
fn tenants_never_see_each_others_members() -> TestResult {
    let gw = Gateway::start(&test_config(), &[])?;
    let reply = gw.credentials("dave@globex.test", Some(ACME))?;
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (404, Some("member_not_found"))
    );
    let reply = gw.credentials("alice@acme.test", Some(GLOBEX))?;
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (404, Some("member_not_found"))
    );
    // Another tenant's member without an extension looks exactly like an unknown email.
    let reply = gw.credentials("carol@acme.test", Some(GLOBEX))?;
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (404, Some("member_not_found"))
    );
    let reply = gw.credentials("dave@globex.test", Some(GLOBEX))?;
    assert_eq!(reply.status, 200);
    assert_eq!(str_field(&reply.json()?, "extension"), "1003");
    Ok(())
}

#[test]
fn revoked_tokens_are_refused_afterwards() -> TestResult {
    let gw = Gateway::start(&test_config(), &[])?;
    assert_eq!(gw.credentials("alice@acme.test", Some(ACME))?.status, 200);

    let refused = [
        (None, r#"{"tokenId":"acme-test"}"#, 401, "unauthorized"),
        (
            Some("wrong"),
            r#"{"tokenId":"acme-test"}"#,
            401,
            "unauthorized",
        ),
        (Some(ADMIN_KEY), "not json", 400, "invalid_request"),
        (Some(ADMIN_KEY), "{}", 400, "invalid_request"),
        (
            Some(ADMIN_KEY),
            r#"{"tokenId":"acme-test","token":"x"}"#,
            400,
            "invalid_request",
        ),
        (
            Some(ADMIN_KEY),
            r#"{"tokenId":"no-such-id"}"#,
            404,
            "token_not_found",
        ),
        (
            Some(ADMIN_KEY),
            r#"{"token":"kpt_no_such_token"}"#,
            404,
            "token_not_found",
        ),
    ];
    for (key, body, status, code) in refused {
        let reply = gw.revoke(key, body)?;
        assert_eq!(reply.status, status, "{key:?} {body}: {}", reply.text());
        assert_eq!(reply.error_code().as_deref(), Some(code), "{key:?} {body}");
    }
    assert_eq!(
        gw.credentials("alice@acme.test", Some(ACME))?.status,
        200,
        "refused revocations revoked"
    );

    let reply = gw.revoke(Some(ADMIN_KEY), r#"{"tokenId":"acme-test"}"#)?;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    let reply = gw.credentials("alice@acme.test", Some(ACME))?;
    assert_eq!(
        (reply.status, reply.error_code().as_deref()),
        (401, Some("unauthorized"))
    );
    assert!(reply
        .error_message()
        .unwrap_or_default()
        .contains("revoked"));
    // Revoking again is idempotent.
    assert_eq!(
        gw.revoke(Some(ADMIN_KEY), r#"{"tokenId":"acme-test"}"#)?
            .status,
        204
    );

    // By plaintext token; the other tenant's token is untouched.
    assert_eq!(
        gw.credentials("alice@acme.test", Some(ACME_SPARE))?.status,
        200
    );
    assert_eq!(
        gw.revoke(Some(ADMIN_KEY), &format!(r#"{{"token":"{ACME_SPARE}"}}"#))?
            .status,
        204
    );
    assert_eq!(
        gw.credentials("alice@acme.test", Some(ACME_SPARE))?.status,
        401
    );
    assert_eq!(
        gw.credentials("dave@globex.test", Some(GLOBEX))?.status,
        200
    );
    Ok(())
}

#[test]
fn revocation_is_refused_when_no_admin_key_is_configured() -> TestResult {
    let config = test_config().replace(&format!("admin_key = \"{ADMIN_KEY}\""), "");
    let gw = Gateway::start(&config, &[])?;
    for key in [None, Some(""), Some(ADMIN_KEY)] {
        assert_eq!(
            gw.revoke(key, r#"{"tokenId":"acme-test"}"#)?.status,
            401,
            "{key:?}"
        );
    }
    assert_eq!(gw.credentials("alice@acme.test", Some(ACME))?.status, 200);
    Ok(())
}

#[test]
fn cors_headers_on_success_errors_and_preflight() -> TestResult {
    let gw = Gateway::start(&test_config(), &[])?;
    let preflight_headers = [
        ("Origin", "http://app.test"),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ];
    let replies = [
        ("success", gw.credentials("alice@acme.test", Some(ACME))?),
        ("401", gw.credentials("alice@acme.test", None)?),
        ("404", gw.credentials("x@acme.test", Some(ACME))?),
        ("revoke 401", gw.revoke(None, "{}")?),
        (
            "preflight",
            gw.request(
                "OPTIONS",
                "/v1/telephony/webphone/credentials?email=a@b.c",
                &preflight_headers,
                None,
            )?,
        ),
        (
            "revoke preflight",
            gw.request("OPTIONS", "/admin/tokens/revoke", &preflight_headers, None)?,
        ),
    ];
    for (what, reply) in &replies {
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("*"),
            "{what}"
        );
        let methods = reply
            .header("access-control-allow-methods")
            .unwrap_or_default();
        for method in ["GET", "POST", "OPTIONS"] {
            assert!(methods.contains(method), "{what}: methods {methods:?}");
        }
        let allowed = reply
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for name in ["authorization", "content-type"] {
            assert!(allowed.contains(name), "{what}: headers {allowed:?}");
        }
        if what.contains("preflight") {
            assert_eq!(reply.status, 204, "{what}");
            assert!(reply.body.is_empty(), "{what}");
        }
    }
    Ok(())
}

#[test]
fn static_files_have_exact_types_and_stay_inside_their_dir() -> TestResult {
    let root = TempDir::new()?;
    let site = root.0.join("site");
    std::fs::create_dir_all(site.join("pkg/deep"))?;
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>demo</title>",
    )?;
    let wasm = b"\0asm\x01\0\0\0 not really a module".to_vec();
    std::fs::write(site.join("pkg/engine.wasm"), &wasm)?;
    std::fs::write(site.join("pkg/index.js"), "export {};")?;
    std::fs::write(site.join("pkg/deep/mod.mjs"), "export const x = 1;")?;
    std::fs::write(site.join("pkg/deep/index.html"), "deep index")?;
    std::fs::write(root.0.join("secret.txt"), "TOP-SECRET")?;
    let mount = format!("/t/={}", site.display());
    let gw = Gateway::start(&test_config(), &["--static", &mount])?;

    let cases = [
        (
            "/t/",
            "text/html; charset=utf-8",
            b"<!doctype html><title>demo</title>".to_vec(),
        ),
        (
            "/t/index.html",
            "text/html; charset=utf-8",
            b"<!doctype html><title>demo</title>".to_vec(),
        ),
        ("/t/pkg/engine.wasm", "application/wasm", wasm.clone()),
        (
            "/t/pkg/index.js",
            "text/javascript; charset=utf-8",
            b"export {};".to_vec(),
        ),
        (
            "/t/pkg/deep/mod.mjs",
            "text/javascript; charset=utf-8",
            b"export const x = 1;".to_vec(),
        ),
        (
            "/t/pkg/deep/",
            "text/html; charset=utf-8",
            b"deep index".to_vec(),
        ),
    ];
    for (path, content_type, body) in cases {
        let reply = gw.get(path, None)?;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        assert_eq!(reply.body, body, "{path}");
    }
    let head = gw.request("HEAD", "/t/pkg/engine.wasm", &[], None)?;
    assert_eq!(
        (head.status, head.header("content-type")),
        (200, Some("application/wasm"))
    );
    assert_eq!(
        head.header("content-length"),
        Some(wasm.len().to_string().as_str())
    );

    for (path, location) in [("/t", "/t/"), ("/t/pkg/deep", "/t/pkg/deep/")] {
        let reply = gw.get(path, None)?;
        assert_eq!(
            (reply.status, reply.header("location")),
            (308, Some(location)),
            "{path}"
        );
    }

    // The secret is one level above the mounted directory.
    for path in [
        "/t/../secret.txt",
        "/t/pkg/../../secret.txt",
        "/t/%2e%2e/secret.txt",
        "/t/%2E%2E%2Fsecret.txt",
        "/t/pkg/..%2f..%2fsecret.txt",
        "/t/..%5csecret.txt",
        "/t/pkg/%2e%2e/%2e%2e/secret.txt",
        "/t/missing.js",
        "/t/pkg/engine.wasm%00.js",
        "/elsewhere/secret.txt",
    ] {
        let reply = gw.get(path, None)?;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.error_code().as_deref(), Some("not_found"), "{path}");
        assert!(
            !reply.text().contains("TOP-SECRET"),
            "{path} leaked the file"
        );
    }
    let reply = gw.request("POST", "/t/index.html", &[], Some(b"x"))?;
    assert_eq!(reply.status, 405);
    Ok(())
}

#[test]
fn demo_config_serves_the_documented_demo_data() -> TestResult {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dev/gateway.toml");
    let gw = Gateway::start_with_file(&config, &[], TempDir::new()?)?;
    for (email, token, extension, name) in [
        ("alice@acme.test", "kpt_acme_demo_0001", "1001", "Alice"),
        ("bob@acme.test", "kpt_acme_demo_0001", "1002", "Bob"),
        ("dave@globex.test", "kpt_globex_demo_0001", "1003", "Dave"),
    ] {
        let reply = gw.credentials(email, Some(token))?;
        assert_eq!(reply.status, 200, "{email}: {}", reply.text());
        let body = reply.json()?;
        assert_eq!(
            (
                str_field(&body, "extension"),
                str_field(&body, "displayName")
            ),
            (extension, name)
        );
        assert_eq!(
            str_field(&body, "sipUri"),
            format!("sip:{extension}@127.0.0.1")
        );
        // dev/kamailio.cfg verifies with this secret.
        let user = str_field(&body, "authorizationUser");
        assert_eq!(
            str_field(&body, "password"),
            expected_password("klink-dev-secret", user)?
        );
        assert_eq!(
            body.get("wsServers"),
            Some(&serde_json::json!(["ws://127.0.0.1:8088"]))
        );
    }
    assert_eq!(
        gw.credentials("carol@acme.test", Some("kpt_acme_demo_0001"))?
            .status,
        409
    );
    assert_eq!(
        gw.credentials("alice@acme.test", Some("kpt_acme_readonly_0001"))?
            .status,
        403
    );
    assert_eq!(
        gw.credentials("dave@globex.test", Some("kpt_acme_demo_0001"))?
            .status,
        404
    );
    assert_eq!(
        gw.revoke(Some("klink-dev-admin"), r#"{"tokenId":"acme-demo"}"#)?
            .status,
        204
    );
    assert_eq!(
        gw.credentials("alice@acme.test", Some("kpt_acme_demo_0001"))?
            .status,
        401
    );
    Ok(())
}

#[test]
fn announces_once_stops_on_sigterm_and_logs_no_secrets() -> TestResult {
    let gw = Gateway::start(&test_config(), &[])?;
    assert_eq!(
        gw.announce,
        format!(
            "dev-gateway listening on http://127.0.0.1:{}",
            gw.addr.port()
        )
    );
    assert_ne!(gw.addr.port(), 0);
    let reply = gw.credentials("alice@acme.test", Some(ACME))?;
    let password = str_field(&reply.json()?, "password").to_owned();
    assert_eq!(password.len(), 28);
    gw.credentials("alice@acme.test", Some(ACME_EXPIRED))?;
    gw.revoke(Some(ADMIN_KEY), &format!(r#"{{"token":"{GLOBEX}"}}"#))?;
    let stopped = gw.stop()?;
    assert!(stopped.status.success(), "exit status {:?}", stopped.status);
    assert_eq!(stopped.stdout_rest, "", "more than one stdout line");
    assert!(
        stopped
            .stderr
            .contains("GET /v1/telephony/webphone/credentials 200"),
        "{}",
        stopped.stderr
    );
    for secret in [
        ACME,
        ACME_EXPIRED,
        GLOBEX,
        password.as_str(),
        SECRET,
        ADMIN_KEY,
    ] {
        assert!(
            !stopped.stderr.contains(secret),
            "stderr leaks {secret}:\n{}",
            stopped.stderr
        );
    }
    Ok(())
}

#[test]
fn hash_token_prints_the_sha256_hex() -> TestResult {
    let bin = env!("CARGO_BIN_EXE_dev-gateway");
    let out = Command::new(bin)
        .args(["hash-token", "kpt_acme_demo_0001"])
        .output()?;
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout)?,
        format!("{}\n", sha256_hex("kpt_acme_demo_0001"))
    );

    let mut child = Command::new(bin)
        .args(["hash-token", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, b"kpt_from_stdin\n")?;
    }
    let out = child.wait_with_output()?;
    assert_eq!(
        String::from_utf8(out.stdout)?,
        format!("{}\n", sha256_hex("kpt_from_stdin"))
    );

    let out = Command::new(bin).arg("--no-such-flag").output()?;
    assert_eq!(out.status.code(), Some(2));
    Ok(())
}

#[test]
fn a_bad_config_is_refused_at_startup() -> TestResult {
    let config = test_config().replace("sha256 = \"", "sha256 = \"zz");
    let err = Gateway::start(&config, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("64 hex digits"), "{err}");
    Ok(())
}

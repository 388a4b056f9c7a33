//! Test harness: runs the real `dev-gateway` binary on 127.0.0.1:0 and speaks HTTP/1.1 to it
//! over a plain `TcpStream`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

pub(crate) const SECRET: &str = "test-secret";
pub(crate) const ADMIN_KEY: &str = "test-admin";
pub(crate) const ACME: &str = "kpt_acme_test";
pub(crate) const ACME_SPARE: &str = "kpt_acme_spare";
pub(crate) const ACME_NO_TELEPHONY: &str = "kpt_acme_contacts";
pub(crate) const ACME_EXPIRED: &str = "kpt_acme_expired";
pub(crate) const GLOBEX: &str = "kpt_globex_test";

pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A config with two tenants, exercising every token and member case.
pub(crate) fn test_config() -> String {
    format!(
        r#"
listen = "127.0.0.1:8080"
sip_domain = "pbx.test"
shared_secret = "{SECRET}"
credential_ttl_secs = 600
ws_servers = ["ws://127.0.0.1:8088"]
ice_servers = [{{ urls = ["stun:stun.test:3478"] }}, {{ urls = ["turn:turn.test"], username = "u", credential = "c" }}]
admin_key = "{ADMIN_KEY}"

[[tenants]]
id = "acme"
[[tenants.tokens]]
id = "acme-test"
sha256 = "{}"
abilities = ["contacts:read", "telephony"]
[[tenants.tokens]]
id = "acme-spare"
sha256 = "{}"
abilities = ["telephony"]
expires_at = 99999999999
[[tenants.tokens]]
id = "acme-contacts"
sha256 = "{}"
abilities = ["contacts:read"]
[[tenants.tokens]]
id = "acme-expired"
sha256 = "{}"
abilities = ["telephony"]
expires_at = 1000000000
[[tenants.members]]
email = "alice@acme.test"
display_name = "Alice"
extension = "1001"
[[tenants.members]]
email = "carol@acme.test"
display_name = "Carol"

[[tenants]]
id = "globex"
[[tenants.tokens]]
id = "globex-test"
sha256 = "{}"
abilities = ["telephony"]
[[tenants.members]]
email = "dave@globex.test"
display_name = "Dave"
extension = "1003"
"#,
        sha256_hex(ACME),
        sha256_hex(ACME_SPARE),
        sha256_hex(ACME_NO_TELEPHONY),
        sha256_hex(ACME_EXPIRED),
        sha256_hex(GLOBEX),
    )
}

/// A scratch directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> std::io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dev-gateway-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running gateway; killed by PID when dropped, or stopped with SIGTERM by [`Gateway::stop`].
pub(crate) struct Gateway {
    pub(crate) addr: SocketAddr,
    pub(crate) announce: String,
    child: Child,
    stderr_path: PathBuf,
    _dir: TempDir,
}

pub(crate) struct Stopped {
    pub(crate) status: ExitStatus,
    pub(crate) stdout_rest: String,
    pub(crate) stderr: String,
}

impl Gateway {
    /// Starts the gateway with `config` written to a scratch file, on a free port.
    pub(crate) fn start(config: &str, args: &[&str]) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = TempDir::new()?;
        let config_path = dir.0.join("gateway.toml");
        std::fs::write(&config_path, config)?;
        Self::start_with_file(&config_path, args, dir)
    }

    pub(crate) fn start_with_file(
        config_path: &Path,
        args: &[&str],
        dir: TempDir,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let stderr_path = dir.0.join("stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_dev-gateway"))
            .arg("--config")
            .arg(config_path)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path)?)
            .spawn()?;
        let mut announce = String::new();
        if let Some(stdout) = child.stdout.as_mut() {
            let mut byte = [0u8; 1];
            while stdout.read(&mut byte)? == 1 && byte[0] != b'\n' {
                announce.push(char::from(byte[0]));
            }
        }
        let addr = announce
            .strip_prefix("dev-gateway listening on http://")
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            return Err(format!("bad announce line {announce:?}; stderr: {stderr}").into());
        };
        Ok(Self {
            addr,
            announce,
            child,
            stderr_path,
            _dir: dir,
        })
    }

    /// Sends SIGTERM to the gateway's PID and waits for it to exit.
    pub(crate) fn stop(mut self) -> Result<Stopped, Box<dyn std::error::Error>> {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status()?;
        assert!(killed.success(), "kill -TERM {pid} failed");
        let status = self.child.wait()?;
        let mut stdout_rest = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut stdout_rest)?;
        }
        let stderr = std::fs::read_to_string(&self.stderr_path)?;
        Ok(Stopped {
            status,
            stdout_rest,
            stderr,
        })
    }

    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> std::io::Result<Reply> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        self.request("GET", path, &headers, None)
    }

    pub(crate) fn credentials(&self, email: &str, token: Option<&str>) -> std::io::Result<Reply> {
        self.get(
            &format!("/v1/telephony/webphone/credentials?email={email}"),
            token,
        )
    }

    pub(crate) fn revoke(&self, admin_key: Option<&str>, body: &str) -> std::io::Result<Reply> {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(key) = admin_key {
            headers.push(("X-Admin-Key", key));
        }
        self.request(
            "POST",
            "/admin/tokens/revoke",
            &headers,
            Some(body.as_bytes()),
        )
    }

    /// Sends one request exactly as given (the path is not normalized) and reads the reply.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> std::io::Result<Reply> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        if let Some(body) = body {
            stream.write_all(body)?;
        }
        Reply::read(stream, method == "HEAD")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn read(stream: TcpStream, head_only: bool) -> std::io::Result<Self> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status line"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').ok_or_else(|| bad("header line"))?;
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut body = Vec::new();
        if !head_only {
            reader.read_to_end(&mut body)?;
        }
        let reply = Self {
            status,
            headers,
            body,
        };
        if reply.header("transfer-encoding").is_some() {
            return Err(bad("chunked bodies are not expected from this server"));
        }
        Ok(reply)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of a JSON error body.
    pub(crate) fn error_code(&self) -> Option<String> {
        self.json()
            .ok()?
            .pointer("/error/code")?
            .as_str()
            .map(str::to_owned)
    }

    pub(crate) fn error_message(&self) -> Option<String> {
        self.json()
            .ok()?
            .pointer("/error/message")?
            .as_str()
            .map(str::to_owned)
    }
}

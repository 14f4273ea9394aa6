//! Test support shared by trailwatch's crates: a real `moto_server` (S3,
//! SNS, SQS) started on a free loopback port and stopped when dropped, an
//! AWS configuration with dummy credentials pointing at it, and the paths of
//! the shipped fixtures.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The workspace root (where `fixtures/` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/<name> sits two levels below the workspace root")
        .to_path_buf()
}

/// A path under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    workspace_root().join("fixtures").join(relative)
}

/// A running `moto_server`, killed on drop.
pub struct MotoServer {
    child: Child,
    port: u16,
}

const HOW_TO_GET_MOTO: &str = "moto_server (PyPI moto[server]) is needed by this test: run \
    scripts/test.sh, which installs it into .venv-moto, or set TRAILWATCH_MOTO_SERVER to a \
    moto_server executable";

fn moto_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TRAILWATCH_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = workspace_root().join(".venv-moto/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    panic!("{HOW_TO_GET_MOTO}");
}

impl MotoServer {
    /// Starts moto_server on a free port of 127.0.0.1 and waits until it answers.
    pub fn start() -> MotoServer {
        let binary = moto_binary();
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&binary)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}. {HOW_TO_GET_MOTO}", binary.display()));
            let mut server = MotoServer { child, port };
            match server.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto_server exited with {status} (port {} taken?)", self.port));
            }
            if let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                let request = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                let mut reply = [0u8; 12];
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && reply.starts_with(b"HTTP/1.")
                {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("no answer within the timeout".into())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An AWS configuration with dummy credentials, region us-east-1, and
    /// every service's endpoint pointing at this server.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::from_keys("testing", "testing", None))
            .endpoint_url(self.endpoint())
            .load()
            .await
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding a loopback port")
}

//! Local AWS stand-ins for the AWS service integration tests: a moto server
//! (`python -m moto.server`, PyPI `moto[server]`) on a free port, and
//! `scripts/sigv4_checker.py`, an endpoint that checks SigV4 signatures
//! (moto does not). Both are child processes, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::python::python_with_lambda_ric;

/// A stand-in process and the address it serves.
pub struct StandIn {
    child: Child,
    pub addr: SocketAddr,
}

impl StandIn {
    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A moto server, once it accepts connections.
    pub fn moto() -> Result<StandIn> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let args = ["-H", "127.0.0.1", "-p", &port.to_string()];
        // `moto_server` on the PATH (pip's entry point), else the module
        // under the tests' interpreter.
        let child = Command::new("moto_server")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|_| {
                Command::new(python_with_lambda_ric()?)
                    .args(["-m", "moto.server"])
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(anyhow::Error::from)
            })
            .context("starting moto_server (pip install 'moto[server]')")?;
        let mut stand_in = StandIn {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&stand_in.addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = stand_in.child.try_wait()? {
                bail!("moto_server exited ({status}); is `moto[server]` installed?");
            }
            if Instant::now() > deadline {
                bail!(
                    "moto_server did not listen on {} within 30 s",
                    stand_in.addr
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(stand_in)
    }

    /// The signature checker, accepting `keys` (`id:secret`).
    pub fn sigv4_checker(keys: &[&str]) -> Result<StandIn> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sigv4_checker.py");
        let mut child = Command::new(python_with_lambda_ric()?)
            .arg(&script)
            .args(keys)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting sigv4_checker.py")?;
        let stdout = child.stdout.take().context("checker stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .parse()
            .with_context(|| format!("checker's port: {line:?}"))?;
        Ok(StandIn {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

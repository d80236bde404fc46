//! The `node` binary as a real process listening on loopback.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::Network;
use node::Profile;

use super::{free_port, spawn_logged, tail, RealError, STARTUP_MAX};

/// The `node` binary on regtest, listening on `127.0.0.1:PORT` with a fresh data folder,
/// connecting nowhere. Killed when dropped; the data folder goes with it.
pub struct NodeProcess {
    child: Option<Child>,
    addr: String,
    datadir: tempfile::TempDir,
}

impl NodeProcess {
    /// Starts `exe --network regtest --listen 127.0.0.1:PORT --profile PROFILE --seed SEED`
    /// plus `extra`, and waits until the port accepts a connection (that probe connection is
    /// closed at once, before any byte).
    ///
    /// # Errors
    /// [`RealError::Io`] if it cannot be spawned, [`RealError::NotReady`] if it exits or does
    /// not accept within [`STARTUP_MAX`].
    pub fn start(
        exe: &Path,
        profile: Profile,
        seed: u64,
        extra: &[String],
    ) -> Result<NodeProcess, RealError> {
        let datadir = tempfile::Builder::new()
            .prefix("headersim-node-")
            .tempdir()
            .map_err(|source| RealError::Io {
                what: "creating the node's data folder".into(),
                source,
            })?;
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut args: Vec<String> = vec![
            "--network".into(),
            "regtest".into(),
            "--listen".into(),
            addr.clone(),
            "--profile".into(),
            profile.as_str().into(),
            "--seed".into(),
            seed.to_string(),
            "--datadir".into(),
            datadir.path().display().to_string(),
        ];
        args.extend(extra.iter().cloned());
        let log = datadir.path().join("node.log");
        let mut command = Command::new(exe);
        command.args(&args).env("RUST_LOG", "warn");
        let child = spawn_logged(command, &log)?;
        let mut process = NodeProcess {
            child: Some(child),
            addr,
            datadir,
        };
        let started = Instant::now();
        loop {
            if process.exited() || started.elapsed() > STARTUP_MAX {
                return Err(RealError::NotReady {
                    what: format!("the node did not accept on {}", process.addr),
                    log_tail: process.log_tail(20),
                });
            }
            if TcpStream::connect(&process.addr).is_ok() {
                return Ok(process);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Its listening address, `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// SIGKILL now and wait for the process to be gone (the store stays readable: every
    /// update is committed before the node acts on it).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The headers in its store, genesis first. Kill it first ([`NodeProcess::kill`]) for a
    /// stable answer.
    ///
    /// # Errors
    /// [`RealError::Store`] if the store cannot be opened or read.
    pub fn stored_headers(&self) -> Result<Vec<Header>, RealError> {
        let path = self.store_path();
        let store = node::store::Store::open(&path, Network::Regtest).map_err(|source| {
            RealError::Store {
                path: path.clone(),
                source,
            }
        })?;
        store
            .load()
            .map_err(|source| RealError::Store { path, source })
    }

    /// Its `headers.sqlite`.
    pub fn store_path(&self) -> PathBuf {
        self.datadir.path().join("headers.sqlite")
    }

    /// The last `lines` lines of its console log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.datadir.path().join("node.log"), lines)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

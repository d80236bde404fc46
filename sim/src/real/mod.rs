//! Real processes over real loopback TCP, for the tools that hold the node up against a real
//! Bitcoin Core: `sim wire-fuzz` (and `sim conform`). Nothing here runs inside the simulator:
//! these modules use threads, the wall clock and OS sockets freely.
//!
//! | file | holds |
//! |---|---|
//! | `bitcoind.rs` | [`Bitcoind`]: a regtest `bitcoind` on loopback with a fresh data folder, its RPC client, stopped and killed on drop |
//! | `node_process.rs` | [`NodeProcess`]: the `node` binary listening on loopback with a fresh data folder, killed on drop; its store read back |
//! | `wire_client.rs` | [`WireClient`]: a blocking P2P client that completes a handshake, sends arbitrary bytes and watches what comes back |
//!
//! Where the executables come from: [`core_bitcoind_path`] (Bitcoin Core built by
//! `scripts/install-bitcoin-core.sh`) and [`node_binary_path`] (the workspace's own build).

mod bitcoind;
mod node_process;
mod wire_client;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use bitcoind::Bitcoind;
pub use node_process::NodeProcess;
pub use wire_client::{WireClient, WireEnd};

/// How long a process may take to come up (RPC answering, port accepting) before giving up.
pub const STARTUP_MAX: Duration = Duration::from_secs(60);

/// What went wrong with a real process or connection.
#[derive(Debug, thiserror::Error)]
pub enum RealError {
    /// Local I/O failed: spawning, a temporary folder, a socket.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A bitcoind RPC call failed.
    #[error("bitcoind RPC `{method}`: {source}")]
    Rpc {
        /// The RPC method.
        method: String,
        /// The client's error.
        source: bitcoincore_rpc::Error,
    },
    /// Something did not happen in time, or a process exited early.
    #[error("{what}; log tail:\n{log_tail}")]
    NotReady {
        /// What was awaited.
        what: String,
        /// The last lines of the process's log.
        log_tail: String,
    },
    /// The peer broke the protocol during our handshake (a frame we cannot decode, or a
    /// close before `verack`).
    #[error("handshake with {addr}: {problem}")]
    Handshake {
        /// The peer's address.
        addr: String,
        /// What happened.
        problem: String,
    },
    /// The node's store could not be read back.
    #[error("reading the node's store {path}: {source}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// The store's error.
        source: node::store::StoreError,
    },
}

/// Bitcoin Core's `bitcoind`: `HEADERSIM_CORE_BITCOIND` if set, else
/// `.tools/bitcoin-core/bin/bitcoind` under `repo` (made by `scripts/install-bitcoin-core.sh`).
pub fn core_bitcoind_path(repo: &Path) -> PathBuf {
    std::env::var_os("HEADERSIM_CORE_BITCOIND")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".tools/bitcoin-core/bin/bitcoind"))
}

/// The `node` binary beside the running executable (the same cargo profile's build), else
/// `target/release/node` under `repo`.
pub fn node_binary_path(repo: &Path) -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("node")));
    match beside {
        Some(path) if path.exists() => path,
        _ => repo.join("target/release/node"),
    }
}

/// A loopback port that was free a moment ago (bound, read, released).
///
/// # Errors
/// [`RealError::Io`] if no port can be bound.
pub fn free_port() -> Result<u16, RealError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|source| RealError::Io {
            what: "finding a free loopback port".into(),
            source,
        })
}

/// Spawns `command` with no standard input and its standard output and error both written
/// to the file `log` (created or truncated).
///
/// # Errors
/// [`RealError::Io`] naming the log file or the program.
pub fn spawn_logged(mut command: Command, log: &Path) -> Result<Child, RealError> {
    let out = std::fs::File::create(log).map_err(|source| RealError::Io {
        what: format!("creating {}", log.display()),
        source,
    })?;
    let err = out.try_clone().map_err(|source| RealError::Io {
        what: "duplicating a log file handle".into(),
        source,
    })?;
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|source| RealError::Io {
            what: format!("starting {program}"),
            source,
        })
}

/// The last `lines` lines of a text file, or a note that it cannot be read.
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(error) => format!("({}: {error})", path.display()),
    }
}

//! A real regtest `bitcoind` on loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bitcoincore_rpc::{Auth, Client, RpcApi};

use super::{free_port, spawn_logged, tail, RealError, STARTUP_MAX};

/// A regtest `bitcoind` listening on `127.0.0.1` only, with a fresh data folder, no DNS or
/// fixed seeds, no address discovery, NAT-PMP or onion, and `-debug=net` (the flags the interop
/// tests use). Stopped over RPC, then killed, when dropped; the data folder goes with it.
pub struct Bitcoind {
    rpc: Client,
    p2p_port: u16,
    datadir: tempfile::TempDir,
    child: Option<Child>,
}

impl Bitcoind {
    /// Starts `exe` with the loopback flags plus `extra` (e.g. `-mocktime=N`) and waits until
    /// its RPC answers.
    ///
    /// # Errors
    /// [`RealError::Io`] if it cannot be spawned, [`RealError::NotReady`] if it exits or its
    /// RPC does not answer within [`STARTUP_MAX`].
    pub fn start(exe: &Path, extra: &[String]) -> Result<Bitcoind, RealError> {
        let datadir = tempfile::Builder::new()
            .prefix("headersim-bitcoind-")
            .tempdir()
            .map_err(|source| RealError::Io {
                what: "creating bitcoind's data folder".into(),
                source,
            })?;
        let p2p_port = free_port()?;
        let rpc_port = free_port()?;
        let mut args: Vec<String> = vec![
            "-regtest".into(),
            format!("-datadir={}", datadir.path().display()),
            format!("-bind=127.0.0.1:{p2p_port}"),
            format!("-port={p2p_port}"),
            format!("-rpcport={rpc_port}"),
            "-rpcbind=127.0.0.1".into(),
            "-rpcallowip=127.0.0.1".into(),
            "-dnsseed=0".into(),
            "-fixedseeds=0".into(),
            "-discover=0".into(),
            "-listenonion=0".into(),
            "-natpmp=0".into(),
            "-printtoconsole=0".into(),
            "-debug=net".into(),
        ];
        args.extend(extra.iter().cloned());
        let console = datadir.path().join("console.log");
        let mut command = Command::new(exe);
        command.args(&args);
        let child = spawn_logged(command, &console)?;
        let chain_dir = datadir.path().join("regtest");
        let cookie = chain_dir.join(".cookie");
        let url = format!("http://127.0.0.1:{rpc_port}");
        let mut child = Some(child);
        let started = Instant::now();
        let rpc = loop {
            let exited = child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            if exited || started.elapsed() > STARTUP_MAX {
                let what = if exited {
                    "bitcoind exited while starting".to_string()
                } else {
                    format!("bitcoind's RPC did not answer within {STARTUP_MAX:?}")
                };
                let log_tail = format!(
                    "{}\n{}",
                    tail(&console, 10),
                    tail(&chain_dir.join("debug.log"), 20)
                );
                if let Some(mut c) = child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                return Err(RealError::NotReady { what, log_tail });
            }
            if cookie.exists() {
                if let Ok(client) = Client::new(&url, Auth::CookieFile(cookie.clone())) {
                    if client.get_blockchain_info().is_ok() {
                        break client;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(Bitcoind {
            rpc,
            p2p_port,
            datadir,
            child,
        })
    }

    /// Its P2P address, `127.0.0.1:PORT`.
    pub fn p2p_addr(&self) -> String {
        format!("127.0.0.1:{}", self.p2p_port)
    }

    /// Calls RPC `method` with `params`.
    ///
    /// # Errors
    /// [`RealError::Rpc`] with the method's name.
    pub fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: &[serde_json::Value],
    ) -> Result<T, RealError> {
        self.rpc
            .call(method, params)
            .map_err(|source| RealError::Rpc {
                method: method.into(),
                source,
            })
    }

    /// Whether bitcoind's block index holds the header `hash` (`getblockheader` finds it),
    /// on any branch.
    ///
    /// # Errors
    /// [`RealError::Rpc`] for a failure other than "Block not found".
    pub fn knows_header(&self, hash: &bitcoin::BlockHash) -> Result<bool, RealError> {
        match self.rpc.get_block_header_info(hash) {
            Ok(_) => Ok(true),
            Err(bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(e)))
                if e.code == -5 =>
            {
                Ok(false)
            }
            Err(source) => Err(RealError::Rpc {
                method: "getblockheader".into(),
                source,
            }),
        }
    }

    /// The path of its `debug.log`.
    pub fn debug_log(&self) -> PathBuf {
        self.datadir.path().join("regtest").join("debug.log")
    }

    /// The last `lines` lines of its `debug.log`.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.debug_log(), lines)
    }
}

impl Drop for Bitcoind {
    fn drop(&mut self) {
        // A clean `stop` so the data folder is released; SIGKILL after 10 s in any case.
        let _ = self.rpc.stop();
        if let Some(mut child) = self.child.take() {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

//! Real processes for the interop suites: a real `bitcoind` (installed by
//! `scripts/install-bitcoind.sh`), the compiled `node` and `sim` binaries, the Python client's
//! virtual environment (`scripts/install-python-client.sh`), and a small blocking P2P client.
//!
//! Every process started here is killed when its handle drops, also when a test panics.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::message_blockdata::GetHeadersMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, Magic, ServiceFlags};
use bitcoin::{BlockHash, Network};
use bitcoincore_rpc::{Auth, Client, RpcApi};

use crate::repo_root;

/// How long a test waits for a real process to get somewhere before it fails.
pub const WAIT_MAX: Duration = Duration::from_secs(120);

/// A path from environment variable `var`, else `default` under the repository root; panics
/// with the install command when the file is missing.
fn tool(var: &str, default: &str, install: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(default));
    assert!(
        path.exists(),
        "{} is missing: run `{install}` first (or set {var}); `scripts/test` does both installs",
        path.display()
    );
    path
}

/// The installed `bitcoind` wrapper.
pub fn bitcoind_path() -> PathBuf {
    tool(
        "HEADERSIM_BITCOIND",
        ".tools/bitcoind/bin/bitcoind",
        "scripts/install-bitcoind.sh",
    )
}

/// The virtual environment's Python, with `verystable` installed.
pub fn python_path() -> PathBuf {
    tool(
        "HEADERSIM_PYTHON",
        ".tools/venv/bin/python",
        "scripts/install-python-client.sh",
    )
}

/// A workspace binary (`node` or `sim`) from the same cargo profile as the running test.
/// `scripts/test` builds them with `cargo build --release --workspace --bins` before testing.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile folder");
    let path = profile_dir.join(name);
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or_else(|_| {
        panic!("{} is missing: build it with `cargo build --release --workspace --bins` (scripts/test does)", path.display())
    });
    // A binary older than a source it is built from would test old code.
    let folders: &[&str] = if name == "node" {
        &["node/src"]
    } else {
        &["node/src", "sim/src", "sim/fixtures"]
    };
    let sources: Vec<PathBuf> = folders.iter().map(|d| repo_root().join(d)).collect();
    if let Some(newer) = newest_file(&sources).filter(|(_, modified)| *modified > built) {
        panic!(
            "{} is older than {}: rebuild with `cargo build --release --workspace --bins` (scripts/test does)",
            path.display(),
            newer.0.display()
        );
    }
    path
}

/// The most recently modified file under `dirs`, with its time.
fn newest_file(dirs: &[PathBuf]) -> Option<(PathBuf, std::time::SystemTime)> {
    let mut newest: Option<(PathBuf, std::time::SystemTime)> = None;
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if let Ok(modified) = meta.modified() {
                if newest.as_ref().is_none_or(|(_, t)| modified > *t) {
                    newest = Some((path, modified));
                }
            }
        }
    }
    newest
}

/// A free loopback TCP port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Polls `check` every 20 ms until it returns `Some`, failing after [`WAIT_MAX`] with `what`.
pub fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            started.elapsed() < WAIT_MAX,
            "timed out after {WAIT_MAX:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last `lines` lines of a text file (for failure messages).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Process {
    child: Option<Child>,
    /// What the process is, for messages.
    pub name: String,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Process {
    /// Spawns `program args`, stdout and stderr appended to `log`.
    pub fn spawn(name: &str, program: &Path, args: &[String], log: PathBuf) -> Process {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let err = out.try_clone().expect("log file handle");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        Process {
            child: Some(child),
            name: name.to_string(),
            log,
        }
    }

    /// Fails the test with the log's tail if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(child) = &mut self.child {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{} exited ({status}); its log ends:\n{}",
                    self.name,
                    tail(&self.log, 30)
                );
            }
        }
    }

    /// Waits (at most [`WAIT_MAX`]) for the process to exit by itself; fails the test with its
    /// log if it exits unsuccessfully.
    pub fn wait_success(&mut self) {
        let Some(child) = &mut self.child else {
            panic!("{} was already stopped", self.name)
        };
        let status = wait_for(&format!("{} to finish", self.name), || {
            child.try_wait().ok().flatten()
        });
        assert!(
            status.success(),
            "{} failed ({status}); its log ends:\n{}",
            self.name,
            tail(&self.log, 30)
        );
        self.child = None;
    }

    /// Sends SIGINT (what Ctrl-C sends), through the system's `kill` command.
    pub fn interrupt(&self) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cannot send SIGINT to {}",
                self.name
            );
        }
    }

    /// Waits until the process's log has a line containing `marker` followed by an address
    /// (`marker 127.0.0.1:PORT`) and returns that address: how a child started on port 0
    /// reports the port it got.
    pub fn wait_for_address(&mut self, marker: &str) -> String {
        let log = self.log.clone();
        wait_for(&format!("{} to print `{marker}`", self.name), || {
            self.assert_running();
            let text = std::fs::read_to_string(&log).ok()?;
            let rest = text
                .lines()
                .find_map(|line| line.split_once(marker).map(|(_, rest)| rest.to_string()))?;
            let addr = rest
                .trim()
                .split([' ', ';', ','])
                .next()?
                .trim_end_matches(':')
                .to_string();
            addr.parse::<std::net::SocketAddr>().is_ok().then_some(addr)
        })
    }

    /// SIGKILL now, and wait until the process is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A real bitcoind on loopback only, with a fresh data folder, stopped on drop.
pub struct Bitcoind {
    /// Its RPC client (cookie authentication).
    pub rpc: Client,
    /// Its P2P port on 127.0.0.1 (listening only when started with `listen`).
    pub p2p_port: u16,
    /// The data folder (removed on drop).
    pub datadir: tempfile::TempDir,
    process: Process,
}

impl Bitcoind {
    /// Starts bitcoind for `network` (`regtest` or `main`) with the loopback-only flags, plus
    /// `extra` (for example `-connect=127.0.0.1:PORT`), and waits until its RPC answers.
    pub fn start(network: &str, extra: &[String]) -> Bitcoind {
        let datadir = tempfile::tempdir().expect("temp dir");
        let p2p_port = free_port();
        let rpc_port = free_port();
        let mut args: Vec<String> = vec![
            format!("-chain={network}"),
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
            "-disablewallet".into(),
            "-printtoconsole=0".into(),
            "-debug=net".into(),
        ];
        args.extend(extra.iter().cloned());
        let log = datadir.path().join("stdout.log");
        let mut process = Process::spawn("bitcoind", &bitcoind_path(), &args, log);
        let chain_dir = match network {
            "main" => datadir.path().to_path_buf(),
            other => datadir.path().join(other),
        };
        let cookie = chain_dir.join(".cookie");
        let url = format!("http://127.0.0.1:{rpc_port}");
        let rpc = wait_for("bitcoind's RPC", || {
            process.assert_running();
            if !cookie.exists() {
                return None;
            }
            let client = Client::new(&url, Auth::CookieFile(cookie.clone())).ok()?;
            client.get_blockchain_info().ok()?;
            Some(client)
        });
        process.log = chain_dir.join("debug.log");
        Bitcoind {
            rpc,
            p2p_port,
            datadir,
            process,
        }
    }

    /// `127.0.0.1:<p2p port>`.
    pub fn p2p_addr(&self) -> String {
        format!("127.0.0.1:{}", self.p2p_port)
    }

    /// Mines `count` blocks to the anyone-can-spend `raw(51)` output; returns their hashes.
    /// Calls are of 500 blocks at most, each well inside the RPC client's 15 s timeout on a
    /// loaded machine.
    pub fn mine(&self, count: u64) -> Vec<BlockHash> {
        let mut hashes = Vec::new();
        let mut left = count;
        while left > 0 {
            let batch = left.min(500);
            let mined: Vec<String> = self
                .rpc
                .call(
                    "generatetodescriptor",
                    &[batch.into(), "raw(51)#8lvh9jxk".into()],
                )
                .expect("generatetodescriptor");
            hashes.extend(
                mined
                    .iter()
                    .map(|h| h.parse::<BlockHash>().expect("block hash")),
            );
            left -= batch;
        }
        hashes
    }

    /// The active chain's headers from genesis to the tip, over RPC.
    pub fn active_chain(&self) -> Vec<Header> {
        let height = self.rpc.get_block_count().expect("getblockcount");
        (0..=height)
            .map(|h| {
                let hash = self.rpc.get_block_hash(h).expect("getblockhash");
                self.rpc.get_block_header(&hash).expect("getblockheader")
            })
            .collect()
    }

    /// `getpeerinfo` as JSON.
    pub fn peer_info(&self) -> Vec<serde_json::Value> {
        self.rpc.call("getpeerinfo", &[]).expect("getpeerinfo")
    }

    /// The tail of bitcoind's `debug.log` (for failure messages).
    pub fn log_tail(&self) -> String {
        tail(&self.process.log, 40)
    }
}

impl Drop for Bitcoind {
    fn drop(&mut self) {
        // A clean `stop` first so the data folder is released; SIGKILL follows in any case.
        let _ = self.rpc.stop();
        let started = Instant::now();
        if let Some(child) = &mut self.process.child {
            while started.elapsed() < Duration::from_secs(10) {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.process.kill();
    }
}

/// Every header the node stored in `datadir` (open it after the node process is gone, or
/// while it is idle); fails the test if the store is missing or does not load.
pub fn stored_headers(datadir: &Path, network: Network) -> Vec<Header> {
    let path = datadir.join("headers.sqlite");
    let store = node::store::Store::open(&path, network)
        .unwrap_or_else(|e| panic!("open the node's store {}: {e}", path.display()));
    store
        .load()
        .unwrap_or_else(|e| panic!("the node's store {} loads: {e}", path.display()))
}

/// The compiled `node` binary running on a data folder, with a `--trace` file.
pub struct NodeProcess {
    /// The process (killed on drop).
    pub process: Process,
    /// The `--trace` file.
    pub trace: PathBuf,
}

impl NodeProcess {
    /// Starts `node --datadir DATADIR --trace DATADIR/trace.txt ARGS`.
    pub fn start(datadir: &Path, args: &[String]) -> NodeProcess {
        std::fs::create_dir_all(datadir).expect("node data folder");
        let trace = datadir.join("trace.txt");
        let mut all = vec![
            "--datadir".to_string(),
            datadir.display().to_string(),
            "--trace".to_string(),
            trace.display().to_string(),
        ];
        all.extend(args.iter().cloned());
        let process = Process::spawn(
            "node",
            &workspace_binary("node"),
            &all,
            datadir.join("node.log"),
        );
        NodeProcess { process, trace }
    }

    /// The trace's complete lines so far (a line still being written is left out), without
    /// their time stamps.
    pub fn events(&self) -> Vec<String> {
        let mut text = std::fs::read_to_string(&self.trace).unwrap_or_default();
        text.truncate(text.rfind('\n').map_or(0, |end| end + 1));
        text.lines()
            .map(|line| {
                line.split_once(' ')
                    .map_or(line, |(_, rest)| rest)
                    .to_string()
            })
            .collect()
    }

    /// Waits until the trace holds a line starting with `prefix`; returns it.
    pub fn wait_for_event(&mut self, prefix: &str) -> String {
        wait_for(&format!("node event `{prefix}`"), || {
            self.process.assert_running();
            self.events().into_iter().find(|e| e.starts_with(prefix))
        })
    }

    /// Waits until the node's best header is at `height` (a `tip_changed` or `started` line).
    pub fn wait_for_height(&mut self, height: u64) {
        let changed = format!("tip_changed height={height} ");
        let started = format!("started tip_height={height} ");
        wait_for(&format!("node tip at height {height}"), || {
            self.process.assert_running();
            self.events()
                .iter()
                .any(|e| e.starts_with(&changed) || e.starts_with(&started))
                .then_some(())
        })
    }
}

/// Reads one whole frame (24-byte header, then the payload its length field announces, at most
/// 4,000,000 bytes) from a blocking stream, as raw bytes.
pub fn read_frame(stream: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut frame = vec![0u8; 24];
    stream.read_exact(&mut frame)?;
    let length = u32::from_le_bytes([frame[16], frame[17], frame[18], frame[19]]) as usize;
    if length > 4_000_000 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a {length}-byte payload"),
        ));
    }
    frame.resize(24 + length, 0);
    stream.read_exact(&mut frame[24..])?;
    Ok(frame)
}

/// A small blocking P2P client for asking real and fake peers the same questions.
pub struct P2pClient {
    stream: TcpStream,
    magic: Magic,
    /// The peer's `version`.
    pub their_version: VersionMessage,
}

impl P2pClient {
    /// Connects to `addr` and completes the version/verack handshake as a protocol-70016 peer
    /// offering no services.
    pub fn connect(addr: &str, network: Network) -> P2pClient {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let mut version = VersionMessage::new(
            ServiceFlags::NONE,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
            Address::new(&unspecified, ServiceFlags::NONE),
            Address::new(&unspecified, ServiceFlags::NONE),
            0x5eed_0000_0000_0001,
            "/headersim-test-client:0.1/".to_string(),
            0,
        );
        version.version = 70016;
        let mut client = P2pClient {
            stream,
            magic: Magic::from(network),
            their_version: VersionMessage::new(
                ServiceFlags::NONE,
                0,
                Address::new(&unspecified, ServiceFlags::NONE),
                Address::new(&unspecified, ServiceFlags::NONE),
                0,
                String::new(),
                0,
            ),
        };
        client.send(NetworkMessage::Version(version));
        let mut got_verack = false;
        let mut got_version = false;
        while !(got_verack && got_version) {
            match client.read_message().1 {
                NetworkMessage::Version(theirs) => {
                    client.their_version = theirs;
                    got_version = true;
                    client.send(NetworkMessage::Verack);
                }
                NetworkMessage::Verack => got_verack = true,
                _ => {}
            }
        }
        client
    }

    /// Sends one message.
    pub fn send(&mut self, message: NetworkMessage) {
        let frame = bitcoin::consensus::serialize(&RawNetworkMessage::new(self.magic, message));
        self.stream.write_all(&frame).expect("write to peer");
    }

    /// Reads one whole frame; returns its raw bytes (header and payload) and the decoded message.
    pub fn read_message(&mut self) -> (Vec<u8>, NetworkMessage) {
        let frame = read_frame(&mut self.stream).expect("read a message from the peer");
        let raw: RawNetworkMessage =
            bitcoin::consensus::deserialize(&frame).expect("a well-formed message");
        (frame, raw.payload().clone())
    }

    /// Sends `getheaders` and returns the raw frame of the `headers` reply (answering pings
    /// and skipping anything else meanwhile).
    pub fn get_headers(
        &mut self,
        locator: Vec<BlockHash>,
        stop_hash: BlockHash,
    ) -> (Vec<u8>, Vec<Header>) {
        self.send(NetworkMessage::GetHeaders(GetHeadersMessage::new(
            locator, stop_hash,
        )));
        loop {
            match self.read_message() {
                (frame, NetworkMessage::Headers(headers)) => return (frame, headers),
                (_, NetworkMessage::Ping(nonce)) => self.send(NetworkMessage::Pong(nonce)),
                _ => {}
            }
        }
    }
}

/// A loopback TCP relay between one client and `upstream` that forwards whole messages from
/// the client until the `hold_at`-th message with command `command`, which it keeps back
/// (and everything after it). Used to stop a sync at a known point against a real peer.
pub struct HoldingRelay {
    /// The address clients connect to.
    pub addr: String,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HoldingRelay {
    /// Listens on a free loopback port; serves one connection in background threads.
    pub fn start(upstream: String, command: &'static str, hold_at: usize) -> HoldingRelay {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let addr = listener.local_addr().expect("relay address").to_string();
        let held = Arc::new(AtomicBool::new(false));
        let held_flag = held.clone();
        std::thread::spawn(move || {
            let Ok((mut client, _)) = listener.accept() else {
                return;
            };
            let Ok(mut server) = TcpStream::connect(&upstream) else {
                return;
            };
            let (Ok(mut server_read), Ok(mut client_write)) =
                (server.try_clone(), client.try_clone())
            else {
                return;
            };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_read, &mut client_write);
            });
            let mut seen = 0usize;
            while let Ok(frame) = read_frame(&mut client) {
                let name = String::from_utf8_lossy(&frame[4..16])
                    .trim_end_matches('\0')
                    .to_string();
                if name == command {
                    seen += 1;
                    if seen == hold_at {
                        held_flag.store(true, Ordering::SeqCst);
                        // Keep the connection open and forward nothing more.
                        let mut sink = Vec::new();
                        let _ = client.read_to_end(&mut sink);
                        break;
                    }
                }
                if server.write_all(&frame).is_err() {
                    break;
                }
            }
            let _ = server.shutdown(std::net::Shutdown::Both);
        });
        HoldingRelay { addr, held }
    }

    /// Whether the held message has arrived.
    pub fn holding(&self) -> bool {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }
}

//! Header sync side by side: our `node` binary and a real `bitcoind` sync the same regtest
//! chain from the same honest fake peer over real loopback TCP, and each is timed from
//! connection to tip.
//!
//! ```no_run
//! # use std::path::Path;
//! let result = sim::tools::bench::bitcoind::header_sync_side_by_side(
//!     100_000,
//!     3,
//!     Path::new("target/release/node"),
//!     Path::new(".tools/bitcoind/bin/bitcoind"),
//! )?;
//! println!("node {:.2} s, bitcoind {:.2} s, ratio {:.3}", result.node_s, result.bitcoind_s, result.ratio());
//! # Ok::<(), sim::tools::bench::bitcoind::BenchError>(())
//! ```
//!
//! # What is measured
//!
//! - **The chain**: `{"regtest":{"height":N,"seed":1}}` ([`ChainSpec::Regtest`]), built once for
//!   all runs. Its headers are 600 s apart from regtest genesis (2011), so a 100,000-header
//!   chain ends in 2013: far in the past (bitcoind refuses headers more than 2 h ahead of its
//!   clock) and strictly increasing (so above every median-time-past). The interop tests
//!   (`tests/interop_bitcoind.rs`) already have bitcoind sync such chains.
//! - **The peer**: a fresh [`FakePeer`] per run (Core profile, honest, advertising
//!   `NETWORK|WITNESS`) on `127.0.0.1:0`, on a tokio current-thread runtime in its own thread.
//!   Each side gets the same peer and the same chain.
//! - **The clock**: from the fake peer accepting the TCP connection to the fake peer receiving
//!   the `getheaders` whose first locator hash is the tip (see [`GetHeadersSeen`]). Process
//!   start-up (bitcoind's is far longer: it sets up its block index, mempool and more) is left
//!   out; the version handshake is in. The time from spawning the process is kept too
//!   ([`RunSample::spawn_to_tip_s`]).
//! - **The tip signal** is the same for both and seen from the peer's side: after a full
//!   2000-header batch both ask for more with a locator that starts at the batch's last header,
//!   and they do so only after accepting the batch. For bitcoind, `ProcessHeadersMessage` calls
//!   `ProcessNewBlockHeaders` before `MaybeSendGetHeaders(GetLocator(pindexLast))`. For our node
//!   the state machine queues `Output::Persist` before the `getheaders` `Output::Send`
//!   (`import_headers`, then `send_getheaders` / `core_maybe_send_getheaders` in
//!   `node/src/protocol/mod.rs`) and the runtime executes outputs in order, committing the store
//!   transaction (`Store::apply`, synchronous=FULL) before the frame is queued
//!   (`node/src/runtime.rs`, `execute`). So at the signal our node has *stored* the tip, and
//!   each run checks this afterwards by loading its `headers.sqlite`. bitcoind has accepted the
//!   tip into its block index (not necessarily flushed to disk). N must therefore be a
//!   multiple of 2000, so that the last batch is full.
//! - **Our node** runs `--network regtest --connect ADDR --datadir FRESH --seed 1 --profile P`
//!   with `P` = [`BenchOptions::node_profile`], Core by default: its Core profile asks again
//!   after every full batch like bitcoind does. Its btcd profile asks again only while it is
//!   below the peer's advertised height, so under it the peer advertises N + 1 (to both sides;
//!   bitcoind ignores that field for syncing). It advertises no services (the default: it is
//!   the one syncing). A `RUST_LOG` in the environment reaches it (default `info`).
//! - **bitcoind** runs `-regtest -datadir=FRESH -connect=ADDR` with listening, RPC, the wallet,
//!   DNS and fixed seeds, address discovery, NAT-PMP and onion all off, `-v2transport=0` (the
//!   fake peer speaks v1 only; otherwise bitcoind's first attempt is a BIP324 handshake that
//!   fails and is retried as v1 on a new connection) and `-checkblockindex=0` (regtest turns
//!   that full block-index consistency check on by default; no real node runs with it). Any
//!   `getdata` for blocks it sends is ignored by the fake peer, like everything but the
//!   handshake, pings and `getheaders`.
//! - **Runs**: `repeats` of each, in the order node, bitcoind, bitcoind, node, node, ... so that
//!   drift and noise fall on both alike; each side's median is reported. Every run gets a fresh
//!   data folder and peer, and its process is killed (SIGKILL) and reaped once the signal came.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::{BlockHash, Network};
use node::runtime::{Network as _, TcpNetwork};
use node::Profile;

use super::figures::median;
use crate::peers::fake_peer::{self, wall_clock_s, FakePeer, FakePeerSettings, GetHeadersSeen};
use crate::scenario::chain::ChainSpec;

/// The chain length measured by default: 100,000 headers above genesis.
pub const DEFAULT_HEADERS: u32 = 100_000;

/// How long one run may take, from spawning its process to the tip signal, by default.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Headers per full `headers` message; the chain length must be a multiple of it.
pub const BATCH_HEADERS: u32 = node::wire::HEADERS_PER_MESSAGE_MAX as u32;

/// Which implementation a run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Our `node` binary.
    Node,
    /// The real `bitcoind`.
    Bitcoind,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Node => "node",
            Side::Bitcoind => "bitcoind",
        })
    }
}

/// What went wrong in a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The arguments cannot give a meaningful measurement (a chain length that is zero or not a
    /// multiple of [`BATCH_HEADERS`], zero repeats, a missing executable).
    #[error("{0}")]
    Arguments(String),
    /// The regtest chain could not be built.
    #[error("building the regtest chain: {0}")]
    Chain(#[from] crate::error::SimError),
    /// Local I/O failed: a temporary folder, a log file, the fake peer's socket or thread, or
    /// spawning a process.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: io::Error,
    },
    /// One run did not reach the tip: it timed out, its process exited, or (for our node) its
    /// store does not hold the chain afterwards.
    #[error("{side} run {run}: {problem}; {progress}; its log ends:\n{log_tail}")]
    Run {
        /// Which implementation.
        side: Side,
        /// Which of that side's runs (1 for the first).
        run: u32,
        /// What happened, e.g. `did not reach the tip 100000 within 120.0 s`.
        problem: String,
        /// How far it got, as the fake peer saw it (whether it connected, the height its
        /// last `getheaders` started from).
        progress: String,
        /// The last lines of its log (our node's output, bitcoind's `debug.log`).
        log_tail: String,
    },
}

/// Settings of [`header_sync_side_by_side_with`].
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Chain length: headers above genesis, a positive multiple of [`BATCH_HEADERS`].
    pub headers: u32,
    /// Runs of each side (at least 1); the medians are reported.
    pub repeats: u32,
    /// Our `node` binary (a release build, e.g. `target/release/node`).
    pub node_exe: PathBuf,
    /// The `bitcoind` executable (e.g. `.tools/bitcoind/bin/bitcoind`, from
    /// `scripts/install-bitcoind.sh`).
    pub bitcoind_exe: PathBuf,
    /// The `--profile` our node runs under (default Core; see the module docs for btcd).
    pub node_profile: Profile,
    /// Longest a run may take from spawning its process to the tip signal (default
    /// [`DEFAULT_RUN_TIMEOUT`]).
    pub run_timeout: Duration,
}

impl BenchOptions {
    /// The defaults for the given chain length, repeats and executables: our node under its
    /// Core profile, [`DEFAULT_RUN_TIMEOUT`] per run.
    pub fn new(headers: u32, repeats: u32, node_exe: &Path, bitcoind_exe: &Path) -> BenchOptions {
        BenchOptions {
            headers,
            repeats,
            node_exe: node_exe.to_path_buf(),
            bitcoind_exe: bitcoind_exe.to_path_buf(),
            node_profile: Profile::Core,
            run_timeout: DEFAULT_RUN_TIMEOUT,
        }
    }
}

/// One run's timings, in seconds of wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSample {
    /// From the fake peer accepting the connection to the `getheaders` from the tip: the
    /// measured figure.
    pub connect_to_tip_s: f64,
    /// From the fake peer accepting the connection to the first `getheaders` (handshake and
    /// first request).
    pub connect_to_first_getheaders_s: f64,
    /// From spawning the process to the `getheaders` from the tip (start-up included).
    pub spawn_to_tip_s: f64,
}

/// The result of [`header_sync_side_by_side`]: medians and every run.
#[derive(Debug, Clone, PartialEq)]
pub struct SideBySide {
    /// Chain length synced: headers above genesis.
    pub headers: u32,
    /// Our node's profile in these runs.
    pub node_profile: Profile,
    /// Median over our node's runs of [`RunSample::connect_to_tip_s`], in seconds.
    pub node_s: f64,
    /// Median over bitcoind's runs of [`RunSample::connect_to_tip_s`], in seconds.
    pub bitcoind_s: f64,
    /// Our node's runs, in the order they ran.
    pub node_runs: Vec<RunSample>,
    /// bitcoind's runs, in the order they ran.
    pub bitcoind_runs: Vec<RunSample>,
}

impl SideBySide {
    /// `node_s / bitcoind_s`: below 1 our node is faster (the project's goal is at most 0.2).
    pub fn ratio(&self) -> f64 {
        self.node_s / self.bitcoind_s
    }

    /// Headers per second of each side's median run: `(node, bitcoind)`.
    pub fn headers_per_s(&self) -> (f64, f64) {
        (
            f64::from(self.headers) / self.node_s,
            f64::from(self.headers) / self.bitcoind_s,
        )
    }
}

impl fmt::Display for SideBySide {
    /// A few lines: the medians, the ratio and every run's figure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs = |samples: &[RunSample]| {
            samples
                .iter()
                .map(|s| format!("{:.3}", s.connect_to_tip_s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (node_rate, bitcoind_rate) = self.headers_per_s();
        writeln!(
            f,
            "header sync of {} regtest headers from one fake peer on loopback, connection to tip (median of {}):",
            self.headers,
            self.node_runs.len()
        )?;
        let node = format!("node (--profile {})", self.node_profile.as_str());
        writeln!(
            f,
            "  {node:<22} {:>8.3} s {:>9.0} headers/s   runs: {}",
            self.node_s,
            node_rate,
            runs(&self.node_runs)
        )?;
        writeln!(
            f,
            "  {:<22} {:>8.3} s {:>9.0} headers/s   runs: {}",
            "bitcoind",
            self.bitcoind_s,
            bitcoind_rate,
            runs(&self.bitcoind_runs)
        )?;
        write!(f, "  ratio node/bitcoind: {:.3}", self.ratio())
    }
}

/// Times our node and bitcoind syncing the same `headers`-header regtest chain from the same
/// honest fake peer on loopback TCP, `repeats` runs each, alternating, with the default
/// [`BenchOptions`] (our node under its Core profile, 120 s per run). See the module docs for
/// what exactly is timed.
///
/// # Errors
/// [`BenchError::Arguments`] for a chain length that is zero or not a multiple of 2000, zero
/// repeats or a missing executable; [`BenchError::Io`] when a temporary folder, the fake
/// peer or a process cannot be set up; [`BenchError::Run`] when a run does not reach the tip
/// in time, its process exits first, or our node's store lacks the tip afterwards.
pub fn header_sync_side_by_side(
    headers: u32,
    repeats: u32,
    node_exe: &Path,
    bitcoind_exe: &Path,
) -> Result<SideBySide, BenchError> {
    header_sync_side_by_side_with(&BenchOptions::new(headers, repeats, node_exe, bitcoind_exe))
}

/// [`header_sync_side_by_side`] with every setting given.
///
/// # Errors
/// As [`header_sync_side_by_side`].
#[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
pub fn header_sync_side_by_side_with(options: &BenchOptions) -> Result<SideBySide, BenchError> {
    if options.headers == 0 || options.headers % BATCH_HEADERS != 0 {
        return Err(BenchError::Arguments(format!(
            "the chain length must be a positive multiple of {BATCH_HEADERS} (the last batch must be full for the tip signal), not {}",
            options.headers
        )));
    }
    if options.repeats == 0 {
        return Err(BenchError::Arguments("repeats must be at least 1".into()));
    }
    for (what, path) in [
        ("node", &options.node_exe),
        ("bitcoind", &options.bitcoind_exe),
    ] {
        if !path.is_file() {
            return Err(BenchError::Arguments(format!(
                "{what} executable {} does not exist",
                path.display()
            )));
        }
    }
    let chain = ChainSpec::Regtest {
        height: options.headers,
        seed: 1,
        fork: None,
    }
    .build()?;
    let mut node_runs = Vec::new();
    let mut bitcoind_runs = Vec::new();
    for round in 0..options.repeats {
        // node, bitcoind, bitcoind, node, ...: neither side always goes first.
        let order = if round % 2 == 0 {
            [Side::Node, Side::Bitcoind]
        } else {
            [Side::Bitcoind, Side::Node]
        };
        for side in order {
            let sample = run_once(side, round + 1, &chain, options)?;
            match side {
                Side::Node => node_runs.push(sample),
                Side::Bitcoind => bitcoind_runs.push(sample),
            }
        }
    }
    Ok(SideBySide {
        headers: options.headers,
        node_profile: options.node_profile,
        node_s: median(
            &node_runs
                .iter()
                .map(|s| s.connect_to_tip_s)
                .collect::<Vec<_>>(),
        ),
        bitcoind_s: median(
            &bitcoind_runs
                .iter()
                .map(|s| s.connect_to_tip_s)
                .collect::<Vec<_>>(),
        ),
        node_runs,
        bitcoind_runs,
    })
}

/// One run of `side` (its `run`-th): a fresh fake peer and data folder, the process, the wait
/// for the tip signal, the kill, and for our node the store check.
fn run_once(
    side: Side,
    run: u32,
    chain: &[Header],
    options: &BenchOptions,
) -> Result<RunSample, BenchError> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("bench-{side}-"))
        .tempdir()
        .map_err(|source| BenchError::Io {
            what: "creating a temporary data folder".into(),
            source,
        })?;
    // The btcd profile asks for more only while below the peer's advertised height.
    let start_height = match options.node_profile {
        Profile::Core => None,
        Profile::Btcd => Some(
            i32::try_from(options.headers)
                .unwrap_or(i32::MAX)
                .saturating_add(1),
        ),
    };
    let peer = FakeServer::start(chain.to_vec(), start_height)?;
    let addr = peer.addr.to_string();
    let datadir = dir.path().join("data");
    std::fs::create_dir_all(&datadir).map_err(|source| BenchError::Io {
        what: format!("creating {}", datadir.display()),
        source,
    })?;
    let (program, args, output, log) = match side {
        Side::Node => {
            let args: Vec<String> = vec![
                "--network".into(),
                "regtest".into(),
                "--connect".into(),
                addr.clone(),
                "--datadir".into(),
                datadir.display().to_string(),
                "--seed".into(),
                "1".into(),
                "--profile".into(),
                options.node_profile.as_str().into(),
            ];
            let log = dir.path().join("node.log");
            (&options.node_exe, args, log.clone(), log)
        }
        Side::Bitcoind => {
            let args: Vec<String> = vec![
                "-regtest".into(),
                format!("-datadir={}", datadir.display()),
                format!("-connect={addr}"),
                "-listen=0".into(),
                "-server=0".into(),
                "-disablewallet".into(),
                "-v2transport=0".into(),
                "-checkblockindex=0".into(),
                "-printtoconsole=0".into(),
                "-dnsseed=0".into(),
                "-fixedseeds=0".into(),
                "-discover=0".into(),
                "-natpmp=0".into(),
                "-listenonion=0".into(),
            ];
            (
                &options.bitcoind_exe,
                args,
                dir.path().join("bitcoind.out"),
                datadir.join("regtest").join("debug.log"),
            )
        }
    };
    let out = std::fs::File::create(&output).map_err(|source| BenchError::Io {
        what: format!("creating {}", output.display()),
        source,
    })?;
    let err = out.try_clone().map_err(|source| BenchError::Io {
        what: "duplicating a log file handle".into(),
        source,
    })?;
    let spawned = Instant::now();
    let child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|source| BenchError::Io {
            what: format!("starting {side} ({})", program.display()),
            source,
        })?;
    let mut child = KillOnDrop(child);

    let failure = |problem: String, progress: &Progress| {
        let mut log_tail = tail(&log, 15);
        if output != log {
            let console = tail(&output, 5);
            if !console.is_empty() {
                log_tail = format!("{log_tail}\n(console:)\n{console}");
            }
        }
        if log_tail.is_empty() {
            log_tail = format!("(nothing in {})", log.display());
        }
        BenchError::Run {
            side,
            run,
            problem,
            progress: progress.to_string(),
            log_tail,
        }
    };
    let mut progress = Progress::default();
    let deadline = spawned + options.run_timeout;
    let tip_at = loop {
        let now = Instant::now();
        if now >= deadline {
            let problem = format!(
                "did not reach the tip {} within {:.1} s",
                options.headers,
                options.run_timeout.as_secs_f64()
            );
            return Err(failure(problem, &progress));
        }
        match peer
            .seen
            .recv_timeout((deadline - now).min(Duration::from_millis(100)))
        {
            Ok(seen) => {
                progress.note(&seen);
                if seen.at_tip {
                    break seen.at;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.0.try_wait() {
                    return Err(failure(
                        format!(
                            "exited ({status}) before reaching the tip {}",
                            options.headers
                        ),
                        &progress,
                    ));
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(failure("the fake peer's thread ended".into(), &progress));
            }
        }
    };
    child.kill();
    let accepted_at = peer.accepted.try_iter().next();
    let Some(accepted_at) = accepted_at else {
        return Err(failure(
            "the tip signal came without an accepted connection".into(),
            &progress,
        ));
    };
    let first_getheaders_at = progress.first_at.unwrap_or(tip_at);
    drop(peer);

    if side == Side::Node {
        check_node_store(&datadir, chain).map_err(|problem| failure(problem, &progress))?;
    }
    Ok(RunSample {
        connect_to_tip_s: tip_at.saturating_duration_since(accepted_at).as_secs_f64(),
        connect_to_first_getheaders_s: first_getheaders_at
            .saturating_duration_since(accepted_at)
            .as_secs_f64(),
        spawn_to_tip_s: tip_at.saturating_duration_since(spawned).as_secs_f64(),
    })
}

/// Checks that our node's store (`DATADIR/headers.sqlite`, read after the process is gone)
/// holds exactly `chain`'s tip at its height; the problem otherwise.
fn check_node_store(datadir: &Path, chain: &[Header]) -> Result<(), String> {
    let path = datadir.join("headers.sqlite");
    let stored = node::store::Store::open(&path, Network::Regtest)
        .and_then(|store| store.load())
        .map_err(|e| format!("its store {} does not load: {e}", path.display()))?;
    let tip = |headers: &[Header]| headers.last().map(Header::block_hash);
    if stored.len() != chain.len() || tip(&stored) != tip(chain) {
        let stored_tip =
            tip(&stored).map_or_else(|| "none".to_string(), |h: BlockHash| h.to_string());
        return Err(format!(
            "sent the tip signal but its store holds {} headers (tip {stored_tip}), not {} (tip {})",
            stored.len(),
            chain.len(),
            tip(chain).map_or_else(String::new, |h| h.to_string())
        ));
    }
    Ok(())
}

/// How far a run got, from the `getheaders` the fake peer saw.
#[derive(Debug, Default)]
struct Progress {
    /// `getheaders` received.
    requests: u32,
    /// When the first arrived.
    first_at: Option<Instant>,
    /// Where the last one's locator started (`None`: not on the chain).
    last_height: Option<u32>,
}

impl Progress {
    fn note(&mut self, seen: &GetHeadersSeen) {
        self.requests += 1;
        self.first_at.get_or_insert(seen.at);
        self.last_height = seen.first_locator_height;
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.requests, self.last_height) {
            (0, _) => f.write_str("it sent the fake peer no getheaders"),
            (n, Some(height)) => write!(f, "it sent {n} getheaders, the last from height {height}"),
            (n, None) => write!(
                f,
                "it sent {n} getheaders, the last from a hash not on the chain"
            ),
        }
    }
}

/// A child process killed (SIGKILL) and reaped on drop, also on error paths.
struct KillOnDrop(Child);

impl KillOnDrop {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The honest fake peer on `127.0.0.1:0`, in its own thread on a tokio current-thread runtime;
/// stopped (its connections closed) and joined on drop.
struct FakeServer {
    /// Where it listens.
    addr: SocketAddr,
    /// Every `getheaders` it receives.
    seen: mpsc::Receiver<GetHeadersSeen>,
    /// When it accepted each connection.
    accepted: mpsc::Receiver<Instant>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    fn start(chain: Vec<Header>, start_height: Option<i32>) -> Result<FakeServer, BenchError> {
        let (seen_tx, seen) = mpsc::channel();
        let (accepted_tx, accepted) = mpsc::channel();
        let (ready_tx, ready) = mpsc::channel::<io::Result<SocketAddr>>();
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bench-fake-peer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                let settings = FakePeerSettings {
                    clock_s: wall_clock_s,
                    seed: 1,
                    profile: Profile::Core,
                    start_height,
                    ..FakePeerSettings::default()
                };
                let peer = Rc::new(
                    FakePeer::new("bench", Network::Regtest, chain, settings)
                        .with_getheaders_observer(seen_tx),
                );
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    let listener = match TcpNetwork
                        .bind("127.0.0.1:0")
                        .await
                        .and_then(|l| l.local_addr().map(|a| (l, a)))
                    {
                        Ok((listener, addr)) => {
                            let _ = ready_tx.send(Ok(addr));
                            listener
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                    let accept_loop = async {
                        // An accept error ends the peer; the run then fails as "the fake
                        // peer's thread ended" once the serving tasks are gone too.
                        while let Ok((stream, _)) = TcpNetwork.accept(&listener).await {
                            let _ = accepted_tx.send(Instant::now());
                            let peer = peer.clone();
                            tokio::task::spawn_local(async move {
                                let _ = fake_peer::serve(stream, peer, false).await;
                            });
                        }
                    };
                    tokio::select! {
                        () = accept_loop => {}
                        _ = shutdown_rx => {}
                    }
                });
            })
            .map_err(|source| BenchError::Io {
                what: "starting the fake peer's thread".into(),
                source,
            })?;
        let addr = match ready.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(source)) => {
                return Err(BenchError::Io {
                    what: "starting the fake peer on 127.0.0.1:0".into(),
                    source,
                })
            }
            Err(_) => {
                let source = io::Error::other("its thread ended");
                return Err(BenchError::Io {
                    what: "starting the fake peer".into(),
                    source,
                });
            }
        };
        Ok(FakeServer {
            addr,
            seen,
            accepted,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The last `lines` lines of a text file (empty if it cannot be read).
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_length_off_the_batch_size_is_refused_before_anything_runs() {
        let error = header_sync_side_by_side(
            2500,
            1,
            Path::new("/nonexistent"),
            Path::new("/nonexistent"),
        )
        .unwrap_err();
        assert!(matches!(error, BenchError::Arguments(_)), "{error}");
    }
}

//! `node`: sync block headers from real peers over real TCP and store them in SQLite.
//!
//! ```text
//! cargo run --release -p node -- --network regtest --connect 127.0.0.1:18444 --datadir DIR
//! ```
//!
//! Logs progress (height, headers per second, peers) through `tracing` (`RUST_LOG` filters it)
//! and stops cleanly on Ctrl-C. The wall clock and the seed's entropy are read here and only
//! here; the node itself gets them injected.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use node::runtime::{self, EventSink, TcpNetwork, TokioClock};
use node::{Config, Event, Node};
use tracing::{debug, info, warn};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Bitcoin header-sync node: syncs headers from real peers into SQLite"
)]
struct Args {
    /// Chain to follow: mainnet, testnet (testnet3), testnet4, signet or regtest.
    #[arg(long, default_value = "mainnet", value_parser = parse_network)]
    network: bitcoin::Network,
    /// Outbound peer `host:port`; repeat for several. Redialled with the profile's backoff.
    /// When given, the node makes no automatic connections from `--address`, like btcd's and
    /// Core's `--connect`. These are manual connections (Core's `manual` connection type): the
    /// `core` profile does not require their services, does not evict them for a lagging
    /// chain and does not punish their misbehaviour.
    #[arg(long)]
    connect: Vec<String>,
    /// Dial `host:port` once at start as an automatic full-relay outbound connection (Core's
    /// regtest `addconnection ADDR outbound-full-relay`, btcd's `node connect ADDR temp`);
    /// repeat for several. Not redialled after a failure or a disconnect. Works with or
    /// without `--connect`.
    #[arg(long, value_name = "HOST:PORT")]
    automatic: Vec<String>,
    /// Candidate `host:port` for automatic outbound connections (the node's address book);
    /// repeat for several. Ignored when `--connect` is given. Failed dials are replaced as the
    /// profile does (btcd: at once, after 25 failures in a row every 5 s; Core: one attempt
    /// every 500 ms).
    #[arg(long)]
    address: Vec<String>,
    /// Automatic outbound connections to keep (btcd `defaultTargetOutbound`, Core
    /// `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`).
    #[arg(long, default_value_t = 8)]
    target_outbound: usize,
    /// Ban HOST (an address without its port) for 24 hours at start; repeat for several.
    /// Under `--profile core` the ban is stored in the data folder and outlives restarts (as
    /// Core's `setban`); under btcd it lasts for this run only.
    #[arg(long, value_name = "HOST")]
    ban: Vec<String>,
    /// Accept inbound peers on `host:port`; repeat for several.
    #[arg(long)]
    listen: Vec<String>,
    /// Folder for `headers.sqlite` (created if missing).
    #[arg(long)]
    datadir: PathBuf,
    /// Seed of the node's random number generator (default: drawn from the clock and process id).
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 5)]
    progress_interval_s: u64,
    /// Services to advertise in our `version`: `none`, or a comma list of `network`, `witness`,
    /// `network_limited` and raw bit masks (`0x10000000`). A real node syncs headers only from
    /// a peer that offers `network` or `network_limited` (Bitcoin Core `CanServeBlocks`), so
    /// serving headers to bitcoind needs `network`; this node serves no blocks, hence the
    /// default `none`.
    #[arg(long, default_value = "none", value_parser = parse_services)]
    services: u64,
    /// Which reference implementation to imitate where btcd and Bitcoin Core disagree
    /// (timeouts, punishments, batch continuation, locators): `btcd` or `core`.
    #[arg(long, default_value = "btcd")]
    profile: node::Profile,
    /// Append every node event (messages sent and received, handshakes, tip changes,
    /// disconnects with their reason) to FILE, one line each: `<unix_ms> <event>`.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Start from a trusted header instead of genesis, like an assumed-valid checkpoint: FILE
    /// is JSON with `height`, `header` (160 hex digits, the serialized 80-byte header),
    /// `period_first_time` and `period_first_bits` (time and `0x`-hex bits of the first header
    /// of that header's 2016-block period), `chainwork` (64 hex digits, as `getblockheader`
    /// shows it) and optionally `hash` (checked against `header`). Headers below it are never
    /// fetched; for the 10 headers above it the median-time-past check is only a lower bound
    /// (their 11 ancestors' times are not all known); locators end at it. A data folder created
    /// from one start refuses another.
    #[arg(long, value_name = "FILE")]
    trusted_start: Option<PathBuf>,
    /// Core profile: the minimum total work (big-endian hex, as Core's `-minimumchainwork`)
    /// a headers chain needs before it is stored; lower-work chains go through Core's
    /// low-work headers sync first. Default 0.
    #[arg(long, value_name = "HEX", value_parser = node::config::parse_work_hex)]
    minimum_chain_work: Option<bitcoin::pow::Work>,
    /// How old, in seconds, the best header may be for the node to count as current (Core's
    /// `-maxtipage`, default 86,400 = 24 h; btcd's fixed 24 h in `IsCurrent`). While not
    /// current, the btcd profile ignores `getheaders` (btcd `OnGetHeaders`) and `inv`s, and
    /// the core profile behaves as in initial block download.
    #[arg(long, value_name = "SECONDS")]
    max_tip_age_s: Option<u64>,
}

fn parse_services(s: &str) -> Result<u64, String> {
    use bitcoin::p2p::ServiceFlags;
    let mut flags = ServiceFlags::NONE;
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        flags |= match name {
            "none" => ServiceFlags::NONE,
            "network" => ServiceFlags::NETWORK,
            "witness" => ServiceFlags::WITNESS,
            "network_limited" => ServiceFlags::NETWORK_LIMITED,
            other => {
                let mask = match other.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16).ok(),
                    None => other.parse().ok(),
                };
                match mask {
                    Some(mask) => ServiceFlags::from(mask),
                    None => {
                        return Err(format!(
                            "unknown service `{other}` (expected none, network, witness, network_limited or a bit mask like 0x400)"
                        ))
                    }
                }
            }
        };
    }
    Ok(flags.to_u64())
}

fn parse_network(s: &str) -> Result<bitcoin::Network, String> {
    match s {
        "mainnet" | "bitcoin" | "main" => Ok(bitcoin::Network::Bitcoin),
        "testnet" | "testnet3" | "test" => Ok(bitcoin::Network::Testnet),
        "testnet4" => Ok(bitcoin::Network::Testnet4),
        "signet" => Ok(bitcoin::Network::Signet),
        "regtest" => Ok(bitcoin::Network::Regtest),
        other => Err(format!(
            "unknown network `{other}` (expected mainnet, testnet, testnet4, signet or regtest)"
        )),
    }
}

/// Logs events and a periodic progress line, and writes the `--trace` file.
struct LogSink {
    trace: Option<std::io::BufWriter<std::fs::File>>,
    progress_interval_s: u64,
    last_progress: Instant,
    height_at_last_progress: u32,
    height: u32,
}

impl EventSink for LogSink {
    fn record(&mut self, now_ms: u64, event: &Event, node: &Node) {
        if let Some(trace) = &mut self.trace {
            use std::io::Write as _;
            let line = event.render(|peer| format!("peer{peer}"));
            // Flushed per line so that a reader (or a SIGKILL) sees every event written so far.
            if writeln!(trace, "{now_ms} {line}")
                .and_then(|()| trace.flush())
                .is_err()
            {
                warn!("cannot write the trace file; tracing stops");
                self.trace = None;
            }
        }
        match event {
            Event::Started { .. }
            | Event::HandshakeDone { .. }
            | Event::SyncPeer { .. }
            | Event::Banned { .. }
            | Event::BanLoaded { .. } => info!("{event}"),
            Event::Disconnected {
                reason: node::DisconnectReason::Shutdown,
                ..
            } => debug!("{event}"),
            Event::Disconnected { .. } | Event::PeerClosed { .. } | Event::DialFailed { .. } => {
                warn!("{event}")
            }
            Event::TipChanged {
                height,
                reorg_depth,
                ..
            } => {
                self.height = *height;
                if *reorg_depth > 0 {
                    info!("{event}");
                }
            }
            Event::HeadersImported { received, .. }
                if *received < node::wire::HEADERS_PER_MESSAGE_MAX =>
            {
                info!(height = node.chain().tip_height(), "{event}");
            }
            _ => debug!("{event}"),
        }
        let elapsed = self.last_progress.elapsed();
        if elapsed.as_secs() >= self.progress_interval_s {
            let gained = self.height.saturating_sub(self.height_at_last_progress);
            let headers_per_s = f64::from(gained) / elapsed.as_secs_f64();
            info!(
                height = node.chain().tip_height(),
                headers_per_s = format!("{headers_per_s:.0}"),
                peers = node.peer_count(),
                ready_peers = node.ready_peer_count(),
                "progress"
            );
            self.last_progress = Instant::now();
            self.height_at_last_progress = self.height;
        }
    }
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seed = args
        .seed
        .unwrap_or_else(|| (wall.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32));
    info!(seed, network = %args.network, datadir = %args.datadir.display(), "starting (rerun with --seed {seed} to repeat its random choices)");

    let mut config = Config::new(args.network, args.datadir).with_profile(args.profile);
    config.connect = args.connect;
    config.automatic = args.automatic;
    config.addresses = args.address;
    config.target_outbound = args.target_outbound;
    let (commands_tx, commands) = tokio::sync::mpsc::unbounded_channel();
    for host in args.ban {
        // The receiver is alive until `run_with_commands` ends, so this cannot fail.
        let _ = commands_tx.send(runtime::Command::Ban {
            host,
            duration: config.ban_duration,
        });
    }
    config.listen = args.listen;
    config.seed = seed;
    config.services = args.services;
    if let Some(work) = args.minimum_chain_work {
        config.minimum_chain_work = work;
    }
    if let Some(seconds) = args.max_tip_age_s {
        config.timing.max_tip_age = std::time::Duration::from_secs(seconds);
    }
    if let Some(path) = &args.trusted_start {
        let start = std::fs::read_to_string(path)
            .map_err(|error| error.to_string())
            .and_then(|text| {
                node::trusted_start::TrustedStart::from_json(&text)
                    .map_err(|error| error.to_string())
            });
        match start {
            Ok(start) => {
                info!(height = start.height, hash = %start.hash(), "starting from a trusted header");
                config.trusted_start = Some(start);
            }
            Err(error) => {
                eprintln!("error: --trusted-start {}: {error}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let trace = match &args.trace {
        None => None,
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => Some(std::io::BufWriter::new(file)),
            Err(error) => {
                eprintln!("error: cannot open trace file {}: {error}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the tokio runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async move {
        let epoch_ms = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX);
        let clock = TokioClock::new(epoch_ms);
        let mut sink = LogSink {
            trace,
            progress_interval_s: args.progress_interval_s,
            last_progress: Instant::now(),
            height_at_last_progress: 0,
            height: 0,
        };
        let shutdown = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            info!("Ctrl-C: shutting down");
        };
        runtime::run_with_commands(TcpNetwork, config, clock, &mut sink, shutdown, commands).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

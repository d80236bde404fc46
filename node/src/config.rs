//! Node settings. Every timing constant is a named field whose doc comment cites the btcd or
//! Bitcoin Core source it mirrors; a scenario or the command line may override it.

use std::path::PathBuf;
use std::time::Duration;

/// The protocol version we speak: `AddrV2Version` in btcd `wire/protocol.go`, `PROTOCOL_VERSION`
/// in Bitcoin Core `src/node/protocol_version.h`.
pub const PROTOCOL_VERSION: u32 = 70016;

/// The lowest protocol version we accept from a peer: btcd `MinAcceptableProtocolVersion`
/// (`wire.MultipleAddressVersion`) in `peer/peer.go`.
pub const MIN_ACCEPTABLE_PROTOCOL_VERSION: u32 = 209;

/// From this negotiated version on, `ping` carries a nonce and is answered by `pong` (BIP 31):
/// btcd `wire.BIP0031Version`, Core `BIP0031_VERSION`. Pongs are sent only when the negotiated
/// version is strictly greater.
pub const BIP0031_VERSION: u32 = 60000;

/// From this negotiated version on, `reject` messages can be encoded: btcd `wire.RejectVersion`.
pub const REJECT_VERSION: u32 = 70002;

/// From this negotiated version on, `sendaddrv2` is sent during the handshake (BIP 155):
/// btcd `wire.AddrV2Version`.
pub const ADDRV2_VERSION: u32 = 70016;

/// Longest user agent accepted in a peer's `version`, in bytes: btcd `MaxUserAgentLen`
/// (`wire/msgversion.go`), Bitcoin Core `MAX_SUBVERSION_LENGTH` (`src/net.h`).
pub const USER_AGENT_BYTES_MAX: usize = 256;

/// How many of our recent `version` nonces are remembered for self-connection detection: the
/// size of btcd's `sentNonces` LRU in `peer/peer.go`.
pub const SENT_NONCES_MAX: usize = 50;

/// Timers of the btcd (B26) profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// The whole version/verack negotiation must finish within this: btcd `negotiateTimeout`
    /// (30 s) in `peer/peer.go`. It also bounds the wait for `verack` after our `version`, since
    /// btcd writes handshake messages outside the stall handler.
    pub handshake_timeout: Duration,
    /// A `ping` with a fresh nonce goes out on this fixed ticker from the end of the handshake,
    /// answered or not: btcd `pingInterval` (2 min) in `peer/peer.go`.
    pub ping_interval: Duration,
    /// A peer from which nothing was received for this long is disconnected: btcd
    /// `idleTimeout` (5 min) in `peer/peer.go`.
    pub idle_timeout: Duration,
    /// Response deadlines are checked on this ticker: btcd `stallTickInterval` (15 s).
    pub stall_tick_interval: Duration,
    /// Base response deadline: btcd `stallResponseTimeout` (30 s). A `getheaders` waits three
    /// times this (90 s) for `headers`, as in btcd `maybeAddDeadline`.
    pub stall_response_timeout: Duration,
    /// The sync manager samples sync-peer progress on this ticker: btcd `stallSampleInterval`
    /// (30 s) in `netsync/manager.go`.
    pub sync_stall_sample_interval: Duration,
    /// A sync peer without progress for longer than this is replaced: btcd `maxStallDuration`
    /// (3 min) in `netsync/manager.go`.
    pub sync_stall_max: Duration,
    /// Reconnect backoff unit: a permanent outbound peer is redialled after `attempt × this`,
    /// btcd `defaultRetryDuration` (5 s) in `connmgr/connmanager.go`.
    pub retry_interval: Duration,
    /// Cap of the reconnect backoff: btcd `maxRetryDuration` (5 min) in
    /// `connmgr/connmanager.go`.
    pub retry_max: Duration,
    /// A dial that has not connected by then fails: btcd `defaultConnectTimeout` (30 s) in
    /// `config.go`.
    pub dial_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            handshake_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            stall_tick_interval: Duration::from_secs(15),
            stall_response_timeout: Duration::from_secs(30),
            sync_stall_sample_interval: Duration::from_secs(30),
            sync_stall_max: Duration::from_secs(180),
            retry_interval: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
            dial_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything the node needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Which chain: mainnet, testnet, signet or regtest.
    pub network: bitcoin::Network,
    /// Outbound peers, dialled at start and redialled with backoff forever (btcd's permanent
    /// connection requests). Each is `host:port`.
    pub connect: Vec<String>,
    /// Addresses to accept inbound peers on, each `host:port`.
    pub listen: Vec<String>,
    /// Folder holding `headers.sqlite`.
    pub datadir: PathBuf,
    /// Seed of the node's only random number generator (nonces, sync-peer choice).
    pub seed: u64,
    /// The user agent in our `version` message (BIP 14 form).
    pub user_agent: String,
    /// Service bits we advertise. A header-only node serves no blocks, so the default is none.
    pub services: u64,
    /// Inbound connections beyond this are refused: btcd `MaxPeers` (125) less the default
    /// outbound target of 8 (`config.go`).
    pub inbound_max: usize,
    /// Messages queued for one peer's `out_handler` beyond this disconnect that peer.
    pub outbound_queue_messages_max: usize,
    /// Bytes queued for one peer's `out_handler` beyond this disconnect that peer (a peer that
    /// asks for `headers` and never reads). Twice Bitcoin Core's `MAX_PROTOCOL_MESSAGE_LENGTH`
    /// (`src/net.h`); Core's own send-side bound is `-maxsendbuffer`.
    pub outbound_queue_bytes_max: usize,
    /// Timers.
    pub timing: Timing,
    /// Start from this trusted header instead of genesis (`None`: genesis). A store created
    /// with one start refuses to open with another.
    pub trusted_start: Option<crate::trusted_start::TrustedStart>,
}

impl Config {
    /// Settings for `network` with the defaults of the btcd profile and no peers.
    pub fn new(network: bitcoin::Network, datadir: PathBuf) -> Config {
        Config {
            network,
            connect: Vec::new(),
            listen: Vec::new(),
            datadir,
            seed: 0,
            user_agent: format!("/headersim-node:{}/", env!("CARGO_PKG_VERSION")),
            services: 0,
            inbound_max: 117,
            outbound_queue_messages_max: 256,
            outbound_queue_bytes_max: 8_000_000,
            timing: Timing::default(),
            trusted_start: None,
        }
    }

    /// The SQLite file inside [`Config::datadir`].
    pub fn store_path(&self) -> PathBuf {
        self.datadir.join("headers.sqlite")
    }
}

//! Node settings. Every timing constant is a named field whose doc comment cites the btcd or
//! Bitcoin Core source it mirrors; a scenario or the command line may override it.

use std::path::PathBuf;
use std::time::Duration;

use crate::deliberate_bugs::{Bug, NotCompiled};

/// The protocol version we speak: `AddrV2Version` in btcd `wire/protocol.go`, `PROTOCOL_VERSION`
/// in Bitcoin Core `src/node/protocol_version.h`.
pub const PROTOCOL_VERSION: u32 = 70016;

/// The lowest protocol version the btcd profile accepts from a peer: btcd
/// `MinAcceptableProtocolVersion` (`wire.MultipleAddressVersion`) in `peer/peer.go`.
pub const ACCEPTABLE_PROTOCOL_VERSION_MIN: u32 = 209;

/// The lowest protocol version the Core profile accepts from a peer: Bitcoin Core
/// `MIN_PEER_PROTO_VERSION` (`src/node/protocol_version.h`), "using obsolete version".
pub const PEER_PROTO_VERSION_MIN: u32 = 31800;

// A peer speaking our own version passes the minimum of either profile.
const _: () = assert!(ACCEPTABLE_PROTOCOL_VERSION_MIN <= PROTOCOL_VERSION);
const _: () = assert!(PEER_PROTO_VERSION_MIN <= PROTOCOL_VERSION);

/// From this negotiated version on, the Core profile sends `wtxidrelay` before `verack`
/// (BIP 339): Bitcoin Core `WTXID_RELAY_VERSION` (`src/node/protocol_version.h`).
pub const WTXID_RELAY_VERSION: u32 = 70016;

/// From this negotiated version on, `sendheaders` (BIP 130) may be sent: Bitcoin Core
/// `SENDHEADERS_VERSION` (`src/node/protocol_version.h`), btcd `wire.SendHeadersVersion`.
pub const SENDHEADERS_VERSION: u32 = 70012;

/// Most locator hashes the Core profile accepts in a `getheaders`; more disconnect the peer:
/// Bitcoin Core `MAX_LOCATOR_SZ` (`src/net_processing.cpp`). btcd's limit,
/// [`crate::wire::LOCATOR_HASHES_MAX`] (500), is higher.
pub const CORE_LOCATOR_HASHES_MAX: usize = 101;

const _: () = assert!(CORE_LOCATOR_HASHES_MAX < crate::wire::LOCATOR_HASHES_MAX);

/// From this negotiated version on, `ping` carries a nonce and is answered by `pong` (BIP 31):
/// btcd `wire.BIP0031Version`, Core `BIP0031_VERSION`. Pongs are sent only when the negotiated
/// version is strictly greater.
pub const BIP0031_VERSION: u32 = 60000;

/// From this negotiated version on, `reject` messages can be encoded: btcd `wire.RejectVersion`.
pub const REJECT_VERSION: u32 = 70002;

/// From this negotiated version on, `sendaddrv2` is sent during the handshake (BIP 155):
/// btcd `wire.AddrV2Version`.
pub const ADDRV2_VERSION: u32 = 70016;

pub use crate::wire::USER_AGENT_BYTES_MAX;

// The btcd dialect of the frame decoder reads with btcd's own copies of these versions.
const _: () = assert!(crate::wire::btcd_read::BTCD_PROTOCOL_VERSION == PROTOCOL_VERSION);
const _: () = assert!(crate::wire::btcd_payload::BIP0031_VERSION == BIP0031_VERSION);
const _: () = assert!(crate::wire::btcd_payload::REJECT_VERSION == REJECT_VERSION);
const _: () = assert!(crate::wire::btcd_payload::ADDR_V2_VERSION == ADDRV2_VERSION);

/// How many of our recent `version` nonces are remembered for self-connection detection: the
/// size of btcd's `sentNonces` LRU in `peer/peer.go`.
pub const SENT_NONCES_MAX: usize = 50;

/// Core: an `inv` or `getdata` with more entries is misbehaviour (`MAX_INV_SZ`,
/// `net_processing.cpp`); btcd's `MaxInvPerMsg` (`wire/msginv.go`) is the same.
pub const INV_ENTRIES_MAX: usize = 50_000;

/// Core: an `addr` or `addrv2` with more entries is misbehaviour (`MAX_ADDR_TO_SEND`,
/// `net_processing.cpp`); btcd's `MaxAddrPerMsg` (`wire/msgaddr.go`) is the same.
pub const ADDR_ENTRIES_MAX: usize = 1000;

/// Core: at most this many outbound peers are protected from the chain-sync eviction, the
/// first ones to show a header with at least our tip's work
/// (`MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT`, `net_processing.cpp`).
pub const OUTBOUND_PEERS_TO_PROTECT_MAX: usize = 4;

/// Core: a chain branching within this many blocks' work of our tip skips the low-work
/// headers sync (`GetAntiDoSWorkThreshold`'s 144-block buffer, `net_processing.cpp`).
pub const ANTI_DOS_TIP_BUFFER_BLOCKS: u32 = 144;

/// Which reference implementation the node imitates wherever btcd and Bitcoin Core disagree
/// (section 4 of `shared/reference/p2p-behaviour.md`, rows D1..D32).
///
/// Header validation is Bitcoin Core's in both profiles (btcd B26 applies the same consensus
/// rules); what differs is peer handling: deadlines, what is punished, when the next batch is
/// asked for, which locator is sent and whether `reject` messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Profile {
    /// btcd v0.26 (`B26`): `peer/peer.go`, `netsync/manager.go`, `connmgr/connmanager.go`,
    /// `server.go`.
    #[default]
    Btcd,
    /// Bitcoin Core (`C`): `net.cpp`, `net_processing.cpp`, `headerssync.cpp`.
    Core,
}

impl Profile {
    /// Every profile, in a fixed order.
    pub const ALL: [Profile; 2] = [Profile::Btcd, Profile::Core];

    /// How the profile's implementation reads bytes from a peer ([`crate::wire::Dialect`]).
    pub fn dialect(self) -> crate::wire::Dialect {
        match self {
            Profile::Btcd => crate::wire::Dialect::Btcd,
            Profile::Core => crate::wire::Dialect::Core,
        }
    }

    /// `"btcd"` or `"core"`, as scenario files and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Btcd => "btcd",
            Profile::Core => "core",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    /// Parses `btcd` or `core`.
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "btcd" => Ok(Profile::Btcd),
            "core" => Ok(Profile::Core),
            other => Err(format!(
                "unknown profile `{other}` (expected `btcd` or `core`)"
            )),
        }
    }
}

/// Every timer of the node. [`Timing::for_profile`] gives each profile's defaults; a field that
/// only one profile uses says so, and the other profile ignores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// The whole version/verack negotiation must finish within this. btcd `negotiateTimeout`
    /// (30 s, `peer/peer.go`), which also bounds the wait for `verack`; Bitcoin Core
    /// `DEFAULT_PEER_CONNECT_TIMEOUT` (60 s, `-peertimeout`, `net.h`), checked with a strict
    /// `>` in `CConnman::InactivityCheck` (so it fires 1 ms after the limit here).
    pub handshake_timeout: Duration,
    /// btcd: a `ping` with a fresh nonce goes out on this fixed ticker from the end of the
    /// handshake, answered or not (`pingInterval`, 2 min, `peer/peer.go`). Core: the first
    /// `ping` goes out at the handshake and the next one this long after the previous was sent,
    /// once its `pong` arrived (`PING_INTERVAL`, 2 min, `net_processing.cpp MaybeSendPing`).
    pub ping_interval: Duration,
    /// btcd: a peer from which nothing was received for this long is disconnected (`idleTimeout`,
    /// 5 min, `peer/peer.go`). Core: nothing received *or* nothing sent for longer than this
    /// (`TIMEOUT_INTERVAL`, 20 min, `net.h`, `InactivityCheck`).
    pub idle_timeout: Duration,
    /// Core only: a `ping` unanswered for longer than this disconnects the peer, whatever else
    /// it sends (`TIMEOUT_INTERVAL`, 20 min, `net.h`; checked in `MaybeSendPing`).
    pub ping_timeout: Duration,
    /// btcd only: response deadlines are checked on this ticker (`stallTickInterval`, 15 s,
    /// `peer/peer.go`).
    pub stall_tick_interval: Duration,
    /// btcd only: base response deadline (`stallResponseTimeout`, 30 s, `peer/peer.go`). A
    /// `getheaders` waits three times this (90 s) for `headers`, as in `maybeAddDeadline`.
    pub stall_response_timeout: Duration,
    /// btcd only: the sync manager samples sync-peer progress on this ticker
    /// (`stallSampleInterval`, 30 s, `netsync/manager.go`).
    pub sync_stall_sample_interval: Duration,
    /// btcd only: a sync peer without progress for longer than this is replaced
    /// (`maxStallDuration`, 3 min, `netsync/manager.go`).
    pub sync_stall_max: Duration,
    /// Core only: at most one `getheaders` per peer in this window unless a `headers` arrived
    /// meanwhile (`HEADERS_RESPONSE_TIME`, 2 min, `net_processing.cpp MaybeSendGetHeaders`).
    pub headers_response_time: Duration,
    /// Core only: base of the initial headers-sync deadline
    /// (`HEADERS_DOWNLOAD_TIMEOUT_BASE`, 15 min, `net_processing.cpp`).
    pub headers_download_timeout_base: Duration,
    /// Core only: added to the headers-sync deadline per expected header, that is per
    /// `nPowTargetSpacing` (600 s) between our best header's time and now
    /// (`HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER`, 1 ms, `net_processing.cpp`).
    pub headers_download_timeout_per_header: Duration,
    /// Core only: a best header older than this means "still in initial sync": the
    /// headers-sync deadline applies and only one peer is synced from; a newer one syncs from
    /// every peer and allows `NETWORK_LIMITED` outbound peers (`DEFAULT_MAX_TIP_AGE`, 24 h,
    /// `validation.h`).
    pub max_tip_age: Duration,
    /// Reconnect backoff unit. btcd: a permanent outbound peer is redialled after
    /// `attempt × this` (`defaultRetryDuration`, 5 s, `connmgr/connmanager.go`), and after
    /// `maxFailedAttempts` failed automatic dials each new automatic request waits this long.
    /// Core: added connections are retried every 60 s (`ThreadOpenAddedConnections`,
    /// `net.cpp`); its automatic connections do not use it.
    pub retry_interval: Duration,
    /// Cap of the reconnect backoff: btcd `maxRetryDuration` (5 min,
    /// `connmgr/connmanager.go`); Core retries at a fixed interval, so its cap equals
    /// [`Timing::retry_interval`].
    pub retry_max: Duration,
    /// A dial that has not connected by then fails: btcd `defaultConnectTimeout` (30 s,
    /// `config.go`); Core `DEFAULT_CONNECT_TIMEOUT` (5 s, `netbase.h`).
    pub dial_timeout: Duration,
    /// Core: an outbound peer whose best known header has less work than our tip gets this
    /// long to catch up before it is asked once more and then evicted (`CHAIN_SYNC_TIMEOUT`,
    /// 20 min, `net_processing.cpp` `ConsiderEviction`). btcd has no such rule.
    pub chain_sync_timeout: Duration,
}

impl Timing {
    /// The defaults of `profile`.
    pub fn for_profile(profile: Profile) -> Timing {
        let btcd = Timing {
            handshake_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            ping_timeout: Duration::from_secs(20 * 60),
            stall_tick_interval: Duration::from_secs(15),
            stall_response_timeout: Duration::from_secs(30),
            sync_stall_sample_interval: Duration::from_secs(30),
            sync_stall_max: Duration::from_secs(180),
            headers_response_time: Duration::from_secs(120),
            headers_download_timeout_base: Duration::from_secs(15 * 60),
            headers_download_timeout_per_header: Duration::from_millis(1),
            max_tip_age: Duration::from_secs(24 * 60 * 60),
            retry_interval: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
            dial_timeout: Duration::from_secs(30),
            chain_sync_timeout: Duration::from_secs(20 * 60),
        };
        match profile {
            Profile::Btcd => btcd,
            Profile::Core => Timing {
                handshake_timeout: Duration::from_secs(60),
                idle_timeout: Duration::from_secs(20 * 60),
                retry_interval: Duration::from_secs(60),
                retry_max: Duration::from_secs(60),
                dial_timeout: Duration::from_secs(5),
                ..btcd
            },
        }
    }
}

impl Default for Timing {
    /// The btcd profile's timers.
    fn default() -> Self {
        Timing::for_profile(Profile::Btcd)
    }
}

/// Everything the node needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Which chain: mainnet, testnet, testnet4, signet or regtest.
    pub network: bitcoin::Network,
    /// Which reference implementation the node imitates where btcd and Core disagree.
    pub profile: Profile,
    /// Outbound peers, dialled at start and redialled with backoff forever (btcd's permanent
    /// connection requests). Each is `host:port`. When any is given the node makes no automatic
    /// connections over [`Config::addresses`] (btcd `--connect` leaves `GetNewAddress` unset in
    /// `server.go`; Core `-connect` likewise). Their connections are
    /// [`ConnectionType::Manual`](crate::protocol::ConnectionType::Manual), as Core's
    /// `ThreadOpenConnections` opens `-connect` peers with `ConnectionType::MANUAL`; under the
    /// Core profile that exempts them from several rules (see `docs/node.md`).
    pub connect: Vec<String>,
    /// Addresses (`host:port`) dialled once at start as automatic full-relay outbound
    /// connections ([`ConnectionType::OutboundFullRelay`](crate::protocol::ConnectionType::OutboundFullRelay)):
    /// Core's regtest `addconnection ADDR outbound-full-relay` RPC, btcd's `node connect ADDR
    /// temp`. Neither a failed dial nor the end of the connection is followed by another dial
    /// (Core's `CConnman::AddConnection` makes one attempt and keeps no record of the address;
    /// btcd removes a non-permanent request when its peer goes, `server.go`
    /// `handleDonePeerMsg`). Dialled whether or not [`Config::connect`] is set.
    pub automatic: Vec<String>,
    /// Candidate addresses (`host:port`) for automatic outbound connections, the node's address
    /// source in place of btcd's `addrmgr` and Core's `AddrMan`. Used only when
    /// [`Config::connect`] is empty; see `protocol::connection_manager` for how they are picked.
    pub addresses: Vec<String>,
    /// Automatic outbound connections the node keeps open or under way: btcd
    /// `defaultTargetOutbound` (8, `server.go`, also `connmgr/connmanager.go`); Core
    /// `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS` (8, `net.h`).
    pub target_outbound: usize,
    /// Default length of a manual ban ([`crate::Node::ban`]): btcd `--banduration`
    /// (`defaultBanDuration`, 24 h, `config.go`); Core `-bantime`
    /// (`DEFAULT_MISBEHAVING_BANTIME`, 24 h, `banman.h`).
    pub ban_duration: Duration,
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
    /// Checkpoints `(height, hash)` the btcd profile enforces (btcd `chaincfg.Params.Checkpoints`;
    /// none by default here). Bitcoin Core has none (#31649), so the Core profile ignores them.
    pub checkpoints: Vec<(u32, bitcoin::BlockHash)>,
    /// Hosts (the address without its port) whose peers have Core's NoBan permission
    /// (`-whitelist=noban@<addr>`): under the Core profile they are never disconnected or
    /// discouraged for misbehaviour, and a headers-sync timeout only resets their sync.
    pub noban: Vec<String>,
    /// Start from this trusted header instead of genesis (`None`: genesis). A store created
    /// with one start refuses to open with another.
    pub trusted_start: Option<crate::trusted_start::TrustedStart>,
    /// Core `-minimumchainwork` (`nMinimumChainWork`): under the Core profile a headers chain
    /// with less total work is not stored until a low-work headers sync has seen it reach the
    /// anti-DoS threshold, and an outbound peer whose chain stays below it during initial sync
    /// is disconnected. Zero by default, which is Core's regtest value; Core's mainnet, testnet
    /// and signet defaults (`kernel/chainparams.cpp`) lie far above the fixture chains this
    /// project syncs, so they are not applied unless configured. btcd has no such rule.
    pub minimum_chain_work: bitcoin::pow::Work,
    /// Test-only: the deliberate bug this node runs with (`None`: none), checked where the
    /// bug lives ([`crate::deliberate_bugs`]). The field exists only with the cargo feature
    /// `deliberate-bugs`; read it with [`Config::deliberate_bug()`], set it with
    /// [`Config::set_deliberate_bug`] in any build.
    #[cfg(feature = "deliberate-bugs")]
    pub deliberate_bug: Option<Bug>,
}

impl Config {
    /// Settings for `network` with the defaults of the btcd profile and no peers.
    pub fn new(network: bitcoin::Network, datadir: PathBuf) -> Config {
        Config {
            network,
            profile: Profile::Btcd,
            connect: Vec::new(),
            automatic: Vec::new(),
            addresses: Vec::new(),
            target_outbound: 8,
            ban_duration: Duration::from_secs(24 * 60 * 60),
            listen: Vec::new(),
            datadir,
            seed: 0,
            user_agent: format!("/headersim-node:{}/", env!("CARGO_PKG_VERSION")),
            services: 0,
            inbound_max: 117,
            outbound_queue_messages_max: 256,
            outbound_queue_bytes_max: 8_000_000,
            timing: Timing::default(),
            checkpoints: Vec::new(),
            noban: Vec::new(),
            trusted_start: None,
            minimum_chain_work: bitcoin::pow::Work::from_be_bytes([0; 32]),
            #[cfg(feature = "deliberate-bugs")]
            deliberate_bug: None,
        }
    }

    /// The deliberate bug this node runs with; always `None` without the `deliberate-bugs`
    /// feature.
    pub fn deliberate_bug(&self) -> Option<Bug> {
        #[cfg(feature = "deliberate-bugs")]
        {
            self.deliberate_bug
        }
        #[cfg(not(feature = "deliberate-bugs"))]
        None
    }

    /// Makes `bug` the deliberate bug this node runs with (`None`: none).
    ///
    /// # Errors
    /// [`NotCompiled`] when `bug` is `Some` in a build without the `deliberate-bugs` feature.
    pub fn set_deliberate_bug(&mut self, bug: Option<Bug>) -> Result<(), NotCompiled> {
        #[cfg(feature = "deliberate-bugs")]
        {
            self.deliberate_bug = bug;
            Ok(())
        }
        #[cfg(not(feature = "deliberate-bugs"))]
        match bug {
            Some(bug) => Err(NotCompiled(bug)),
            None => Ok(()),
        }
    }

    /// Whether `bug` is the deliberate bug this node runs with (never without the feature).
    #[inline]
    pub(crate) fn has_bug(&self, bug: Bug) -> bool {
        crate::deliberate_bugs::is(self.deliberate_bug(), bug)
    }

    /// The same settings under `profile`, with that profile's default timers.
    pub fn with_profile(mut self, profile: Profile) -> Config {
        self.profile = profile;
        self.timing = Timing::for_profile(profile);
        self
    }

    /// The SQLite file inside [`Config::datadir`].
    pub fn store_path(&self) -> PathBuf {
        self.datadir.join("headers.sqlite")
    }
}

/// Parses a chainwork written as big-endian hex, with or without `0x`, as Core's
/// `-minimumchainwork` takes it (`0x1f`, or the 64 digits `getblockheader` shows).
///
/// # Errors
/// A message naming the text if it is empty, longer than 64 digits or not hex.
pub fn parse_work_hex(text: &str) -> Result<bitcoin::pow::Work, String> {
    use bitcoin::hex::FromHex;
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.is_empty() || digits.len() > 64 {
        return Err(format!("`{text}` is not a hex number of 1 to 64 digits"));
    }
    let bytes = <[u8; 32]>::from_hex(&format!("{digits:0>64}"))
        .map_err(|e| format!("`{text}` is not hex: {e}"))?;
    Ok(bitcoin::pow::Work::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_hex_parses_short_and_full_forms_and_names_bad_text() {
        assert_eq!(
            parse_work_hex("0x1f").map(|w| w.to_be_bytes()[31]),
            Ok(0x1f)
        );
        let full = "00000000000000000000000000000000000000000000000000000000000001ff";
        assert_eq!(
            parse_work_hex(full).map(|w| w.to_be_bytes()[30..].to_vec()),
            Ok(vec![1, 0xff])
        );
        assert!(parse_work_hex("0xzz").unwrap_err().contains("`0xzz`"));
        assert!(parse_work_hex("").is_err());
        assert!(parse_work_hex(&"1".repeat(65)).is_err());
    }
}

//! The scenario file format: JSON, unknown fields rejected, keys named as the Rust fields with
//! their units. Loading errors name the file and the field path (`peers[1].behaviour`).
//!
//! ```json
//! {
//!   "description": "one honest peer serves mainnet 0..=1111",
//!   "seed": 1, "duration_s": 120,
//!   "node": { "network": "mainnet", "connect": ["peer1"] },
//!   "peers": [ { "name": "peer1", "chain": { "mainnet": {} } } ],
//!   "expect": { "tip_height": 1111 }
//! }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::behaviour::Behaviour;
use crate::error::SimError;
use crate::scenario::chain::ChainSpec;

pub(crate) fn default_epoch_s() -> u64 {
    // 2023-11-14T22:13:20Z: after every fixture's timestamps, so no header is "in the future".
    1_700_000_000
}
pub(crate) fn default_tick_ms() -> u64 {
    10
}
pub(crate) fn default_latency_ms_min() -> u64 {
    5
}
pub(crate) fn default_latency_ms_max() -> u64 {
    20
}
pub(crate) fn default_version() -> u32 {
    70016
}
pub(crate) fn default_services() -> u64 {
    // NODE_NETWORK | NODE_WITNESS
    0x9
}

/// One simulated run: the world, the node, the fake peers, the faults and what must happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows (empty when absent).
    #[serde(default)]
    pub description: String,
    /// Seed of turmoil's rng, the node's rng and the fake peers' rngs.
    pub seed: u64,
    /// Simulated wall-clock start, seconds since the Unix epoch.
    #[serde(default = "default_epoch_s")]
    pub epoch_s: u64,
    /// Simulated time to run.
    pub duration_s: u64,
    /// turmoil's step; timers inside a step still fire at their exact millisecond.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// Lower bound of the per-message network latency.
    #[serde(default = "default_latency_ms_min")]
    pub latency_ms_min: u64,
    /// Upper bound of the per-message network latency.
    #[serde(default = "default_latency_ms_max")]
    pub latency_ms_max: u64,
    /// The node under test.
    pub node: NodeSpec,
    /// Fake peers, each a turmoil host.
    #[serde(default)]
    pub peers: Vec<PeerSpec>,
    /// Timed faults.
    #[serde(default)]
    pub faults: Vec<FaultStep>,
    /// What must hold at the end (nothing when absent).
    #[serde(default)]
    pub expect: Expect,
}

/// Network names as scenario files spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkName {
    /// Bitcoin mainnet.
    Mainnet,
    /// testnet3.
    Testnet,
    /// Signet (the default signet challenge).
    Signet,
    /// Regtest.
    Regtest,
}

/// Profile names as scenario files spell them (`node::Profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileName {
    /// btcd v0.26 (B26), the default.
    #[default]
    Btcd,
    /// Bitcoin Core.
    Core,
}

impl ProfileName {
    /// The node's profile.
    pub fn profile(self) -> node::Profile {
        match self {
            ProfileName::Btcd => node::Profile::Btcd,
            ProfileName::Core => node::Profile::Core,
        }
    }
}

impl NetworkName {
    /// The rust-bitcoin network.
    pub fn network(self) -> bitcoin::Network {
        match self {
            NetworkName::Mainnet => bitcoin::Network::Bitcoin,
            NetworkName::Testnet => bitcoin::Network::Testnet,
            NetworkName::Signet => bitcoin::Network::Signet,
            NetworkName::Regtest => bitcoin::Network::Regtest,
        }
    }
}

/// The node under test (host `node`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Its chain.
    pub network: NetworkName,
    /// Which reference it imitates where btcd and Core disagree (default `btcd`).
    #[serde(default)]
    pub profile: ProfileName,
    /// Hosts it dials (port 8333), as permanent outbound peers. `node` itself makes a
    /// self-connection (requires `listen`).
    #[serde(default)]
    pub connect: Vec<String>,
    /// Candidate hosts (port 8333) for automatic outbound connections
    /// (`node::Config::addresses`; used only without `connect`). A name that is no host of the
    /// scenario does not resolve, so every dial to it fails at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Automatic outbound connections to keep (`node::Config::target_outbound`, default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_outbound: Option<usize>,
    /// Whether it accepts inbound peers on port 8333.
    #[serde(default)]
    pub listen: bool,
    /// Overrides of the node's timers (`node::Timing`; the profile's values by default), in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "TimingOverrides::is_empty")]
    pub timing: TimingOverrides,
    /// Start from a trusted header instead of genesis (`node::Config::trusted_start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_start: Option<TrustedStartSpec>,
    /// btcd checkpoints (`node::Config::checkpoints`; the Core profile has none), each the
    /// header a fake peer's chain holds at a height.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<CheckpointSpec>,
    /// Fake peers (host names) with Core's NoBan permission (`node::Config::noban`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noban: Vec<String>,
    /// Core `-minimumchainwork` (`node::Config::minimum_chain_work`) as hex (`0x` optional),
    /// or the work of this many regtest blocks written as `{"regtest_blocks": N}`. Zero when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_chain_work: Option<MinimumChainWork>,
}

/// A minimum chain work for the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MinimumChainWork {
    /// Big-endian hex, as Core's `-minimumchainwork` takes it (`0x1f`).
    Hex(String),
    /// The chainwork of a regtest chain of this many headers above genesis plus genesis itself
    /// (each regtest header is worth 2), so `{"regtest_blocks": 15}` is `0x20`.
    Blocks {
        /// Headers above genesis.
        regtest_blocks: u32,
    },
}

impl MinimumChainWork {
    /// The work it stands for.
    ///
    /// # Errors
    /// A message naming the bad hex.
    pub fn work(&self) -> Result<bitcoin::pow::Work, String> {
        match self {
            MinimumChainWork::Hex(text) => node::config::parse_work_hex(text),
            MinimumChainWork::Blocks { regtest_blocks } => {
                let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest)
                    .header
                    .work();
                let mut work = genesis;
                for _ in 0..*regtest_blocks {
                    work = work + genesis;
                }
                Ok(work)
            }
        }
    }
}

/// A checkpoint: the hash of `peer`'s chain at `height`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// The checkpoint's height.
    pub height: u32,
    /// The fake peer whose chain gives the checkpointed header.
    pub peer: String,
}

/// Optional replacements for the node's timers, each in milliseconds (one in microseconds) and
/// named after the `node::Timing` field it sets, whose doc comment gives the btcd and Core
/// sources of its defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingOverrides {
    /// `Timing::handshake_timeout` (btcd 30 s, Core 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_timeout_ms: Option<u64>,
    /// `Timing::ping_interval` (btcd 2 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval_ms: Option<u64>,
    /// `Timing::idle_timeout` (btcd 5 min, Core 20 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// `Timing::ping_timeout` (Core 20 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_timeout_ms: Option<u64>,
    /// `Timing::stall_tick_interval` (btcd 15 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_tick_interval_ms: Option<u64>,
    /// `Timing::stall_response_timeout` (btcd 30 s; `getheaders` waits three times this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_response_timeout_ms: Option<u64>,
    /// `Timing::sync_stall_sample_interval` (btcd 30 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_stall_sample_interval_ms: Option<u64>,
    /// `Timing::sync_stall_max` (btcd 3 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_stall_max_ms: Option<u64>,
    /// `Timing::headers_response_time` (Core 2 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_response_time_ms: Option<u64>,
    /// `Timing::headers_download_timeout_base` (Core 15 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_download_timeout_base_ms: Option<u64>,
    /// `Timing::headers_download_timeout_per_header`, in microseconds (Core 1000 µs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_download_timeout_per_header_us: Option<u64>,
    /// `Timing::max_tip_age` (Core 24 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tip_age_ms: Option<u64>,
    /// `Timing::retry_interval` (btcd 5 s, Core 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval_ms: Option<u64>,
    /// `Timing::retry_max` (btcd 5 min, Core 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_max_ms: Option<u64>,
    /// `Timing::dial_timeout` (btcd 30 s, Core 5 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_timeout_ms: Option<u64>,
    /// `Timing::chain_sync_timeout` (Core 20 min).
    #[serde(default)]
    pub chain_sync_timeout_ms: Option<u64>,
}

impl TimingOverrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == TimingOverrides::default()
    }

    /// Writes every given value into `timing`.
    pub fn apply(&self, timing: &mut node::config::Timing) {
        let set = |slot: &mut std::time::Duration, ms: Option<u64>| {
            if let Some(ms) = ms {
                *slot = std::time::Duration::from_millis(ms);
            }
        };
        set(&mut timing.handshake_timeout, self.handshake_timeout_ms);
        set(&mut timing.ping_interval, self.ping_interval_ms);
        set(&mut timing.idle_timeout, self.idle_timeout_ms);
        set(&mut timing.ping_timeout, self.ping_timeout_ms);
        set(
            &mut timing.headers_response_time,
            self.headers_response_time_ms,
        );
        set(
            &mut timing.headers_download_timeout_base,
            self.headers_download_timeout_base_ms,
        );
        set(&mut timing.max_tip_age, self.max_tip_age_ms);
        if let Some(us) = self.headers_download_timeout_per_header_us {
            timing.headers_download_timeout_per_header = std::time::Duration::from_micros(us);
        }
        set(&mut timing.stall_tick_interval, self.stall_tick_interval_ms);
        set(
            &mut timing.stall_response_timeout,
            self.stall_response_timeout_ms,
        );
        set(
            &mut timing.sync_stall_sample_interval,
            self.sync_stall_sample_interval_ms,
        );
        set(&mut timing.sync_stall_max, self.sync_stall_max_ms);
        set(&mut timing.retry_interval, self.retry_interval_ms);
        set(&mut timing.retry_max, self.retry_max_ms);
        set(&mut timing.dial_timeout, self.dial_timeout_ms);
        set(&mut timing.chain_sync_timeout, self.chain_sync_timeout_ms);
    }
}

/// A fake peer (a turmoil host named `name`) imitating btcd or Bitcoin Core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSpec {
    /// Host name; must not be `node`.
    pub name: String,
    /// The chain it serves. Required, except for a `replay` peer, whose answers are all
    /// recorded (it then holds the node network's genesis alone).
    #[serde(default)]
    pub chain: Option<ChainSpec>,
    /// How it behaves.
    #[serde(default)]
    pub behaviour: Behaviour,
    /// Which implementation it imitates where btcd and Core differ (default `btcd`): its
    /// handshake messages, ping cadence, user agent and `getheaders` serving.
    #[serde(default)]
    pub profile: ProfileName,
    /// Protocol version in its `version`.
    #[serde(default = "default_version")]
    pub version: u32,
    /// Service bits in its `version`.
    #[serde(default = "default_services")]
    pub services: u64,
    /// Advertised height (default: its chain's tip).
    #[serde(default)]
    pub start_height: Option<i32>,
    /// It dials the node (node port 8333) instead of waiting to be dialled.
    #[serde(default)]
    pub dials_node: bool,
    /// Delay before it sends its `version`.
    #[serde(default)]
    pub version_delay_ms: u64,
    /// Delay before each `headers` reply.
    #[serde(default)]
    pub headers_delay_ms: u64,
    /// A growing chain: the peer starts holding its chain up to `start_height` (required) and
    /// one more header becomes visible every `block_interval_ms` of simulated time, announced
    /// with an `inv` on each connection, as a miner's blocks would be (e.g. 600000 for a block
    /// every 10 minutes). Only for `honest` and `wrong_pong_nonce` peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_interval_ms: Option<u64>,
}

/// Where a scenario's trusted starting header comes from.
///
/// ```json
/// "trusted_start": {"boundaries": {"path": "../shared/data/headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin",
///                                  "sha256": "738d…", "height": 822527}}
/// "trusted_start": {"given": {"height": 822527, "header": "<160 hex>", "period_first_time": 1702180644,
///                             "period_first_bits": "0x17042e95", "chainwork": "<64 hex>"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TrustedStartSpec {
    /// Derived from a retarget-boundaries file (records of a `u32` little-endian height and an
    /// 80-byte header, the first and last header of every 2016-block period), chainwork
    /// computed from the periods' bits
    /// (`node::trusted_start::TrustedStart::from_retarget_boundaries`; mainnet and signet).
    Boundaries {
        /// The file; a relative path is taken from the working directory.
        path: String,
        /// Its SHA-256 in hex, as `../shared/data/SHA256SUMS` lists it.
        sha256: String,
        /// Height of the trusted header (a record of the file: the first or last of a period).
        height: u32,
    },
    /// Given field by field, in the node's `--trusted-start` JSON form.
    Given(node::trusted_start::TrustedStartJson),
}

impl TrustedStartSpec {
    /// Builds the trusted start for `network`.
    ///
    /// # Errors
    /// [`SimError::Fixture`] naming the file or the field: a missing file or another SHA-256,
    /// malformed records, a height not in the file, or bad hex in a given start.
    pub fn build(
        &self,
        network: bitcoin::Network,
    ) -> Result<node::trusted_start::TrustedStart, SimError> {
        use node::trusted_start::{parse_retarget_boundaries, TrustedStart};
        let fixture = |e: node::trusted_start::TrustedStartError| {
            SimError::Fixture(format!("node.trusted_start: {e}"))
        };
        match self {
            TrustedStartSpec::Boundaries {
                path,
                sha256,
                height,
            } => {
                let bytes = crate::scenario::chain::read_checked(path, sha256)?;
                let records = parse_retarget_boundaries(&bytes)
                    .map_err(|e| SimError::Fixture(format!("node.trusted_start: {path}: {e}")))?;
                TrustedStart::from_retarget_boundaries(network, &records, *height).map_err(fixture)
            }
            TrustedStartSpec::Given(json) => json.to_trusted_start().map_err(fixture),
        }
    }
}

/// A fault at a simulated time.
///
/// ```json
/// {"at_ms": 30000, "for_ms": 60000, "fault": {"partition": {"a": "node", "b": "p1"}}}
/// {"at_ms": 0, "fault": {"message": {"peer": "p1", "command": "headers", "nth": 2, "action": "corrupt_checksum"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// When, in simulated milliseconds from the start: when a link or host fault is applied,
    /// or from when a message or clock fault counts messages.
    pub at_ms: u64,
    /// For a fault with an undo (partition, one-way partition, hold, crash, latency, loss,
    /// version time skew): undo it this many milliseconds later (repair, release, restart,
    /// restore). Absent: it lasts until a later step undoes it, or to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
    /// What.
    pub fault: Fault,
}

/// Timed faults: turmoil's link and host faults, an operator's ban, faults a fake peer applies
/// to its own Bitcoin messages, and fake-peer clock skew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Drop everything between two hosts, both ways (turmoil `partition`; bytes in flight are
    /// lost, so a TCP connection across it stalls for good).
    Partition(Link),
    /// Undo a partition, both ways (turmoil `repair`).
    Repair(Link),
    /// Drop everything sent from `from` to `to` (turmoil `partition_oneway`).
    PartitionOneway(OneWay),
    /// Undo a one-way partition (turmoil `repair_oneway`).
    RepairOneway(OneWay),
    /// Hold messages between two hosts (delivered on release).
    Hold(Link),
    /// Deliver held messages.
    Release(Link),
    /// Kill a host's software (its files survive).
    Crash(String),
    /// Start a crashed host's software again.
    Restart(String),
    /// Ban a host on the running node, as an operator would (`node::Node::ban`; Core
    /// `setban`).
    Ban(BanFault),
    /// Give the link between two hosts this fixed latency (turmoil `set_link_latency`); the
    /// undo restores the scenario's `latency_ms_min..latency_ms_max`.
    Latency(LinkLatency),
    /// Lose messages on the link between two hosts at this rate (turmoil
    /// `set_link_fail_rate`; a lost TCP segment stalls that connection for good); the undo sets
    /// the rate back to 0.
    Loss(LinkLoss),
    /// A fake peer alters the `nth` message of `command` it sends from `at_ms` on.
    Message(MessageFault),
    /// A fake peer's clock runs `offset_s` off from `at_ms` on: the timestamp of every
    /// `version` it sends is skewed.
    VersionTimeSkew(VersionTimeSkew),
    /// A fake peer's headers from `from_height` up carry times `offset_s` off (each then
    /// ground again and linked to the one before, so only the time is wrong; regtest only);
    /// served from `at_ms` on.
    HeaderTimeSkew(HeaderTimeSkew),
}

impl Fault {
    /// Whether a `for_ms` may undo this fault.
    pub fn has_undo(&self) -> bool {
        matches!(
            self,
            Fault::Partition(_)
                | Fault::PartitionOneway(_)
                | Fault::Hold(_)
                | Fault::Crash(_)
                | Fault::Latency(_)
                | Fault::Loss(_)
                | Fault::VersionTimeSkew(_)
        )
    }

    /// Whether `later` undoes this fault: a `repair` of its partition, a `release` of its
    /// hold, a `repair_oneway` of its one-way partition, a `restart` after its crash.
    pub fn is_undone_by(&self, later: &Fault) -> bool {
        let same = |a: &Link, b: &Link| (a.a == b.a && a.b == b.b) || (a.a == b.b && a.b == b.a);
        match (self, later) {
            (Fault::Partition(a), Fault::Repair(b)) | (Fault::Hold(a), Fault::Release(b)) => {
                same(a, b)
            }
            (Fault::PartitionOneway(a), Fault::RepairOneway(b)) => a == b,
            (Fault::Crash(a), Fault::Restart(b)) => a == b,
            _ => false,
        }
    }

    /// The hosts the fault names, in order.
    pub fn hosts(&self) -> Vec<&String> {
        match self {
            Fault::Partition(l) | Fault::Repair(l) | Fault::Hold(l) | Fault::Release(l) => {
                vec![&l.a, &l.b]
            }
            Fault::PartitionOneway(o) | Fault::RepairOneway(o) => vec![&o.from, &o.to],
            Fault::Latency(l) => vec![&l.a, &l.b],
            Fault::Loss(l) => vec![&l.a, &l.b],
            Fault::Crash(h) | Fault::Restart(h) => vec![h],
            Fault::Ban(ban) => vec![&ban.host],
            Fault::Message(m) => vec![&m.peer],
            Fault::VersionTimeSkew(v) => vec![&v.peer],
            Fault::HeaderTimeSkew(h) => vec![&h.peer],
        }
    }

    /// A short label: `partition node p1`, `message p1 headers #2 drop`.
    pub fn label(&self) -> String {
        match self {
            Fault::Partition(l) => format!("partition {} {}", l.a, l.b),
            Fault::Repair(l) => format!("repair {} {}", l.a, l.b),
            Fault::PartitionOneway(o) => format!("partition_oneway {} -> {}", o.from, o.to),
            Fault::RepairOneway(o) => format!("repair_oneway {} -> {}", o.from, o.to),
            Fault::Hold(l) => format!("hold {} {}", l.a, l.b),
            Fault::Release(l) => format!("release {} {}", l.a, l.b),
            Fault::Crash(h) => format!("crash {h}"),
            Fault::Restart(h) => format!("restart {h}"),
            Fault::Ban(ban) => format!("ban {} duration_s={}", ban.host, ban.duration_s),
            Fault::Latency(l) => format!("latency {} {} latency_ms={}", l.a, l.b, l.latency_ms),
            Fault::Loss(l) => format!("loss {} {} per_mille={}", l.a, l.b, l.per_mille),
            Fault::Message(m) => format!(
                "message {} {} #{} {}",
                m.peer,
                m.command,
                m.nth,
                m.action.label()
            ),
            Fault::VersionTimeSkew(v) => {
                format!("version_time_skew {} offset_s={}", v.peer, v.offset_s)
            }
            Fault::HeaderTimeSkew(h) => {
                format!(
                    "header_time_skew {} offset_s={} from_height={}",
                    h.peer, h.offset_s, h.from_height
                )
            }
        }
    }
}

/// A manual ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanFault {
    /// The host (a fake peer's name).
    pub host: String,
    /// How long, in seconds (Core's `setban` default and btcd's `--banduration`: 86400).
    pub duration_s: u64,
}

/// Two hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
}

/// One direction between two hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneWay {
    /// The sender whose messages are dropped.
    pub from: String,
    /// The receiver.
    pub to: String,
}

/// A fixed latency on one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLatency {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Every message's latency on it, both ways.
    pub latency_ms: u64,
}

/// A loss rate on one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLoss {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Messages lost per thousand (1..=1000).
    pub per_mille: u32,
}

/// A fault a fake peer applies to one of its own messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageFault {
    /// The fake peer that sends the message.
    pub peer: String,
    /// The message's command (`headers`, `version`, `pong`, ...).
    pub command: String,
    /// Which one (1 is the first it sends from the step's `at_ms` on, over all its
    /// connections).
    pub nth: u32,
    /// What happens to it.
    pub action: MessageAction,
}

/// What a [`MessageFault`] does to its message. Partial writes are whole-frame prefixes: the
/// node's decoder then sees the next message's bytes where the rest was due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageAction {
    /// Not sent at all.
    Drop,
    /// Sent this many milliseconds late (what follows it waits too, as on one TCP stream).
    DelayMs(u64),
    /// Sent twice.
    Duplicate,
    /// Only its first `bytes` bytes are sent (at least 1, less than the frame).
    Truncate {
        /// Bytes written.
        bytes: u32,
    },
    /// Its 4-byte checksum is inverted.
    CorruptChecksum,
    /// Written in writes of `chunk_bytes` bytes, `gap_ms` apart.
    Split {
        /// Bytes per write (at least 1).
        chunk_bytes: u32,
        /// Pause between writes.
        gap_ms: u64,
    },
    /// Half of it is written, then the peer closes its side (FIN) and ends the connection
    /// once the node has closed too.
    CloseFin,
    /// Half of it is written, then the peer waits for the node's next bytes and drops the
    /// connection with them unread, which resets it (RST, in turmoil as in Linux). If the node
    /// closes first, the close is a FIN.
    CloseReset,
}

impl MessageAction {
    /// A short label (`drop`, `delay_ms=500`, `truncate bytes=30`).
    pub fn label(&self) -> String {
        match self {
            MessageAction::Drop => "drop".into(),
            MessageAction::DelayMs(ms) => format!("delay_ms={ms}"),
            MessageAction::Duplicate => "duplicate".into(),
            MessageAction::Truncate { bytes } => format!("truncate bytes={bytes}"),
            MessageAction::CorruptChecksum => "corrupt_checksum".into(),
            MessageAction::Split {
                chunk_bytes,
                gap_ms,
            } => format!("split chunk_bytes={chunk_bytes} gap_ms={gap_ms}"),
            MessageAction::CloseFin => "close_fin".into(),
            MessageAction::CloseReset => "close_reset".into(),
        }
    }
}

/// A fake peer's skewed `version` clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionTimeSkew {
    /// The fake peer.
    pub peer: String,
    /// Seconds added to its clock (negative: behind).
    pub offset_s: i64,
}

/// A fake peer's skewed header times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderTimeSkew {
    /// The fake peer.
    pub peer: String,
    /// Seconds added to each header's time (negative: earlier).
    pub offset_s: i64,
    /// First height whose time is skewed (at least 1).
    pub from_height: u32,
}

/// A time window `[min_ms, max_ms)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Inclusive lower bound.
    pub min_ms: u64,
    /// Exclusive upper bound.
    pub max_ms: u64,
}

/// A window measured from the last time, before the disconnect, that the node sent `command`
/// on the disconnected connection (the request the peer failed to answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterSend {
    /// The command (`getheaders`).
    pub command: String,
    /// Inclusive lower bound after that send.
    pub min_ms: u64,
    /// Exclusive upper bound after that send.
    pub max_ms: u64,
}

/// What must hold at the end of the run. Every field is optional; each given one is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Best header height.
    #[serde(default)]
    pub tip_height: Option<u32>,
    /// Best header hash.
    #[serde(default)]
    pub tip_hash: Option<String>,
    /// Rows in the SQLite store after the run (it must also load and link).
    #[serde(default)]
    pub stored_rows: Option<u64>,
    /// Exact totals of messages the node sent, by command.
    #[serde(default)]
    pub sent: BTreeMap<String, u64>,
    /// Every restart's first `getheaders` starts at the tip it loaded from the store (btcd) or
    /// one header below it (Core's initial-sync locator), never lower.
    #[serde(default)]
    pub resumes_from_stored_tip: Option<bool>,
    /// Per fake-peer host.
    #[serde(default)]
    pub peers: BTreeMap<String, PeerExpect>,
    /// Each of these texts appears in some trace line (for example a log line such as
    /// `Ignoring low-work chain (height=14)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_contains: Vec<String>,
    /// None of these texts appears in any trace line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_lacks: Vec<String>,
    /// Automatic outbound dials (`node.addresses`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dials: Option<DialsExpect>,
}

/// Expectations about the node's automatic outbound dials, over all node runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DialsExpect {
    /// The delay before the request that replaces each failed automatic dial, in order, as
    /// runs `[delay_ms, count]`: `[[0, 24], [5000, 8]]` is 24 immediate replacements, then 8
    /// after 5 s. The recorded delays must start with exactly these.
    #[serde(default)]
    pub retry_runs_ms: Vec<[u64; 2]>,
    /// Counts of automatic dials in time windows.
    #[serde(default)]
    pub windows: Vec<DialWindow>,
}

/// A count of automatic dials started in `[start + min_ms, start + max_ms)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialWindow {
    /// The window is measured from the time of this automatic dial failure (1 is the first)
    /// and counts only dials started after it; absent: from the start of the simulation.
    #[serde(default)]
    pub after_failure: Option<u64>,
    /// Inclusive lower bound after the start.
    pub min_ms: u64,
    /// Exclusive upper bound after the start.
    pub max_ms: u64,
    /// At least this many dials.
    #[serde(default)]
    pub dials_min: Option<u64>,
    /// At most this many dials.
    #[serde(default)]
    pub dials_max: Option<u64>,
}

/// Expectations about the node's connections with one host during one node run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RunExpect {
    /// At least this many connections.
    #[serde(default)]
    pub connections_min: Option<u64>,
    /// Exactly this many of them finished their handshake.
    #[serde(default)]
    pub handshakes: Option<u64>,
    /// The node ended every one of them, each with a reason containing this text.
    #[serde(default)]
    pub all_disconnected: Option<String>,
    /// The node ended none of them.
    #[serde(default)]
    pub never_disconnected: Option<bool>,
}

/// Expectations about the node's connections to one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeerExpect {
    /// Whether the first connection finished its handshake.
    #[serde(default)]
    pub handshake: Option<bool>,
    /// The first disconnect by the node has a reason containing this text.
    #[serde(default)]
    pub disconnect_reason: Option<String>,
    /// The first disconnect by the node falls in this window of absolute simulated time.
    #[serde(default)]
    pub disconnected_at: Option<Window>,
    /// The first disconnect by the node falls in this window after the last send of a command
    /// on that connection.
    #[serde(default)]
    pub disconnected_after: Option<AfterSend>,
    /// Whether the node never disconnected this host.
    #[serde(default)]
    pub never_disconnected: Option<bool>,
    /// Exact counts of messages the node sent to this host over all connections, by command.
    #[serde(default)]
    pub sent: BTreeMap<String, u64>,
    /// Exact counts of messages the node received from this host over all connections.
    #[serde(default)]
    pub received: BTreeMap<String, u64>,
    /// Headers from this host that the node added to its index, over all connections.
    #[serde(default)]
    pub headers_accepted: Option<u64>,
    /// Every `ping` this host's fake peer sent (its script's and its honest ones) was answered:
    /// the node sent this host a `pong` with the same nonce at most this many milliseconds of
    /// simulated time after the peer wrote the ping (the pong's trip back is not counted). Fails
    /// if the peer sent no ping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pong_latency_ms_max: Option<u64>,
    /// Whether the first connection was ended by the peer (not by the node).
    #[serde(default)]
    pub closed_by_peer: Option<bool>,
    /// The redial backoffs of this outbound host start with these values, in milliseconds.
    #[serde(default)]
    pub reconnect_backoffs_ms: Option<Vec<u64>>,
    /// The commands the node sent on its first connection to this host, exactly and in order
    /// (what `sim record` writes from a live session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_sequence: Option<Vec<String>>,
    /// Per node run (`1` is the first start, `2` the first restart), its connections with
    /// this host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runs: BTreeMap<u32, RunExpect>,
}

impl Scenario {
    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// [`SimError::Read`] if unreadable; [`SimError::Scenario`] naming the file, the field path
    /// and the problem if not valid.
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Read {
            path: display.clone(),
            source,
        })?;
        Scenario::parse(&display, &text)
    }

    /// Parses and validates scenario JSON; `path` only names it in errors.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field path and the problem.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, SimError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario =
            serde_path_to_error::deserialize(deserializer).map_err(|e| SimError::Scenario {
                path: path.to_string(),
                field: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        scenario.validate(path)?;
        Ok(scenario)
    }

    /// Runs the checks [`Scenario::load`] and [`Scenario::parse`] run after reading the JSON
    /// (hosts known, times inside the run, values in range); `path` only names the scenario in
    /// errors. The builder ([`crate::scenario::builder`]) validates through it too.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field path and the problem.
    pub fn validate(&self, path: &str) -> Result<(), SimError> {
        self.problem()
            .map_err(|(field, message)| SimError::Scenario {
                path: path.to_string(),
                field,
                message,
            })
    }

    /// The first problem found, as (field path, message).
    fn problem(&self) -> Result<(), (String, String)> {
        let err = |field: &str, message: String| Err((field.to_string(), message));
        if self.duration_s == 0 {
            return err("duration_s", "must be at least 1".into());
        }
        if self.tick_ms == 0 {
            return err("tick_ms", "must be at least 1".into());
        }
        if self.latency_ms_min > self.latency_ms_max {
            return err(
                "latency_ms_min",
                format!(
                    "{} is above latency_ms_max {}",
                    self.latency_ms_min, self.latency_ms_max
                ),
            );
        }
        if let Ok(serde_json::Value::Object(timers)) = serde_json::to_value(&self.node.timing) {
            if let Some((name, _)) = timers.iter().find(|(_, ms)| ms.as_u64() == Some(0)) {
                return err(&format!("node.timing.{name}"), "must be at least 1".into());
            }
        }
        let mut hosts = vec!["node".to_string()];
        for (i, peer) in self.peers.iter().enumerate() {
            if hosts.contains(&peer.name) {
                return err(
                    &format!("peers[{i}].name"),
                    format!("`{}` is used twice (or is `node`)", peer.name),
                );
            }
            if peer
                .chain
                .as_ref()
                .is_some_and(|c| c.network() != self.node.network.network())
            {
                return err(
                    &format!("peers[{i}].chain"),
                    "its network differs from node.network".into(),
                );
            }
            if peer.chain.is_none() && !matches!(peer.behaviour, Behaviour::Replay(_)) {
                return err(
                    &format!("peers[{i}].chain"),
                    "missing (only a `replay` peer may leave it out)".into(),
                );
            }
            if let Behaviour::Script(steps) = &peer.behaviour {
                let mut specs = Vec::new();
                script_sends(steps, &format!("peers[{i}].behaviour.script"), &mut specs);
                for (spec, at) in specs {
                    use super::behaviour::SendSpec;
                    if let SendSpec::Crafted { bits, .. } = spec {
                        let field = format!("{at}.crafted");
                        if self.node.network != NetworkName::Regtest {
                            return err(&field, "crafted headers are ground again, which only regtest's proof of work allows".into());
                        }
                        if bits.is_some_and(|b| (b >> 24) < 0x1f) {
                            return err(&field, format!("bits {:#010x} are too hard to grind here (exponent below 0x1f)", bits.unwrap_or(0)));
                        }
                    }
                    if let SendSpec::Raw {
                        command,
                        payload_hex,
                    } = spec
                    {
                        let field = format!("{at}.raw");
                        if !is_command(command) {
                            return err(
                                &field,
                                format!(
                                    "command `{command}` is not 1..=12 printable ASCII characters"
                                ),
                            );
                        }
                        if super::behaviour::hex_bytes(payload_hex).is_none() {
                            return err(&field, format!("payload_hex `{payload_hex}` is not hex"));
                        }
                    }
                    if let SendSpec::Junk {
                        command,
                        payload_bytes,
                    } = spec
                    {
                        let field = format!("{at}.junk");
                        if !is_command(command) {
                            return err(
                                &field,
                                format!(
                                    "command `{command}` is not 1..=12 printable ASCII characters"
                                ),
                            );
                        }
                        if *payload_bytes > super::behaviour::JUNK_PAYLOAD_BYTES_MAX {
                            let max = super::behaviour::JUNK_PAYLOAD_BYTES_MAX;
                            return err(
                                &field,
                                format!("payload_bytes {payload_bytes} is over {max}"),
                            );
                        }
                    }
                }
            }
            if let Some(interval_ms) = peer.block_interval_ms {
                let field = format!("peers[{i}].block_interval_ms");
                if interval_ms == 0 {
                    return err(&field, "must be at least 1".into());
                }
                if peer.start_height.is_none() {
                    return err(
                        &field,
                        "a growing chain needs start_height (the height it holds at the start)"
                            .into(),
                    );
                }
                if !matches!(
                    peer.behaviour,
                    Behaviour::Honest | Behaviour::WrongPongNonce
                ) {
                    return err(
                        &field,
                        "only an `honest` or `wrong_pong_nonce` peer grows its chain".into(),
                    );
                }
            }
            if let Behaviour::Replay(script) = &peer.behaviour {
                if let Err(message) = script.validate() {
                    let (path, message) =
                        message.split_once(": ").unwrap_or(("", message.as_str()));
                    return err(
                        &format!("peers[{i}].behaviour.replay.{path}"),
                        message.to_string(),
                    );
                }
            }
            hosts.push(peer.name.clone());
        }
        for (i, host) in self.node.connect.iter().enumerate() {
            if !hosts.contains(host) {
                return err(
                    &format!("node.connect[{i}]"),
                    format!("unknown host `{host}`"),
                );
            }
            if host == "node" && !self.node.listen {
                return err(
                    &format!("node.connect[{i}]"),
                    "a self-connection needs node.listen".into(),
                );
            }
        }
        for (i, step) in self.faults.iter().enumerate() {
            for host in step.fault.hosts() {
                if !hosts.contains(host) {
                    return err(
                        &format!("faults[{i}].fault"),
                        format!("unknown host `{host}`"),
                    );
                }
            }
            if step.at_ms > self.duration_s * 1000 {
                return err(
                    &format!("faults[{i}].at_ms"),
                    "after the end of the scenario".into(),
                );
            }
            if let Some(for_ms) = step.for_ms {
                if !step.fault.has_undo() {
                    return err(
                        &format!("faults[{i}].for_ms"),
                        format!("`{}` has no undo", step.fault.label()),
                    );
                }
                if for_ms == 0 {
                    return err(&format!("faults[{i}].for_ms"), "must be at least 1".into());
                }
            }
            let field = format!("faults[{i}].fault");
            match &step.fault {
                Fault::Message(m) => {
                    if m.peer == "node" {
                        return err(
                            &format!("{field}.message.peer"),
                            "must be a fake peer, not `node`".into(),
                        );
                    }
                    if !is_command(&m.command) {
                        return err(
                            &format!("{field}.message.command"),
                            format!("`{}` is not 1..=12 printable ASCII characters", m.command),
                        );
                    }
                    if m.nth == 0 {
                        return err(&format!("{field}.message.nth"), "must be at least 1".into());
                    }
                    match m.action {
                        MessageAction::Truncate { bytes: 0 } => {
                            return err(
                                &format!("{field}.message.action.truncate.bytes"),
                                "must be at least 1".into(),
                            )
                        }
                        MessageAction::Split { chunk_bytes: 0, .. } => {
                            return err(
                                &format!("{field}.message.action.split.chunk_bytes"),
                                "must be at least 1".into(),
                            )
                        }
                        _ => {}
                    }
                }
                Fault::Loss(l) if l.per_mille == 0 || l.per_mille > 1000 => {
                    return err(
                        &format!("{field}.loss.per_mille"),
                        format!("{} is not in 1..=1000", l.per_mille),
                    );
                }
                Fault::VersionTimeSkew(v) if v.peer == "node" => {
                    return err(
                        &format!("{field}.version_time_skew.peer"),
                        "must be a fake peer, not `node`".into(),
                    );
                }
                Fault::HeaderTimeSkew(h) => {
                    if h.peer == "node" {
                        return err(
                            &format!("{field}.header_time_skew.peer"),
                            "must be a fake peer, not `node`".into(),
                        );
                    }
                    if self.node.network != NetworkName::Regtest {
                        return err(&format!("{field}.header_time_skew"), "skewed headers are ground again, which only regtest's proof of work allows".into());
                    }
                    if h.from_height == 0 {
                        return err(
                            &format!("{field}.header_time_skew.from_height"),
                            "must be at least 1".into(),
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some(work) = &self.node.minimum_chain_work {
            if let Err(problem) = work.work() {
                return err("node.minimum_chain_work", problem);
            }
        }
        for (i, host) in self.node.noban.iter().enumerate() {
            if !self.peers.iter().any(|p| &p.name == host) {
                return err(
                    &format!("node.noban[{i}]"),
                    format!("unknown host `{host}`"),
                );
            }
        }
        for (i, checkpoint) in self.node.checkpoints.iter().enumerate() {
            if !self
                .peers
                .iter()
                .any(|p| p.name == checkpoint.peer && p.chain.is_some())
            {
                return err(
                    &format!("node.checkpoints[{i}].peer"),
                    format!("`{}` is not a peer with a chain", checkpoint.peer),
                );
            }
        }
        for host in self.expect.peers.keys() {
            if !hosts.contains(host) {
                return err(&format!("expect.peers.{host}"), "unknown host".into());
            }
        }
        Ok(())
    }
}

/// Whether `command` can name a frame: 1 to 12 printable ASCII characters.
fn is_command(command: &str) -> bool {
    !command.is_empty() && command.len() <= 12 && command.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Every message a script sends, with its field path, inside `repeat`s too.
fn script_sends<'a>(
    steps: &'a [super::behaviour::Step],
    at: &str,
    out: &mut Vec<(&'a super::behaviour::SendSpec, String)>,
) {
    use super::behaviour::Step;
    for (j, step) in steps.iter().enumerate() {
        match step {
            Step::Send(spec) => out.push((spec, format!("{at}[{j}].send"))),
            Step::SendSplit { send, .. } => out.push((send, format!("{at}[{j}].send_split.send"))),
            Step::Repeat { steps, .. } => {
                script_sends(steps, &format!("{at}[{j}].repeat.steps"), out)
            }
            _ => {}
        }
    }
}

/// The scenario files directly in `dir` (its `.json` files, not those of subfolders), sorted
/// by path: what `sim suite` and `sim bench` run.
///
/// # Errors
/// The folder cannot be read.
pub fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"description":"d","seed":1,"duration_s":10,
        "node":{"network":"regtest","connect":["p"]},
        "peers":[{"name":"p","chain":{"regtest":{"height":5,"seed":1}}}],
        "expect":{}}"#;

    #[test]
    fn a_minimal_scenario_loads_with_defaults() {
        let s = Scenario::parse("x.json", MINIMAL).unwrap();
        assert_eq!(s.tick_ms, 10);
        assert_eq!(s.peers[0].behaviour, Behaviour::Honest);
        assert_eq!(s.peers[0].services, 9);
    }

    #[test]
    fn a_scenario_without_description_or_expect_loads_with_empty_ones() {
        let text = r#"{"seed":1,"duration_s":10,
            "node":{"network":"regtest","connect":["p"]},
            "peers":[{"name":"p","chain":{"regtest":{"height":5,"seed":1}}}]}"#;
        let s = Scenario::parse("x.json", text).unwrap();
        assert_eq!(s.description, "");
        assert_eq!(s.expect, Expect::default());
        let mut with_both = Scenario::parse("x.json", MINIMAL).unwrap();
        with_both.description.clear();
        assert_eq!(s, with_both);
    }

    #[test]
    fn ban_faults_automatic_addresses_and_per_run_expectations_parse_and_a_ban_needs_a_known_host()
    {
        let text = MINIMAL
            .replace("\"connect\":[\"p\"]", "\"addresses\":[\"p\",\"nowhere\"],\"target_outbound\":3")
            .replace(
                "\"expect\":{}",
                r#""faults":[{"at_ms":5,"fault":{"ban":{"host":"p","duration_s":60}}}],
                   "expect":{"dials":{"retry_runs_ms":[[0,24]],"windows":[{"after_failure":25,"min_ms":0,"max_ms":10,"dials_max":3}]},
                             "peers":{"p":{"runs":{"2":{"handshakes":1,"never_disconnected":true}}}}}"#,
            );
        let s = Scenario::parse("x.json", &text).unwrap();
        assert_eq!(
            s.node.addresses,
            ["p", "nowhere"],
            "an address need not be a host: its dials fail"
        );
        assert_eq!(
            s.faults[0].fault,
            Fault::Ban(BanFault {
                host: "p".into(),
                duration_s: 60
            })
        );
        assert_eq!(s.expect.peers["p"].runs[&2].handshakes, Some(1));
        let e = Scenario::parse("x.json", &text.replace("\"host\":\"p\"", "\"host\":\"q\""))
            .unwrap_err();
        assert_eq!(e.to_string(), "x.json: faults[0].fault: unknown host `q`");
    }

    #[test]
    fn a_zero_timer_override_is_rejected_with_its_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("zero.json");
        let text = r#"{"description": "x", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "timing": {"ping_interval_ms": 0}}, "expect": {}}"#;
        std::fs::write(&path, text).expect("write");
        let error = Scenario::load(&path).expect_err("a zero timer").to_string();
        assert!(
            error.contains("node.timing.ping_interval_ms") && error.contains("at least 1"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_field_is_reported_with_file_and_path() {
        let text = MINIMAL.replace("\"seed\":1}}", "\"seed\":1,\"colour\":2}}");
        let e = Scenario::parse("x.json", &text).unwrap_err().to_string();
        assert!(e.starts_with("x.json: peers[0].chain.regtest"), "{e}");
        assert!(e.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn a_wrong_type_and_an_unknown_host_are_reported_with_their_fields() {
        let e = Scenario::parse(
            "x.json",
            &MINIMAL.replace("\"duration_s\":10", "\"duration_s\":\"ten\""),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.json: duration_s: invalid type"),
            "{e}"
        );
        let e = Scenario::parse(
            "x.json",
            &MINIMAL.replace("\"connect\":[\"p\"]", "\"connect\":[\"q\"]"),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "x.json: node.connect[0]: unknown host `q`");
    }

    #[test]
    fn crafted_headers_are_refused_off_regtest_and_raw_payloads_must_be_hex() {
        let crafted = r#"{"description":"d","seed":1,"duration_s":10,
            "node":{"network":"mainnet","connect":["p"]},
            "peers":[{"name":"p","chain":{"mainnet":{}},"behaviour":{"script":[
                {"send":{"crafted":{"from_height":1,"count":1,"index":0,"version":1}}}]}}],
            "expect":{}}"#;
        let e = Scenario::parse("x.json", crafted).unwrap_err().to_string();
        assert!(
            e.starts_with("x.json: peers[0].behaviour.script[0].send.crafted: ")
                && e.contains("regtest"),
            "{e}"
        );
        let raw = MINIMAL.replace(
            r#""chain":{"regtest":{"height":5,"seed":1}}"#,
            r#""chain":{"regtest":{"height":5,"seed":1}},"behaviour":{"script":[{"send":{"raw":{"command":"ping","payload_hex":"zz"}}}]}"#,
        );
        let e = Scenario::parse("x.json", &raw).unwrap_err().to_string();
        assert!(
            e.contains("peers[0].behaviour.script[0].send.raw") && e.contains("not hex"),
            "{e}"
        );
    }

    #[test]
    fn junk_inside_a_repeat_is_checked_with_its_path() {
        let with = |steps: &str| {
            MINIMAL.replace(
                r#""chain":{"regtest":{"height":5,"seed":1}}"#,
                &format!(r#""chain":{{"regtest":{{"height":5,"seed":1}}}},"behaviour":{{"script":[{{"repeat":{{"times":3,"steps":[{steps}]}}}}]}}"#),
            )
        };
        let fine = with(r#"{"send":{"junk":{"command":"junk","payload_bytes":4000000}}}"#);
        let s = Scenario::parse("x.json", &fine).unwrap();
        assert!(matches!(&s.peers[0].behaviour, Behaviour::Script(steps) if steps.len() == 1));
        let big =
            with(r#"{"delay_ms":1},{"send":{"junk":{"command":"junk","payload_bytes":40000000}}}"#);
        let e = Scenario::parse("x.json", &big).unwrap_err().to_string();
        assert!(
            e.contains("peers[0].behaviour.script[0].repeat.steps[1].send.junk")
                && e.contains("over"),
            "{e}"
        );
        let long = with(r#"{"send":{"junk":{"command":"thirteen_char","payload_bytes":1}}}"#);
        let e = Scenario::parse("x.json", &long).unwrap_err().to_string();
        assert!(e.contains("not 1..=12 printable ASCII"), "{e}");
    }

    #[test]
    fn a_trusted_start_spec_parses_and_reports_its_field_and_file() {
        let with = |spec: &str| {
            MINIMAL.replace(
                "\"connect\":[\"p\"]",
                &format!("\"connect\":[\"p\"],\"trusted_start\":{spec}"),
            )
        };
        let s = Scenario::parse(
            "x.json",
            &with(r#"{"boundaries":{"path":"no/such.bin","sha256":"00","height":2015}}"#),
        )
        .unwrap();
        let spec = s.node.trusted_start.expect("parsed");
        let error = spec
            .build(bitcoin::Network::Bitcoin)
            .expect_err("no file")
            .to_string();
        assert!(error.contains("no/such.bin"), "{error}");
        let e = Scenario::parse(
            "x.json",
            &with(r#"{"boundaries":{"path":"a","sha256":"00","height":1,"colour":2}}"#),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.json: node.trusted_start.boundaries"),
            "{e}"
        );
        let given = r#"{"given":{"height":1,"header":"00","period_first_time":0,"period_first_bits":"0x1d00ffff","chainwork":"00"}}"#;
        let s = Scenario::parse("x.json", &with(given)).unwrap();
        let error = s
            .node
            .trusted_start
            .expect("parsed")
            .build(bitcoin::Network::Bitcoin)
            .expect_err("bad hex")
            .to_string();
        assert!(
            error.contains("node.trusted_start: trusted start JSON: header: 1 bytes, expected 80"),
            "{error}"
        );
    }

    #[test]
    fn a_replay_peer_with_a_bad_frame_is_rejected_with_its_field_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.json");
        let scenario = r#"{"description": "bad replay", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "connect": ["r"]},
            "peers": [{"name": "r", "behaviour": {"replay": {"source": "test", "messages": [
                {"delay_ms": 0, "command": "verack", "frame_hex": "fabfb5da76657261636b000000000000000000005df6e0e2"},
                {"after": {"command": "getheaders", "nth": 1}, "delay_ms": 5, "command": "headers", "frame_hex": "0g"}
            ]}}}],
            "expect": {}}"#;
        std::fs::write(&path, scenario).expect("write");
        let error = Scenario::load(&path).expect_err("a bad frame").to_string();
        assert!(
            error.contains("peers[0].behaviour.replay.messages[1].frame_hex"),
            "{error}"
        );
        assert!(error.contains("not hex"), "{error}");
    }
}

//! The scenario file format: JSON, unknown fields rejected, keys named as the Rust fields with
//! their units. This file holds the scenario itself, its node and its peers;
//! the faults, the expectations and the peers' behaviours have files of their own, and
//! loading errors name the file and the field path (`peers[1].behaviour`).
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

use serde::{Deserialize, Serialize};

use super::behaviour::Behaviour;
use super::expect::Expect;
use super::fault::FaultStep;
use super::version::VersionFields;
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
    /// Hosts it dials (port 8333), as permanent outbound peers redialled with backoff
    /// (`node::Config::connect`): manual connections (`node::protocol::ConnectionType::Manual`,
    /// Core's `-connect`). `node` itself makes a self-connection (requires `listen`).
    #[serde(default)]
    pub connect: Vec<String>,
    /// Hosts it dials once at start (port 8333) as automatic full-relay outbound connections
    /// (`node::Config::automatic`, `node::protocol::ConnectionType::OutboundFullRelay`: Core's
    /// regtest `addconnection HOST outbound-full-relay`), never redialled. Dialled with or
    /// without `connect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automatic: Vec<String>,
    /// Candidate hosts (port 8333) for automatic outbound connections
    /// (`node::Config::addresses`, outbound-full-relay; used only without `connect`). A name that is no host of the
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
    /// Most inbound connections the node keeps (`node::Config::inbound_max`; 117 by default,
    /// Core's 125 slots less its 8 automatic outbound ones); one more is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_max: Option<usize>,
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
    /// The other fields of every `version` it sends (timestamp, address services and
    /// addresses, a fixed nonce, user agent, relay); a script's `version_with` replaces them
    /// for one message. Its protocol version, services and height are the fields above.
    #[serde(default, skip_serializing_if = "VersionFields::is_empty")]
    pub version_fields: VersionFields,
    /// It dials the node (node port 8333) instead of waiting to be dialled: an inbound
    /// connection (`node::protocol::ConnectionType::Inbound`).
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scenario::load::tests::MINIMAL;

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
}

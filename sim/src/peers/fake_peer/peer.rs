//! The fake peer itself ([`FakePeer`]): its identity, chain and settings, shared by all its
//! connections, and what it answers to a `getheaders` ([`FakePeer::headers_for`]).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use node::wire::{self, Address, GetHeadersMessage, Magic, ServiceFlags, VersionMessage};
use node::Profile;
use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use super::node_versions::NodeVersions;
use super::written::WrittenStreams;
use crate::scenario::{Behaviour, VersionFields, VersionNonce, VersionTimestamp};

/// The port fake peers and the simulated node listen on (mainnet's default, as a label).
pub const LISTEN_PORT: u16 = 8333;

/// One `ping` a fake peer sent: its nonce and when, in simulated milliseconds since the start
/// of the run (see [`FakePeer::pings_sent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingSent {
    /// The ping's nonce.
    pub nonce: u64,
    /// When the peer wrote it, in simulated milliseconds.
    pub at_ms: u64,
}

/// Bytes a fake peer wrote on one of its connections, and when (see [`FakePeer::wire_log`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireChunk {
    /// Which of the peer's connections (0 for the first).
    pub connection: u64,
    /// When, in simulated milliseconds since the start of the run.
    pub at_ms: u64,
    /// The bytes, as written (a whole frame, part of one, or several).
    pub bytes: Vec<u8>,
    /// How many of the node's messages the peer had read on this connection before it wrote
    /// them (what the write may have answered).
    pub read_before: usize,
}

/// A fake peer's identity and chain, shared by all its connections.
#[derive(Debug)]
pub struct FakePeer {
    /// Host name (for the simulator) or label.
    pub name: String,
    /// Network magic it speaks.
    pub magic: Magic,
    /// The chain it serves: `chain[i]` is the header at height `first_height + i` (genesis
    /// first when `first_height` is 0).
    pub chain: Vec<Header>,
    /// Height of `chain[0]`. Above 0 the peer stands for a node started from the trusted
    /// header `chain[0].prev_blockhash` at `first_height - 1`: it knows that hash, and nothing
    /// below it.
    pub first_height: u32,
    /// Hash → index in `chain` (not height).
    pub(super) hash_to_height: BTreeMap<BlockHash, u32>,
    /// Protocol version it advertises.
    pub version: u32,
    /// Service bits it advertises.
    pub services: u64,
    /// Height it advertises.
    pub start_height: i32,
    /// User agent it advertises.
    pub user_agent: String,
    /// The other fields of its `version` messages (see [`FakePeerSettings::version_fields`]).
    pub version_fields: VersionFields,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// Delay before its `version`.
    pub version_delay: Duration,
    /// Delay before each `headers` reply.
    pub headers_delay: Duration,
    /// A growing chain: every this long (simulated time from the start of the simulation) one
    /// more header of `chain` becomes visible above `start_height`, and the peer announces it
    /// with an `inv` on each connection. `None`: the whole chain is visible from the start.
    pub block_interval: Option<Duration>,
    /// Which implementation it imitates.
    pub profile: Profile,
    pub(super) seed: u64,
    clock_s: fn() -> i64,
    pub(super) connections: Cell<u64>,
    pings_sent: RefCell<Vec<PingSent>>,
    /// Every write, when [`FakePeer::with_wire_log`] asked for it.
    wire_log: Option<RefCell<Vec<WireChunk>>>,
    /// Every connection's writes read back by rust-bitcoin ([`FakePeer::written`]).
    written: RefCell<WrittenStreams>,
    /// The faults it applies to its own messages and clock ([`FakePeer::with_faults`]).
    pub faults: crate::harness::faults::PeerFaults,
    /// The node's `version` nonces as this and the other fake peers of the run read them
    /// ([`FakePeer::with_node_versions`]; its own alone by default).
    pub node_versions: Rc<NodeVersions>,
    /// Where each `getheaders` it receives is reported ([`FakePeer::with_getheaders_observer`]);
    /// `None` (the default): nowhere.
    getheaders_observer: Option<std::sync::mpsc::Sender<GetHeadersSeen>>,
}

/// A `getheaders` a fake peer received, as reported to its [`FakePeer::with_getheaders_observer`]
/// channel. Built for benchmarks on real TCP ([`crate::tools::bench::bitcoind`]): `at` is the wall
/// clock, so it means nothing in a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetHeadersSeen {
    /// Which of the peer's connections it came on: 0 for the first the peer served, then 1, ...
    pub connection: u64,
    /// Height of its first locator hash on the peer's chain; `None` for an empty locator or a
    /// first hash the chain does not hold. After a full batch, bitcoind and our node start
    /// their locator at its last header.
    pub first_locator_height: Option<u32>,
    /// Whether that first locator hash is the peer's tip: the asker holds the whole chain.
    pub at_tip: bool,
    /// When the peer decoded it (before answering).
    pub at: std::time::Instant,
}

/// Settings of a [`FakePeer`] other than its chain.
#[derive(Debug, Clone)]
pub struct FakePeerSettings {
    /// Protocol version it advertises.
    pub version: u32,
    /// Service bits it advertises.
    pub services: u64,
    /// Height it advertises (`None`: its chain's tip).
    pub start_height: Option<i32>,
    /// The other fields of its `version` messages (timestamp, addresses, a fixed nonce, user
    /// agent, relay); a field given here replaces the default (`version`, `services` and
    /// `start_height` are the settings above and are not read from here).
    pub version_fields: VersionFields,
    /// Height of its chain's first header (0: genesis first); see [`FakePeer::first_height`].
    pub first_height: u32,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// Delay before its `version`.
    pub version_delay: Duration,
    /// Delay before each `headers` reply.
    pub headers_delay: Duration,
    /// A growing chain (see [`FakePeer::block_interval`]); needs `start_height`.
    pub block_interval: Option<Duration>,
    /// Seed for its nonces (mixed with its name and the connection number).
    pub seed: u64,
    /// Its clock, in seconds since the Unix epoch, for `version` timestamps.
    pub clock_s: fn() -> i64,
    /// Which implementation it imitates.
    pub profile: Profile,
}

/// Simulated time from turmoil in seconds since the Unix epoch (0 outside a simulation).
pub fn turmoil_clock_s() -> i64 {
    turmoil::since_epoch().map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The real clock in seconds since the Unix epoch, for fake peers on real TCP (`sim serve`,
/// the loopback tests). Never used inside a simulation.
pub fn wall_clock_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Default for FakePeerSettings {
    fn default() -> Self {
        FakePeerSettings {
            version: 70016,
            services: ServiceFlags::NETWORK.to_u64() | ServiceFlags::WITNESS.to_u64(),
            start_height: None,
            version_fields: VersionFields::default(),
            first_height: 0,
            behaviour: Behaviour::Honest,
            version_delay: Duration::ZERO,
            headers_delay: Duration::ZERO,
            block_interval: None,
            seed: 0,
            clock_s: turmoil_clock_s,
            profile: Profile::Btcd,
        }
    }
}

impl FakePeer {
    /// A fake peer named `name` serving `chain` (genesis first) on `network`.
    pub fn new(
        name: &str,
        network: bitcoin::Network,
        chain: Vec<Header>,
        settings: FakePeerSettings,
    ) -> FakePeer {
        let hash_to_height = chain
            .iter()
            .enumerate()
            .map(|(h, header)| (header.block_hash(), h as u32))
            .collect();
        let tip = i64::from(settings.first_height) + chain.len() as i64 - 1;
        let tip = i32::try_from(tip.max(0)).unwrap_or(i32::MAX);
        FakePeer {
            name: name.to_string(),
            magic: wire::magic_for(network),
            chain,
            first_height: settings.first_height,
            hash_to_height,
            version: settings.version,
            services: settings.services,
            start_height: settings.start_height.unwrap_or(tip),
            user_agent: match settings.profile {
                Profile::Btcd => "/btcwire:0.5.0/btcd:0.26.0/".to_string(),
                Profile::Core => "/Satoshi:28.1.0/".to_string(),
            },
            version_fields: settings.version_fields,
            profile: settings.profile,
            behaviour: settings.behaviour,
            version_delay: settings.version_delay,
            headers_delay: settings.headers_delay,
            block_interval: settings.block_interval,
            seed: settings.seed,
            clock_s: settings.clock_s,
            connections: Cell::new(0),
            pings_sent: RefCell::new(Vec::new()),
            wire_log: None,
            written: RefCell::new(WrittenStreams::new()),
            faults: crate::harness::faults::PeerFaults::default(),
            node_versions: Rc::default(),
            getheaders_observer: None,
        }
    }

    /// The same peer applying `faults` to its messages and clock.
    pub fn with_faults(mut self, faults: crate::harness::faults::PeerFaults) -> FakePeer {
        self.faults = faults;
        self
    }

    /// The same peer keeping every write it makes inside a simulation ([`FakePeer::wire_log`]).
    pub fn with_wire_log(mut self) -> FakePeer {
        self.wire_log = Some(RefCell::new(Vec::new()));
        self
    }

    /// Every write this peer made inside a simulation, in order, when it was built
    /// [`with_wire_log`](FakePeer::with_wire_log); empty otherwise.
    pub fn wire_log(&self) -> Vec<WireChunk> {
        self.wire_log
            .as_ref()
            .map(|log| log.borrow().clone())
            .unwrap_or_default()
    }

    /// What this peer wrote on each of its connections inside a simulation, read back by
    /// rust-bitcoin's decoder, by connection number.
    pub fn written(&self) -> WrittenStreams {
        self.written.borrow().clone()
    }

    /// Records that a script closed `connection` now, inside a simulation.
    pub(super) fn note_close(&self, connection: u64) {
        let Some(elapsed) = turmoil::sim_elapsed() else {
            return;
        };
        let at_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self.written
            .borrow_mut()
            .entry(connection)
            .or_default()
            .closed_at_ms = Some(at_ms);
    }

    /// Records a write on `connection` inside a simulation: read back into [`FakePeer::written`],
    /// and kept whole if the peer keeps a wire log.
    pub(super) fn note_write(&self, connection: u64, bytes: &[u8], read_before: usize) {
        let Some(elapsed) = turmoil::sim_elapsed() else {
            return;
        };
        self.written
            .borrow_mut()
            .entry(connection)
            .or_default()
            .extend(bytes);
        let Some(log) = &self.wire_log else {
            return;
        };
        log.borrow_mut().push(WireChunk {
            connection,
            at_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            bytes: bytes.to_vec(),
            read_before,
        });
    }

    /// The same peer sharing `versions` with the other fake peers of the run: each notes there
    /// the nonce of every node `version` it reads, and a script's `version_with` can reuse
    /// one another peer read (`{"nonce": {"node_version_of": PEER}}`).
    pub fn with_node_versions(mut self, versions: Rc<NodeVersions>) -> FakePeer {
        self.node_versions = versions;
        self
    }

    /// The same peer reporting every `getheaders` it receives while serving honestly (also in a
    /// script's `honest` and `answers_pings_only` steps) to `observer`, before it answers: which
    /// connection, where the asker's locator starts, whether that is the peer's tip, and when (wall
    /// clock). Off by default; a closed receiver is ignored. Meant for benchmarks on real TCP
    /// ([`crate::tools::bench::bitcoind`] times a sync to the `getheaders` from the tip), not for
    /// simulations.
    pub fn with_getheaders_observer(
        mut self,
        observer: std::sync::mpsc::Sender<GetHeadersSeen>,
    ) -> FakePeer {
        self.getheaders_observer = Some(observer);
        self
    }

    /// Reports `request`, received on `connection`, to the observer, if there is one.
    pub(super) fn observe_getheaders(&self, connection: u64, request: &GetHeadersMessage) {
        let Some(observer) = &self.getheaders_observer else {
            return;
        };
        let first = request.locator_hashes.first();
        let index = first.and_then(|hash| self.hash_to_height.get(hash));
        let seen = GetHeadersSeen {
            connection,
            first_locator_height: index.map(|i| self.first_height + i),
            at_tip: first.is_some() && first == self.chain.last().map(Header::block_hash).as_ref(),
            at: std::time::Instant::now(),
        };
        let _ = observer.send(seen);
    }

    /// Every `ping` this peer wrote inside a simulation, over all its connections, in order
    /// (outside one, none is recorded). `expect.peers.<host>.pong_latency_ms_max` measures the
    /// node's replies against it.
    pub fn pings_sent(&self) -> Vec<PingSent> {
        self.pings_sent.borrow().clone()
    }

    /// Records a `ping` written now.
    pub(super) fn note_ping(&self, nonce: u64) {
        if let Some(elapsed) = turmoil::sim_elapsed() {
            let at_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            self.pings_sent.borrow_mut().push(PingSent { nonce, at_ms });
        }
    }

    /// Height of the last header of `chain` (shown at once unless the chain grows).
    fn chain_tip_height(&self) -> u32 {
        self.first_height + (self.chain.len() as u32).saturating_sub(1)
    }

    /// Height of the highest header the peer holds now: its chain's tip, or for a growing
    /// chain ([`FakePeer::block_interval`]) `start_height` plus one per interval of simulated
    /// time elapsed, capped at the chain's tip (outside a simulation the chain does not grow).
    pub fn visible_tip_height(&self) -> u32 {
        let tip = self.chain_tip_height();
        let Some(interval) = self.block_interval else {
            return tip;
        };
        let elapsed = turmoil::sim_elapsed().unwrap_or_default();
        let grown = elapsed.as_millis() / interval.as_millis().max(1);
        let start = u32::try_from(self.start_height.max(0)).unwrap_or(0);
        u32::try_from(u128::from(start) + grown)
            .unwrap_or(u32::MAX)
            .min(tip)
    }

    /// How long from now until the next header of a growing chain becomes visible (`None`:
    /// the chain does not grow, or it has shown its tip).
    pub(super) fn next_block_in(&self) -> Option<Duration> {
        let interval = self.block_interval?;
        if self.visible_tip_height() >= self.chain_tip_height() {
            return None;
        }
        let elapsed = turmoil::sim_elapsed().unwrap_or_default().as_millis();
        let interval_ms = interval.as_millis().max(1);
        let next_ms = (elapsed / interval_ms + 1) * interval_ms;
        Some(Duration::from_millis(
            u64::try_from(next_ms - elapsed).unwrap_or(u64::MAX),
        ))
    }

    /// The `headers` reply a real node sends for `request`, or `None` when it sends none.
    ///
    /// After the first locator hash it knows (from height 1 if none), at most 2000, through
    /// `hash_stop` inclusive (btcd `locateInventory`, Core `FindForkInGlobalIndex`). A chain
    /// from `first_height` above 0 also knows its base, `chain[0].prev_blockhash` (a locator
    /// holding it gets `chain[0]` on), and answers a locator of unknown hashes from `chain[0]`,
    /// the lowest header it has. An empty
    /// locator asks for the `hash_stop` header alone; bitcoind sends nothing at all when that
    /// hash is unknown (Core `ProcessMessage` GETHEADERS), which the interop test
    /// `tests/fake_vs_bitcoind.rs` checks against a real bitcoind; a btcd peer sends an empty
    /// `headers` there instead (`locateInventory` finds nothing).
    pub fn headers_for(&self, request: &GetHeadersMessage) -> Option<Vec<Header>> {
        let (chain, hash_to_height) = self
            .faults
            .serving_chain()
            .unwrap_or((&self.chain, &self.hash_to_height));
        if request.locator_hashes.is_empty() {
            return match (hash_to_height.get(&request.stop_hash), self.profile) {
                (Some(height), _) => {
                    self.faults.on_headers_served(*height as usize, 1);
                    Some(vec![chain[*height as usize]])
                }
                (None, Profile::Btcd) => Some(Vec::new()),
                (None, Profile::Core) => None,
            };
        }
        let start = self.start_index(chain, hash_to_height, &request.locator_hashes);
        // A growing chain serves what it holds so far.
        let visible_end =
            (self.visible_tip_height() + 1).saturating_sub(self.first_height) as usize;
        let end = visible_end
            .min(start.saturating_add(wire::HEADERS_PER_MESSAGE_MAX))
            .min(chain.len());
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        let stop = (request.stop_hash != BlockHash::all_zeros()).then_some(request.stop_hash);
        for header in chain.get(start..end).unwrap_or_default() {
            out.push(*header);
            if stop.is_some_and(|stop| header.block_hash() == stop) {
                break;
            }
        }
        self.faults.on_headers_served(start, out.len());
        Some(out)
    }

    /// Index in `chain` of the first header to serve after `locator` (see
    /// [`FakePeer::headers_for`]).
    fn start_index(
        &self,
        chain: &[Header],
        hash_to_height: &BTreeMap<BlockHash, u32>,
        locator: &[BlockHash],
    ) -> usize {
        let base = (self.first_height > 0)
            .then(|| chain.first().map(|h| h.prev_blockhash))
            .flatten();
        locator
            .iter()
            .find_map(|hash| match hash_to_height.get(hash) {
                Some(index) => Some(*index as usize + 1),
                None => (Some(*hash) == base).then_some(0),
            })
            .unwrap_or(if self.first_height > 0 { 0 } else { 1 })
    }

    /// The header at `height`, if the peer holds it.
    /// The header this peer's chain holds at `height`, if any.
    pub fn header_at(&self, height: u32) -> Option<&Header> {
        self.chain
            .get(height.checked_sub(self.first_height)? as usize)
    }

    /// Its `version`: its settings and [`FakePeer::version_fields`].
    pub(super) fn version_message(&self, rng: &mut ChaCha8Rng) -> VersionMessage {
        self.version_message_with(rng, &VersionFields::default(), None)
    }

    /// Its `version` with `step` replacing fields of its own `version_fields`; `node_nonce` is
    /// the nonce a `node_version_of` nonce stands for (already looked up). The random nonce is
    /// drawn from `rng` whether or not it is replaced, so what follows draws the same.
    pub(super) fn version_message_with(
        &self,
        rng: &mut ChaCha8Rng,
        step: &VersionFields,
        node_nonce: Option<u64>,
    ) -> VersionMessage {
        let fields = self.version_fields.overlaid(step);
        let random_nonce = rng.next_u64() >> 1;
        let now_s = match fields.timestamp {
            Some(VersionTimestamp::UnixS(at_s)) => at_s,
            Some(VersionTimestamp::OffsetS(offset_s)) => {
                self.version_clock_s().saturating_add(offset_s)
            }
            None => self.version_clock_s(),
        };
        let addr = |given: &Option<String>| {
            given
                .as_deref()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)))
        };
        let services = ServiceFlags::from(fields.services.unwrap_or(self.services));
        let receiver_services = fields
            .receiver_services
            .map_or(ServiceFlags::NONE, ServiceFlags::from);
        let sender_services = fields.sender_services.map_or(services, ServiceFlags::from);
        let nonce = match &fields.nonce {
            Some(VersionNonce::Value(nonce)) => *nonce,
            Some(VersionNonce::NodeVersionOf(_)) => node_nonce.unwrap_or(random_nonce),
            None => random_nonce,
        };
        let start_height = fields
            .start_height
            .unwrap_or(if self.block_interval.is_some() {
                i32::try_from(self.visible_tip_height()).unwrap_or(i32::MAX)
            } else {
                self.start_height
            });
        let mut version = VersionMessage::new(
            services,
            now_s,
            Address::new(&addr(&fields.receiver_addr), receiver_services),
            Address::new(&addr(&fields.sender_addr), sender_services),
            nonce,
            fields
                .user_agent
                .clone()
                .unwrap_or_else(|| self.user_agent.clone()),
            start_height,
        );
        version.version = fields.version.unwrap_or(self.version);
        if let Some(relay) = fields.relay {
            version.relay = relay;
        }
        version
    }

    /// The clock a `version` timestamp is read from: simulated now, with the peer's
    /// `version_time_skew` (which fires).
    fn version_clock_s(&self) -> i64 {
        (self.clock_s)().saturating_add(self.faults.version_offset_s())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::chain::ChainSpec;
    use bitcoin::Network;

    /// A fake peer serving a chain from height 4 knows its base (the parent of its first
    /// header) as height 3, advertises its real tip height, and answers unknown locators from
    /// its lowest header.
    #[test]
    fn a_fake_peer_serves_a_mid_chain_file_from_its_base() {
        let chain = ChainSpec::Regtest {
            height: 10,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let settings = FakePeerSettings {
            first_height: 4,
            ..FakePeerSettings::default()
        };
        let peer = FakePeer::new("p", Network::Regtest, chain[4..].to_vec(), settings);
        assert_eq!(peer.start_height, 10);
        let zero = bitcoin::BlockHash::all_zeros();
        let ask = |locator: Vec<bitcoin::BlockHash>, stop| {
            peer.headers_for(&GetHeadersMessage::new(locator, stop))
        };
        assert_eq!(
            ask(vec![chain[3].block_hash()], zero),
            Some(chain[4..].to_vec()),
            "the base is known"
        );
        assert_eq!(
            ask(vec![chain[6].block_hash(), chain[3].block_hash()], zero),
            Some(chain[7..].to_vec())
        );
        assert_eq!(
            ask(vec![chain[0].block_hash()], zero),
            Some(chain[4..].to_vec()),
            "below the base: from the lowest"
        );
        assert_eq!(
            ask(vec![chain[3].block_hash()], chain[8].block_hash()),
            Some(chain[4..=8].to_vec())
        );
        assert_eq!(ask(vec![], chain[5].block_hash()), Some(vec![chain[5]]));

        // From genesis, an unknown locator is still answered from height 1.
        let genesis_peer = FakePeer::new(
            "g",
            Network::Regtest,
            chain.clone(),
            FakePeerSettings::default(),
        );
        assert_eq!(genesis_peer.start_height, 10);
        let served = genesis_peer.headers_for(&GetHeadersMessage::new(vec![zero], zero));
        assert_eq!(served, Some(chain[1..].to_vec()));
    }

    /// An empty locator with an unknown stop hash: a btcd peer answers an empty `headers`
    /// (`locateInventory` finds nothing), a Core peer nothing at all (checked against a real
    /// bitcoind by `tests/fake_vs_bitcoind.rs`).
    #[test]
    fn an_empty_locator_with_an_unknown_stop_gets_an_empty_reply_from_btcd_and_none_from_core() {
        let chain = ChainSpec::Regtest {
            height: 5,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let request = GetHeadersMessage::new(vec![], bitcoin::BlockHash::all_zeros());
        let btcd = FakePeer::new(
            "b",
            Network::Regtest,
            chain.clone(),
            FakePeerSettings::default(),
        );
        assert_eq!(btcd.headers_for(&request), Some(vec![]));
        let settings = FakePeerSettings {
            profile: node::Profile::Core,
            ..FakePeerSettings::default()
        };
        let core = FakePeer::new("c", Network::Regtest, chain, settings);
        assert_eq!(core.headers_for(&request), None);
    }
}

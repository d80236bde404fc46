//! Target `message_handling`: peers, messages and time driven through the sans-IO
//! [`Node`] directly, in the manner of Bitcoin Core's `process_messages` fuzz target
//! (`src/test/fuzz/process_messages.cpp`), in either profile.
//!
//! Input: the node's settings (profile, seed, a manual `connect` target, a once-dialled
//! automatic target, automatic addresses, a NoBan host, the inbound limit, a minimum chain work
//! that makes [`chains::main`] low-work), then steps until the input ends: an inbound
//! connection, a pending dial's success or failure, a message from a live peer (`version`,
//! `verack`, `ping`/`pong`, `headers` from [`chains::main`] or [`chains::fork`] with one field of
//! one header possibly changed, `getheaders`, `inv`, feature and other messages, or a raw
//! payload of any command; each written as a frame and read by the connection's own frame
//! decoder in the profile's dialect, as the runtime reads it), time moving on (ticks run as
//! [`Node::poll_timeout`] asks), a peer closing, a ban, a full send queue. The driver keeps the
//! calling contract (`node::protocol` module docs): it drains every output after every input,
//! dials what the node asks, and reports only ends the node did not ask for.
//!
//! Checked after every step:
//! - nothing panics;
//! - the best chain is linked from genesis, its work never goes down, and no header the node
//!   holds has more work than its tip ("most work");
//! - the headers a `headers` message added pass an independent check of the consensus rules
//!   (`sim`'s `check_consensus`: links, proof of work, required bits, median time past,
//!   time-too-new, version floors) from genesis ("valid");
//! - under Core, a message whose headers do not build on each other or one of which misses its
//!   proof of work adds nothing (Core checks the whole message before storing any of it,
//!   `ProcessHeadersMessage`); under either profile, a header the independent check refuses is
//!   never kept ("nothing from a rejected message kept");
//! - the persisted rows (the [`Output::Persist`] updates applied in order, without a gap) are
//!   the best chain;
//! - the node knows exactly the live connections, at most `inbound_max` of them inbound; its
//!   nonces, outputs and each low-work headers sync stay within their bounds;
//! - a due timer is served in a bounded number of ticks (a node that keeps asking for a tick at
//!   the same instant fails here instead of hanging).

use std::collections::BTreeSet;
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::pow::Work;
use bitcoin::{BlockHash, Network};
use node::config::{Config, Profile};
use node::protocol::header_chain::HeaderChain;
use node::protocol::headers_presync::REDOWNLOAD_BUFFER_SIZE;
use node::protocol::{Direction, Node, Output, PeerId, TargetId};
use node::wire::{self, FrameDecoder, NetworkMessage};
use sim::harness::invariants::{check_consensus, ChainBase};

use crate::chains::{self, FORK_TIP_HEIGHT, MAIN_TIP_HEIGHT};
use crate::frames::COMMANDS;
use crate::input::{Reader, Writer};

/// Most steps one input runs. A step can carry 2,000 headers, whose import and independent
/// consensus check cost some 25 ms under AddressSanitizer; 120 steps keep the slowest input
/// near 3 s, well inside `scripts/fuzz`'s 30 s per-input timeout even on a loaded machine
/// (at 400 steps one input took 11 s beside a CI run).
const STEPS_MAX: usize = 120;

/// Most ticks a due timer may take at one instant before the node counts as spinning.
const TICKS_PER_INSTANT_MAX: usize = 1000;

/// The manual (`connect`) target's address.
const MANUAL_ADDR: &str = "10.0.0.1:18444";
/// The once-dialled automatic target's address.
const ONCE_ADDR: &str = "10.0.0.2:18444";
/// Automatic candidates.
const AUTOMATIC_ADDRS: [&str; 2] = ["10.0.0.3:18444", "10.0.0.4:18444"];
/// The host the NoBan setting names (inbound peers come from 10.0.0.5 to 10.0.0.8).
const NOBAN_HOST: &str = "10.0.0.5";

/// A connection the driver holds open.
#[derive(Debug)]
struct Live {
    id: PeerId,
    inbound: bool,
    /// The nonce of the node's latest `ping` to this peer.
    ping_nonce: Option<u64>,
    /// The connection's frame decoder in the profile's dialect, as the runtime's reader holds
    /// one: every message reaches the node through it (btcd's reading follows the peer's
    /// `version`), and once it is poisoned nothing more is read from the peer.
    decoder: FrameDecoder,
}

impl Live {
    fn new(id: PeerId, inbound: bool, profile: Profile) -> Live {
        Live {
            id,
            inbound,
            ping_nonce: None,
            decoder: FrameDecoder::with_dialect(
                wire::magic_for(Network::Regtest),
                profile.dialect(),
            ),
        }
    }
}

/// The driver's side of one run.
struct Driver {
    node: Node,
    profile: Profile,
    inbound_max: usize,
    now_ms: u64,
    live: Vec<Live>,
    pending_dials: Vec<(TargetId, String)>,
    /// Nonces of the node's `version` messages (a peer may echo one: a self-connection).
    version_nonces: Vec<u64>,
    /// The persisted best chain: hashes by height.
    persisted: Vec<BlockHash>,
    tip_work: Work,
}

/// Runs one input (see the module docs); panics on a broken property.
pub fn check(data: &[u8]) {
    let mut reader = Reader::new(data);
    let mut driver = Driver::new(&mut reader);
    for _ in 0..STEPS_MAX {
        if reader.is_empty() {
            break;
        }
        driver.step(&mut reader);
        driver.check_state();
    }
    let now_ms = driver.now_ms;
    driver.node.shutdown(now_ms);
    driver.drain();
    driver.check_state();
    assert!(driver.live.is_empty(), "connections left after shutdown");
}

impl Driver {
    fn new(reader: &mut Reader<'_>) -> Driver {
        let flags = reader.u8();
        let profile = if flags & 1 == 0 {
            Profile::Btcd
        } else {
            Profile::Core
        };
        let mut config = Config::new(Network::Regtest, "unused-by-the-sans-io-node".into())
            .with_profile(profile);
        config.seed = u64::from(reader.u8());
        if flags & 2 != 0 {
            config.connect = vec![MANUAL_ADDR.to_string()];
        }
        if flags & 4 != 0 {
            config.automatic = vec![ONCE_ADDR.to_string()];
        }
        if flags & 8 != 0 {
            config.addresses = AUTOMATIC_ADDRS.iter().map(|a| a.to_string()).collect();
            config.target_outbound = 1 + usize::from(flags >> 6);
        }
        if flags & 16 != 0 {
            config.noban = vec![NOBAN_HOST.to_string()];
        }
        if flags & 32 != 0 {
            // More than main's tip: main is a low-work chain, the fork is not.
            let main_tip = chains::main()[MAIN_TIP_HEIGHT as usize];
            let per_header = main_tip.work();
            config.minimum_chain_work = (0..=MAIN_TIP_HEIGHT + 50)
                .fold(Work::from_be_bytes([0; 32]), |w, _| w + per_header);
        }
        config.inbound_max = 1 + reader.below(3);
        let inbound_max = config.inbound_max;
        let now_ms = chains::start_time_s() * 1000;
        let chain = HeaderChain::new(Network::Regtest);
        let genesis = chain.tip_hash();
        let tip_work = chain.tip_chainwork();
        let node = Node::new(config, chain, now_ms);
        let mut driver = Driver {
            node,
            profile,
            inbound_max,
            now_ms,
            live: Vec::new(),
            pending_dials: Vec::new(),
            version_nonces: Vec::new(),
            persisted: vec![genesis],
            tip_work,
        };
        driver.drain();
        driver
    }

    /// One step of the input.
    fn step(&mut self, reader: &mut Reader<'_>) {
        let now_ms = self.now_ms;
        match reader.u8() % 12 {
            0 => {
                let addr = format!(
                    "10.0.0.{}:{}",
                    5 + reader.below(4),
                    40_000 + reader.u8() as u16
                );
                let id = self
                    .node
                    .handle_connected(addr.clone(), Direction::Inbound, now_ms);
                self.live.push(Live::new(id, true, self.profile));
            }
            1 => {
                if self.pending_dials.is_empty() {
                    return;
                }
                let (target, addr) = self
                    .pending_dials
                    .remove(reader.below(256) % self.pending_dials.len());
                if reader.u8().is_multiple_of(4) {
                    self.node
                        .handle_dial_failed(target, "connection refused".into(), now_ms);
                } else {
                    let id = self.node.handle_connected(
                        addr.clone(),
                        Direction::Outbound(target),
                        now_ms,
                    );
                    self.live.push(Live::new(id, false, self.profile));
                }
            }
            2..=7 => {
                let Some(index) = self.pick_peer(reader) else {
                    return;
                };
                let message = self.message(reader, index);
                self.deliver(index, message);
            }
            8 => {
                let Some(index) = self.pick_peer(reader) else {
                    return;
                };
                let command = COMMANDS[reader.below(COMMANDS.len())];
                let frame =
                    wire::encode_raw(wire::magic_for(Network::Regtest), command, reader.blob());
                self.read_frame(index, &frame);
            }
            9 => {
                let step_ms = match reader.u8() % 4 {
                    0 => u64::from(reader.u16()) * 1000,
                    1 => u64::from(reader.u8()) * 10,
                    _ => self
                        .node
                        .poll_timeout()
                        .map_or(1000, |due| due.saturating_sub(now_ms)),
                };
                self.advance(step_ms);
            }
            10 => {
                let Some(index) = self.pick_peer(reader) else {
                    return;
                };
                let peer = self.live.remove(index);
                self.node.handle_disconnected(peer.id, None, now_ms);
            }
            _ => match reader.u8() % 2 {
                0 => {
                    let host = format!("10.0.0.{}", 1 + reader.below(8));
                    let duration = Duration::from_secs(u64::from(reader.u16()));
                    self.node.ban(&host, duration, now_ms);
                }
                _ => {
                    let Some(index) = self.pick_peer(reader) else {
                        return;
                    };
                    self.node.handle_queue_full(self.live[index].id, now_ms);
                }
            },
        }
        self.drain();
    }

    fn pick_peer(&self, reader: &mut Reader<'_>) -> Option<usize> {
        let choice = reader.u8();
        (!self.live.is_empty()).then(|| usize::from(choice) % self.live.len())
    }

    /// Time moves on by `step_ms`; every due tick runs.
    fn advance(&mut self, step_ms: u64) {
        self.now_ms += step_ms;
        let mut ticks = 0;
        while let Some(due) = self.node.poll_timeout() {
            if due > self.now_ms {
                break;
            }
            ticks += 1;
            assert!(
                ticks <= TICKS_PER_INSTANT_MAX,
                "the node asked for {ticks} ticks at {} ms (due {due} ms): it spins",
                self.now_ms
            );
            self.node.handle_tick(self.now_ms);
            self.drain();
        }
    }

    /// The message a step sends (step kinds 2 to 7).
    fn message(&mut self, reader: &mut Reader<'_>, index: usize) -> NetworkMessage {
        match reader.u8() % 10 {
            0 => NetworkMessage::Version(self.version(reader)),
            1 => NetworkMessage::Verack,
            2 => NetworkMessage::Ping(reader.u64()),
            3 => {
                let nonce = match (reader.bool(), self.live[index].ping_nonce) {
                    (true, Some(nonce)) => nonce,
                    _ => reader.u64(),
                };
                NetworkMessage::Pong(nonce)
            }
            4 | 5 => NetworkMessage::Headers(headers(reader)),
            6 => {
                let chain = fixture_chain(reader);
                let count = 1 + reader.below(12);
                let locator = (0..count).map(|_| hash_in(reader, chain)).collect();
                let stop = if reader.bool() {
                    hash_in(reader, chain)
                } else {
                    BlockHash::all_zeros()
                };
                NetworkMessage::GetHeaders(GetHeadersMessage::new(locator, stop))
            }
            7 => {
                let chain = fixture_chain(reader);
                let count = 1 + reader.below(4);
                NetworkMessage::Inv(
                    (0..count)
                        .map(|_| Inventory::Block(hash_in(reader, chain)))
                        .collect(),
                )
            }
            8 => match reader.u8() % 9 {
                0 => NetworkMessage::SendHeaders,
                1 => NetworkMessage::WtxidRelay,
                2 => NetworkMessage::SendAddrV2,
                3 => NetworkMessage::GetAddr,
                4 => NetworkMessage::MemPool,
                5 => NetworkMessage::FeeFilter(i64::from(reader.u32() as i32)),
                6 => NetworkMessage::SendCmpct(wire::SendCmpct {
                    send_compact: reader.bool(),
                    version: u64::from(reader.u8() % 3),
                }),
                7 => NetworkMessage::Headers(Vec::new()),
                _ => {
                    let count = reader.u16() as usize % 1100;
                    let entry = (
                        reader.u32(),
                        Address::new(
                            &"10.1.2.3:8333".parse().expect("an address"),
                            ServiceFlags::NETWORK,
                        ),
                    );
                    NetworkMessage::Addr(vec![entry; count])
                }
            },
            _ => NetworkMessage::GetData(vec![Inventory::Block(hash_in(reader, chains::main()))]),
        }
    }

    fn version(&self, reader: &mut Reader<'_>) -> VersionMessage {
        let version = match reader.u8() % 8 {
            0 => 70_015,
            1 => 70_001,
            2 => 60_002,
            3 => 31_800,
            4 => 209,
            5 => reader.u32(),
            _ => 70_016,
        };
        let services = match reader.u8() % 4 {
            0 => ServiceFlags::from(reader.u64()),
            1 => ServiceFlags::NONE,
            _ => ServiceFlags::NETWORK | ServiceFlags::WITNESS,
        };
        let start_height = match reader.u8() % 6 {
            0 => 0,
            1 => FORK_TIP_HEIGHT as i32,
            2 => reader.u32() as i32,
            3 => 1000,
            _ => MAIN_TIP_HEIGHT as i32,
        };
        let nonce = match (reader.u8() % 8, self.version_nonces.last()) {
            (0, Some(ours)) => *ours,
            _ => reader.u64() | 1,
        };
        let addr = Address::new(&"10.9.9.9:18444".parse().expect("an address"), services);
        let mut message = VersionMessage::new(
            services,
            (self.now_ms / 1000) as i64,
            addr.clone(),
            addr,
            nonce,
            "/fuzz:0.1/".to_string(),
            start_height,
        );
        message.version = version;
        message.relay = reader.bool();
        message
    }

    /// `message` from live peer `index`, as its bytes on the wire.
    fn deliver(&mut self, index: usize, message: NetworkMessage) {
        let frame = wire::encode(wire::magic_for(Network::Regtest), message);
        self.read_frame(index, &frame);
    }

    /// `frame` arrives from live peer `index`: its decoder reads it, and the node gets the
    /// message or the frame error, as the runtime's reader hands them over.
    fn read_frame(&mut self, index: usize, frame: &[u8]) {
        let live = &mut self.live[index];
        if live.decoder.is_poisoned() {
            return;
        }
        let peer = live.id;
        live.decoder.extend(frame);
        let read = live.decoder.decode_next();
        assert_eq!(
            live.decoder.buffered_len(),
            0,
            "a whole frame left bytes behind"
        );
        match read {
            Ok(Some(message)) => self.handle(peer, message),
            Ok(None) => panic!("a whole frame decoded to nothing"),
            Err(error) => {
                self.node.handle_frame_error(peer, error, self.now_ms);
                self.drain();
            }
        }
    }

    /// Hands `message` from `peer` to the node and checks what a `headers` message did to the
    /// chain.
    fn handle(&mut self, peer: PeerId, message: NetworkMessage) {
        let headers = match &message {
            NetworkMessage::Headers(headers) => Some(headers.clone()),
            _ => None,
        };
        let known_before: Option<Vec<bool>> = headers.as_ref().map(|hs| {
            hs.iter()
                .map(|h| self.node.chain().contains(&h.block_hash()))
                .collect()
        });
        self.node.handle_message(peer, message, self.now_ms);
        self.drain();
        if let (Some(headers), Some(known_before)) = (headers, known_before) {
            self.check_headers(&headers, &known_before);
        }
    }

    /// Executes every output the node queued.
    fn drain(&mut self) {
        while let Some(output) = self.node.poll_output() {
            match output {
                Output::Send { peer, message } => {
                    let live = self
                        .live
                        .iter_mut()
                        .find(|l| l.id == peer)
                        .unwrap_or_else(|| panic!("a message to {peer:?}, not a live connection"));
                    match message {
                        NetworkMessage::Version(version) => self.version_nonces.push(version.nonce),
                        NetworkMessage::Ping(nonce) => live.ping_nonce = Some(nonce),
                        _ => {}
                    }
                }
                Output::Disconnect { peer, .. } => {
                    let at = self
                        .live
                        .iter()
                        .position(|l| l.id == peer)
                        .unwrap_or_else(|| {
                            panic!("a disconnect of {peer:?}, not a live connection")
                        });
                    self.live.remove(at);
                }
                Output::Dial { target, addr } => self.pending_dials.push((target, addr)),
                Output::Persist(update) => {
                    let start = (update.start_height()) as usize;
                    assert!(
                        start >= 1 && start <= self.persisted.len(),
                        "a persisted update at height {start} above {} rows (or replacing genesis)",
                        self.persisted.len()
                    );
                    self.persisted.truncate(start);
                    self.persisted.extend_from_slice(update.hashes());
                }
                Output::PersistBan(_) | Output::Event(_) => {}
            }
        }
    }

    /// The properties of the state after every step (see the module docs).
    fn check_state(&mut self) {
        let chain = self.node.chain();
        let tip_height = chain.tip_height();
        let tip_work = chain.tip_chainwork();
        assert!(tip_work >= self.tip_work, "the best chain's work went down");
        self.tip_work = tip_work;
        let active: Vec<BlockHash> = (0..=tip_height)
            .map(|h| chain.active_hash_at(h).expect("every height up to the tip"))
            .collect();
        for h in 1..active.len() {
            let entry = chain
                .get(&active[h])
                .expect("a best-chain header is indexed");
            assert_eq!(
                entry.header.prev_blockhash,
                active[h - 1],
                "the best chain is not linked at height {h}"
            );
            assert_eq!(
                entry.height as usize, h,
                "a best-chain header at the wrong height"
            );
        }
        assert_eq!(
            self.persisted, active,
            "the persisted rows are not the best chain"
        );

        let sizes = self.node.state_sizes();
        assert_eq!(
            sizes.peers,
            self.live.len(),
            "the node knows {} connections, the driver holds {}",
            sizes.peers,
            self.live.len()
        );
        let inbound = self.live.iter().filter(|l| l.inbound).count();
        assert!(
            inbound <= self.inbound_max,
            "{inbound} inbound connections, above the limit"
        );
        assert!(sizes.sent_nonces <= node::config::SENT_NONCES_MAX);
        assert_eq!(sizes.queued_outputs, 0, "outputs left after draining");
        for (peer, presync) in &sizes.headers_presyncs {
            assert_eq!(
                self.profile,
                Profile::Core,
                "a low-work headers sync under btcd"
            );
            assert!(
                presync.commitments as u64 <= presync.commitments_max,
                "{peer:?}: {presync:?}"
            );
            assert!(
                presync.redownloaded <= REDOWNLOAD_BUFFER_SIZE,
                "{peer:?}: {presync:?}"
            );
        }
    }

    /// What one `headers` message did: nothing invalid kept, most work, Core's whole-message
    /// checks.
    fn check_headers(&self, headers: &[Header], known_before: &[bool]) {
        let chain = self.node.chain();
        let tip_work = chain.tip_chainwork();
        let added: Vec<&Header> = headers
            .iter()
            .zip(known_before)
            .filter(|(h, known)| !**known && chain.contains(&h.block_hash()))
            .map(|(h, _)| h)
            .collect();
        for header in &added {
            let entry = chain.get(&header.block_hash()).expect("checked above");
            assert!(
                entry.chainwork <= tip_work,
                "a header with more work than the best chain"
            );
        }
        if self.profile == Profile::Core && !added.is_empty() {
            let continuous = headers
                .windows(2)
                .all(|pair| pair[1].prev_blockhash == pair[0].block_hash());
            let proof_of_work = headers.iter().all(|h| h.target().is_met_by(h.block_hash()));
            assert!(
                continuous && proof_of_work,
                "under Core, a message with headers that do not build on each other or miss \
                 their proof of work added {} headers",
                added.len()
            );
        }
        // Every added header, with its ancestors, passes the independent consensus check.
        let mut checked: BTreeSet<BlockHash> = BTreeSet::new();
        for header in added.iter().rev() {
            let hash = header.block_hash();
            if checked.contains(&hash) {
                continue;
            }
            let mut path = Vec::new();
            let mut cursor = hash;
            while let Some(entry) = chain.get(&cursor) {
                path.push(entry.header);
                checked.insert(cursor);
                if entry.height == 0 {
                    break;
                }
                cursor = entry.header.prev_blockhash;
            }
            path.reverse();
            let base = ChainBase {
                height: 0,
                period_first: None,
            };
            if let Err(problem) =
                check_consensus(Network::Regtest, base, &[], &path, self.now_ms / 1000)
            {
                panic!("the node kept a header the consensus rules refuse: {problem}");
            }
        }
    }
}

/// [`chains::main`] or [`chains::fork`], as the next byte picks.
fn fixture_chain(reader: &mut Reader<'_>) -> &'static [Header] {
    if reader.bool() {
        chains::main()
    } else {
        chains::fork()
    }
}

/// The hash of a header of `chain` the next two bytes pick.
fn hash_in(reader: &mut Reader<'_>, chain: &[Header]) -> BlockHash {
    chain[usize::from(reader.u16()) % chain.len()].block_hash()
}

/// A `headers` message from one of the fixture chains, possibly with one field of one header
/// changed (and the headers after it re-linked, or not).
fn headers(reader: &mut Reader<'_>) -> Vec<Header> {
    let chain = fixture_chain(reader);
    let from = 1 + usize::from(reader.u16()) % (chain.len() - 1);
    let count = match reader.u8() % 4 {
        0 => 2000,
        1 => 1 + reader.below(16),
        _ => 1 + usize::from(reader.u16()) % 2001,
    };
    let mut headers: Vec<Header> = chain.iter().skip(from).take(count).copied().collect();
    if headers.is_empty() {
        return headers;
    }
    let kind = reader.u8() % 8;
    if kind < 6 {
        let at = usize::from(reader.u16()) % headers.len();
        let value = reader.u32();
        let header = &mut headers[at];
        match kind {
            0 => header.nonce ^= value | 1,
            1 => {
                header.time = header
                    .time
                    .wrapping_add(value % 20_000)
                    .wrapping_sub(10_000)
            }
            2 => header.bits = bitcoin::CompactTarget::from_consensus(value),
            3 => header.version = bitcoin::block::Version::from_consensus(value as i32),
            4 => header.prev_blockhash = BlockHash::from_byte_array([value as u8; 32]),
            _ => {
                headers.swap(at, 0);
            }
        }
        if reader.bool() {
            for i in at + 1..headers.len() {
                headers[i].prev_blockhash = headers[i - 1].block_hash();
            }
        }
    }
    headers
}

/// A seed input: `profile_core`, then an outbound manual peer that completes the handshake and
/// serves `main` in batches of 2000, with time moving on between them.
pub fn seed(profile_core: bool, flags: u8) -> Vec<u8> {
    let mut writer = Writer::new();
    writer.u8(u8::from(profile_core) | 2 | flags).u8(0).u8(1);
    // the manual dial succeeds
    writer.u8(1).u8(0).u8(1);
    // version: 70016, NETWORK|WITNESS, start height main's tip, a fresh nonce, relay
    writer
        .u8(2)
        .u8(0)
        .u8(0)
        .u8(7)
        .u8(2)
        .u8(5)
        .u8(1)
        .u64(0x1234_5678)
        .u8(1);
    // verack
    writer.u8(3).u8(0).u8(1);
    // headers 1..=2000 then 2001..=2100 of main, unchanged
    writer.u8(4).u8(0).u8(4).u8(1).u16(0).u8(0).u8(7);
    writer.u8(4).u8(0).u8(4).u8(1).u16(2000).u8(2).u16(99).u8(7);
    // ten minutes pass
    writer.u8(9).u8(0).u16(600);
    // the fork, from its branch point
    writer.u8(4).u8(0).u8(4).u8(0).u16(1000).u8(0).u8(7);
    writer.finish()
}

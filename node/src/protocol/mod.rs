//! The node's protocol logic as a sans-IO state machine.
//!
//! [`Node`] never touches a socket, a clock or the disk. The runtime feeds it inputs through
//! `handle_*` calls that carry the current time in milliseconds, drains what it wants done with
//! [`Node::poll_output`], and wakes it at [`Node::poll_timeout`]. Calling contract (after
//! quinn-proto's `Connection`):
//!
//! 1. After every `handle_*` call, drain [`Node::poll_output`] until it returns `None` and
//!    execute each [`Output`] in order (a `Disconnect` comes after the messages to write first).
//! 2. Call [`Node::handle_tick`] once the time returned by [`Node::poll_timeout`] is reached.
//! 3. Report every connection end the node did not ask for with
//!    [`Node::handle_disconnected`]; ends it asked for need no report.
//!
//! Peer handling follows the configured [`Profile`]: btcd (B26: `peer/peer.go`,
//! `netsync/manager.go`, `connmgr/connmanager.go`) or Bitcoin Core (`net.cpp`,
//! `net_processing.cpp`), row by row of `shared/reference/p2p-behaviour.md` section 4. The
//! header rules are Core's in both ([`header_chain`]); the order differs: Core checks the
//! proof of work and continuity of a whole message before storing any of it, btcd checks
//! header by header and keeps the prefix before a failure.
//!
//! | topic | btcd | Core |
//! |---|---|---|
//! | handshake | 30 s; a non-`version` first message, a known message before `verack` or a duplicate `version`/`verack` disconnect, with `reject` where encodable | 60 s; all of those are ignored |
//! | liveness | idle 5 min; a ping every 2 min by ticker | nothing received or sent for 20 min; first ping at the handshake, the next 2 min after the pong; a ping unanswered 20 min disconnects |
//! | `getheaders` deadline | `headers` due 90 s after the request, checked every 15 s | none per request; the initial sync must finish within 15 min + 1 ms per expected header when another outbound peer exists |
//! | next batch | while our best header is below the sync peer's advertised height, locator `[best]` (the full locator from the batch's last header when that ended off our best chain) | iff the batch held 2000, full locator from its last header |
//! | sync peer | random among peers advertising more than our best header; 3 min without progress replaces it | the first outbound peer to finish the handshake, whatever it advertises |
//! | bad headers | disconnect; unconnecting headers too; `time-too-new` too | disconnect and discourage; unconnecting headers get a `getheaders`; `time-too-new` is not punished |
//! | bad frames | checksum or undecodable payload: `reject` and disconnect | dropped, peer kept |
//! | reconnect | `n × 5 s` up to 5 min | every 60 s; discouraged addresses never |
//! | lagging outbound peers | kept | `ConsiderEviction`: a best known header below our tip's work for 20 min, then one `getheaders` and 2 min, disconnects; the first 4 outbound peers to show our tip's work are protected |
//! | low-work chains | stored | below max(tip − 144 blocks, minimum chain work): a short message is ignored, a full one starts PRESYNC/REDOWNLOAD ([`headers_presync`]); nothing stored until the work is proven |
//! | automatic outbound | failed dials replaced at once, after 25 in a row every 5 s | one attempt at a time, 500 ms apart |
//! | manual bans | in memory; a banned peer is dropped when its handshake is done | persisted; a banned inbound peer is dropped at accept |

pub mod connection_manager;
pub mod disconnect;
pub mod events;
pub mod header_chain;
pub mod headers_presync;
pub mod ids;
pub mod peer;
pub mod sync_manager;
pub mod time;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::pow::Work;
use bitcoin::BlockHash;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

// The three renamed constants keep their old local names until the rework of this file lands
// (its edits here are limited to `use` lines); then the aliases go.
use crate::config::{
    Config, Profile, ACCEPTABLE_PROTOCOL_VERSION_MIN, ADDRV2_VERSION, ANTI_DOS_TIP_BUFFER_BLOCKS,
    BIP0031_VERSION, CORE_LOCATOR_HASHES_MAX, OUTBOUND_PEERS_TO_PROTECT_MAX,
    PEER_PROTO_VERSION_MIN, PROTOCOL_VERSION, REJECT_VERSION, SENT_NONCES_MAX,
    USER_AGENT_BYTES_MAX, WTXID_RELAY_VERSION,
};
use crate::wire::{
    self, Address, DecodeError, GetHeadersMessage, NetworkMessage, Reject, RejectReason,
    ServiceFlags, VersionMessage,
};

use crate::deliberate_bugs::{self, Bug};
pub use connection_manager::Ban;
use connection_manager::{ConnectionManager, DueDial, NO_ADDRESS_ERROR};
pub use disconnect::DisconnectReason;
pub use events::{ChainSyncStep, DropReason, Event, HeadersSyncStep, MessageSummary};
use header_chain::{ChainUpdate, HeaderChain, HeaderError, IndexEntry};
use headers_presync::{ChainStart, HeadersPresync, Phase};
pub use ids::{PeerId, TargetId};
pub use peer::{Direction, HandshakeState};
use peer::{Peer, RemoteVersion};
use sync_manager::{StallVerdict, SyncManager};
use time::ms;

/// Seconds between blocks that difficulty aims for, on every network: Bitcoin Core
/// `nPowTargetSpacing` (`kernel/chainparams.cpp`).
const POW_TARGET_SPACING_S: u64 = 600;

/// The host part of a `host:port` label (the whole label if it has no port).
fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}

/// What the node wants the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Write this message to the peer.
    Send {
        /// The connection.
        peer: PeerId,
        /// The message.
        message: NetworkMessage,
    },
    /// Close the connection after writing what is queued for it.
    Disconnect {
        /// The connection.
        peer: PeerId,
        /// Why.
        reason: DisconnectReason,
    },
    /// Open a connection to `addr` and report it with [`Node::handle_connected`] (with
    /// [`Direction::Outbound`] and this target) or [`Node::handle_dial_failed`].
    Dial {
        /// The connection-manager target.
        target: TargetId,
        /// Where to connect.
        addr: String,
    },
    /// Persist this best-chain change in one store transaction before anything else.
    Persist(ChainUpdate),
    /// Core: store this manual ban (Core's `BanMan::Ban` writes `banlist.json` at once), so
    /// that [`Node::with_bans`] gets it back after a restart.
    PersistBan(Ban),
    /// Record this event.
    Event(Event),
}

/// The header-sync node's state machine. See the module docs for the calling contract.
pub struct Node {
    config: Config,
    rng: ChaCha8Rng,
    chain: HeaderChain,
    peers: BTreeMap<PeerId, Peer>,
    next_peer_id: u64,
    sent_nonces: VecDeque<u64>,
    sync: SyncManager,
    connections: ConnectionManager,
    /// Core: addresses (host part) discouraged for misbehaviour, in memory only (D27, D31).
    discouraged: BTreeSet<String>,
    /// Manually banned hosts and when their ban ends (Unix ms): btcd `state.banned`, in memory
    /// only; Core `BanMan`, persisted (D31).
    banned: BTreeMap<String, u64>,
    /// Core: the last block hash whose `inv` started a header sync with a peer that was not
    /// syncing yet (`m_last_block_inv_triggering_headers_sync`).
    last_inv_triggering_sync: Option<BlockHash>,
    /// Core: outbound peers protected from the chain-sync eviction
    /// (`m_outbound_peers_with_protect_from_disconnect`).
    protected_outbound_peers: usize,
    /// Core: initial block download ended, for good (`m_cached_finished_ibd`).
    ibd_finished: bool,
    outputs: VecDeque<Output>,
}

impl Node {
    /// A node with `chain` (as loaded from the store) at time `now_ms`. Dials for every
    /// configured outbound address are queued at once.
    pub fn new(config: Config, chain: HeaderChain, now_ms: u64) -> Node {
        Node::with_bans(config, chain, Vec::new(), now_ms)
    }

    /// [`Node::new`] with the manual bans a previous run persisted ([`Output::PersistBan`]).
    /// Under Core those still running are restored, each with a [`Event::BanLoaded`]; btcd
    /// keeps bans in memory only (`server.go` `state.banned`), so it starts without them.
    pub fn with_bans(config: Config, mut chain: HeaderChain, bans: Vec<Ban>, now_ms: u64) -> Node {
        if config.profile == Profile::Btcd {
            chain.set_checkpoints(config.checkpoints.iter().copied());
        }
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        let sync = SyncManager::new(now_ms, &config.timing);
        let mut connections = ConnectionManager::new(&config.connect, now_ms);
        if config.connect.is_empty() {
            connections = connections.with_automatic(
                &config.addresses,
                config.target_outbound,
                config.profile,
                now_ms,
            );
        }
        let banned: BTreeMap<String, u64> = match config.profile {
            Profile::Btcd => BTreeMap::new(),
            Profile::Core => bans
                .into_iter()
                .filter(|b| b.ban_until_ms > now_ms)
                .map(|b| (b.host, b.ban_until_ms))
                .collect(),
        };
        let mut node = Node {
            config,
            rng,
            chain,
            peers: BTreeMap::new(),
            next_peer_id: 1,
            sent_nonces: VecDeque::new(),
            sync,
            connections,
            discouraged: BTreeSet::new(),
            banned,
            last_inv_triggering_sync: None,
            protected_outbound_peers: 0,
            ibd_finished: false,
            outputs: VecDeque::new(),
        };
        node.event(Event::Started {
            tip_height: node.chain.tip_height(),
            tip_hash: node.chain.tip_hash(),
            chainwork: node.chain.tip_chainwork(),
        });
        let loaded: Vec<(String, u64)> = node
            .banned
            .iter()
            .map(|(h, until)| (h.clone(), *until))
            .collect();
        for (host, ban_until_ms) in loaded {
            node.event(Event::BanLoaded {
                host,
                remaining_s: (ban_until_ms - now_ms).div_ceil(1000),
            });
        }
        node.dial_due(now_ms);
        node
    }

    /// The header chain (best chain and every known branch).
    pub fn chain(&self) -> &HeaderChain {
        &self.chain
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connected peers (handshake finished or not).
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Peers whose handshake finished.
    pub fn ready_peer_count(&self) -> usize {
        self.peers.values().filter(|p| p.is_ready()).count()
    }

    /// The current sync peer: btcd's single `syncPeer`; under Core the lowest-numbered peer
    /// whose initial header sync was started (`fSyncStarted`).
    pub fn sync_peer(&self) -> Option<PeerId> {
        match self.config.profile {
            Profile::Btcd => self.sync.sync_peer(),
            Profile::Core => self.peers.values().find(|p| p.sync_started).map(|p| p.id),
        }
    }

    /// The next output to execute, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The earliest time at which [`Node::handle_tick`] must run.
    pub fn poll_timeout(&self) -> Option<u64> {
        let timing = &self.config.timing;
        let profile = self.config.profile;
        let peers = self
            .peers
            .values()
            .map(|p| p.next_deadline_ms(timing, profile))
            .min();
        let sampler = (profile == Profile::Btcd).then(|| self.sync.next_deadline_ms());
        [peers, sampler, self.connections.next_deadline_ms()]
            .into_iter()
            .flatten()
            .min()
    }

    /// A connection was established. Returns its id; for an outbound peer our `version` is
    /// queued at once (btcd `negotiateOutboundProtocol`, Core `PushNodeVersion`), an inbound
    /// peer must speak first.
    pub fn handle_connected(&mut self, addr: String, direction: Direction, now_ms: u64) -> PeerId {
        let id = PeerId(self.next_peer_id);
        self.next_peer_id += 1;
        self.event(Event::Connected {
            peer: id,
            addr: addr.clone(),
            direction,
        });
        let inbound = self
            .peers
            .values()
            .filter(|p| p.direction == Direction::Inbound)
            .count();
        self.peers
            .insert(id, Peer::new(id, addr, direction, now_ms));
        match direction {
            Direction::Outbound(target) => {
                self.connections.on_connected(target, id, now_ms);
                let version = self.our_version(id, now_ms);
                self.send(id, NetworkMessage::Version(version), now_ms);
            }
            Direction::Inbound if self.core_refuses_banned(id, now_ms) => {}
            Direction::Inbound if inbound >= self.config.inbound_max => {
                self.disconnect(id, DisconnectReason::TooManyInbound, now_ms);
            }
            Direction::Inbound => {}
        }
        id
    }

    /// A dial for `target` failed with `error`.
    pub fn handle_dial_failed(&mut self, target: TargetId, error: String, now_ms: u64) {
        let retry_in_ms = self
            .connections
            .on_failed(target, now_ms, &self.config.timing);
        let addr = self
            .connections
            .addr(target)
            .unwrap_or_default()
            .to_string();
        let failed_attempts = self
            .connections
            .is_automatic(target)
            .then(|| self.connections.failed_attempts());
        self.event(Event::DialFailed {
            addr,
            error,
            retry_in_ms,
            failed_attempts,
        });
    }

    /// Bans `host` (an address without its port) for `duration` from `now_ms`: its connected
    /// peers are disconnected, its inbound connections refused (Core at accept, btcd once the
    /// handshake is done) and automatic connections skip it. Core's `setban add` keeps the
    /// later end of an existing ban and persists it ([`Output::PersistBan`]); btcd's
    /// `state.banned[host] = now + BanDuration` overwrites it, in memory only.
    pub fn ban(&mut self, host: &str, duration: std::time::Duration, now_ms: u64) {
        let duration_ms = ms(duration);
        let ban_until_ms = now_ms.saturating_add(duration_ms);
        let until = self.banned.entry(host.to_string()).or_insert(0);
        *until = match self.config.profile {
            Profile::Btcd => ban_until_ms,
            Profile::Core => ban_until_ms.max(*until),
        };
        let ban = Ban {
            host: host.to_string(),
            ban_until_ms: *until,
        };
        let duration_s = duration_ms / 1000;
        self.event(Event::Banned {
            host: host.to_string(),
            duration_s,
        });
        if self.config.profile == Profile::Core {
            self.outputs.push_back(Output::PersistBan(ban));
        }
        let ids: Vec<PeerId> = self
            .peers
            .values()
            .filter(|p| host_of(&p.addr) == host)
            .map(|p| p.id)
            .collect();
        for id in ids {
            self.disconnect(id, DisconnectReason::Banned { duration_s }, now_ms);
        }
    }

    /// Milliseconds left of `host`'s ban at `now_ms`, if it is banned.
    fn ban_remaining_ms(&self, host: &str, now_ms: u64) -> Option<u64> {
        self.banned
            .get(host)
            .filter(|&&until| until > now_ms)
            .map(|until| until - now_ms)
    }

    /// Core `CreateNodeFromAcceptedSocket`: drops an inbound connection from a banned host
    /// unless it has NoBan. Returns whether it did.
    fn core_refuses_banned(&mut self, peer: PeerId, now_ms: u64) -> bool {
        let Some(p) = self.peers.get(&peer) else {
            return false;
        };
        let host = host_of(&p.addr).to_string();
        if self.config.profile != Profile::Core
            || self.is_noban(peer)
            || self.ban_remaining_ms(&host, now_ms).is_none()
        {
            return false;
        }
        self.disconnect(peer, DisconnectReason::InboundBanned { host }, now_ms);
        true
    }

    /// btcd `handleAddPeerMsg`: once the handshake is done, a peer (inbound or outbound) of a
    /// banned host is disconnected; an expired ban is forgotten. Returns whether it was.
    fn btcd_refuses_banned(&mut self, peer: PeerId, now_ms: u64) -> bool {
        let Some(p) = self.peers.get(&peer) else {
            return false;
        };
        let host = host_of(&p.addr).to_string();
        if self.config.profile != Profile::Btcd || !self.banned.contains_key(&host) {
            return false;
        }
        match self.ban_remaining_ms(&host, now_ms) {
            Some(remaining_ms) => {
                let remaining_s = remaining_ms.div_ceil(1000);
                self.disconnect(
                    peer,
                    DisconnectReason::StillBanned { host, remaining_s },
                    now_ms,
                );
                true
            }
            None => {
                self.banned.remove(&host);
                false
            }
        }
    }

    /// The connection ended without the node asking (remote close, reset, write failure).
    pub fn handle_disconnected(&mut self, peer: PeerId, error: Option<String>, now_ms: u64) {
        if self.peers.contains_key(&peer) {
            self.event(Event::PeerClosed { peer, error });
            self.remove_peer(peer, now_ms);
        }
    }

    /// The peer's byte stream could not be decoded.
    ///
    /// btcd answers every such error with `reject(malformed)` when the negotiated version
    /// allows it, then disconnects (D17, D18). Core drops a frame with a bad checksum or an
    /// undecodable payload and keeps the peer (its transport skips the frame); a wrong magic,
    /// an oversized length or invalid command bytes end the connection.
    pub fn handle_frame_error(&mut self, peer: PeerId, error: DecodeError, now_ms: u64) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.received_any = true;
        if self.config.profile == Profile::Core {
            if error.is_recoverable() {
                self.event(Event::Dropped {
                    peer,
                    reason: DropReason::Frame(error),
                });
            } else {
                self.disconnect(peer, DisconnectReason::Frame(error), now_ms);
            }
            return;
        }
        // btcd writes the reject for a `wire.MessageError` (magic, command, length, checksum);
        // a payload that ends early is an `io.ErrUnexpectedEOF` and gets none.
        let undecodable = matches!(error, DecodeError::Undecodable { .. });
        if p.is_ready() && p.negotiated_version >= REJECT_VERSION && !undecodable {
            let reason = format!("Can't read message from {}: {error}", p.addr);
            self.send_reject(peer, "malformed", RejectReason::Malformed, reason, now_ms);
        }
        self.disconnect(peer, DisconnectReason::Frame(error), now_ms);
    }

    /// The runtime could not queue a message for `peer`: disconnect it.
    pub fn handle_queue_full(&mut self, peer: PeerId, now_ms: u64) {
        if self.peers.contains_key(&peer) {
            self.disconnect(peer, DisconnectReason::OutboundQueueFull, now_ms);
        }
    }

    /// Disconnects every peer (clean shutdown).
    pub fn shutdown(&mut self, now_ms: u64) {
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            self.disconnect(id, DisconnectReason::Shutdown, now_ms);
        }
    }

    /// A decoded message from `peer`.
    pub fn handle_message(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if !(deliberate_bugs::is(Bug::IdleTimerNotReset) && p.state == HandshakeState::Ready) {
            p.last_recv_ms = now_ms;
        }
        p.received_any = true;
        let state = p.state;
        let summary = MessageSummary::of(&message, &self.chain);
        self.event(Event::Received {
            peer,
            message: summary,
        });
        match (self.config.profile, state) {
            (_, HandshakeState::Ready) => self.on_ready_message(peer, message, now_ms),
            (Profile::Btcd, HandshakeState::AwaitVersion) => match message {
                NetworkMessage::Version(version) => self.on_version(peer, version, now_ms),
                other => {
                    let command = wire::command_name(&other);
                    let reason = "a version message must precede all others".to_string();
                    self.send_reject(peer, "version", RejectReason::Malformed, reason, now_ms);
                    self.disconnect(
                        peer,
                        DisconnectReason::FirstMessageNotVersion { command },
                        now_ms,
                    );
                }
            },
            (Profile::Btcd, HandshakeState::AwaitVerack) => match message {
                NetworkMessage::Verack => self.on_verack(peer, now_ms),
                NetworkMessage::Version(_) => {
                    self.disconnect(peer, DisconnectReason::DuplicateVersion, now_ms)
                }
                NetworkMessage::SendAddrV2 => {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.wants_addrv2 = true;
                    }
                }
                // Feature negotiation that modern peers send around verack; btcd skips what it
                // does not know, and `sendheaders` is tolerated as well.
                NetworkMessage::WtxidRelay
                | NetworkMessage::SendCmpct(_)
                | NetworkMessage::SendHeaders
                | NetworkMessage::FeeFilter(_)
                | NetworkMessage::Unknown { .. } => {}
                other => {
                    let command = wire::command_name(&other);
                    self.disconnect(
                        peer,
                        DisconnectReason::UnexpectedBeforeVerack { command },
                        now_ms,
                    );
                }
            },
            // Core `ProcessMessage`: before `version` everything is ignored ("non-version
            // message before version handshake"); before `verack` only `verack`, a redundant
            // `version` (ignored) and the feature messages count ("prior to verack").
            (Profile::Core, HandshakeState::AwaitVersion) => match message {
                NetworkMessage::Version(version) => self.on_version(peer, version, now_ms),
                other => {
                    let reason = DropReason::BeforeVersion {
                        command: other.command(),
                    };
                    self.event(Event::Dropped { peer, reason });
                }
            },
            (Profile::Core, HandshakeState::AwaitVerack) => match message {
                NetworkMessage::Verack => self.on_verack(peer, now_ms),
                NetworkMessage::SendAddrV2 => {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.wants_addrv2 = true;
                    }
                }
                NetworkMessage::WtxidRelay => {}
                NetworkMessage::Version(_) => {
                    self.event(Event::Dropped {
                        peer,
                        reason: DropReason::RedundantVersion,
                    });
                }
                other => {
                    let reason = DropReason::BeforeVerack {
                        command: other.command(),
                    };
                    self.event(Event::Dropped { peer, reason });
                }
            },
        }
        if self.config.profile == Profile::Core {
            self.core_consider_eviction_all(now_ms);
        }
    }

    /// Runs every timer that is due at `now_ms`.
    pub fn handle_tick(&mut self, now_ms: u64) {
        match self.config.profile {
            Profile::Btcd => self.btcd_tick(now_ms),
            Profile::Core => {
                self.core_tick(now_ms);
                self.core_consider_eviction_all(now_ms);
            }
        }
        self.dial_due(now_ms);
    }

    /// btcd's timers: the negotiation timeout, `inHandler`'s idle timer, `stallHandler`'s
    /// 15-s ticker, `pingHandler`'s 2-min ticker and the sync manager's 30-s sampler.
    fn btcd_tick(&mut self, now_ms: u64) {
        let timing = self.config.timing.clone();
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if !p.is_ready() {
                if now_ms >= p.handshake_deadline_ms(&timing) {
                    let timeout_ms = ms(timing.handshake_timeout);
                    self.disconnect(
                        id,
                        DisconnectReason::HandshakeTimeout { timeout_ms },
                        now_ms,
                    );
                }
                continue;
            }
            if now_ms >= p.idle_deadline_ms(&timing) {
                let timeout_ms = ms(timing.idle_timeout);
                self.disconnect(id, DisconnectReason::Idle { timeout_ms }, now_ms);
                continue;
            }
            if now_ms >= p.next_stall_tick_ms {
                let interval_ms = ms(timing.stall_tick_interval).max(1);
                while p.next_stall_tick_ms <= now_ms {
                    p.next_stall_tick_ms += interval_ms;
                }
                // btcd `stallHandler`: a deadline is missed once `!now.Before(deadline)`.
                if p.headers_deadline_ms(&timing)
                    .is_some_and(|deadline| now_ms >= deadline)
                {
                    let waited_ms = now_ms - p.getheaders_sent_ms.unwrap_or(now_ms);
                    let reason = DisconnectReason::Stalled {
                        command: "headers",
                        waited_ms,
                    };
                    self.disconnect(id, reason, now_ms);
                    continue;
                }
            }
            if now_ms >= p.next_ping_ms {
                let interval_ms = ms(timing.ping_interval).max(1);
                while p.next_ping_ms <= now_ms {
                    p.next_ping_ms += interval_ms;
                }
                // btcd sends the ping nonce from `wire.RandomUint64`; a nonce of 0 would not be
                // matched by Core, so avoid it.
                let nonce = self.rng.next_u64().max(1);
                if let Some(p) = self.peers.get_mut(&id) {
                    if p.negotiated_version > BIP0031_VERSION {
                        p.ping_in_flight = Some((nonce, now_ms));
                    }
                }
                self.send(id, NetworkMessage::Ping(nonce), now_ms);
            }
        }
        let best_height = self.chain.tip_height();
        let peers = &self.peers;
        let verdict = self.sync.sample(
            now_ms,
            &timing,
            |id| peers.get(&id).map_or(0, Peer::start_height),
            best_height,
        );
        match verdict {
            StallVerdict::Fine => {}
            StallVerdict::Unset(_) => {
                self.event(Event::SyncPeer { peer: None });
                self.start_sync(now_ms);
            }
            StallVerdict::Disconnect(peer) => {
                let advertised_height = self.peers.get(&peer).map_or(0, Peer::start_height);
                self.event(Event::SyncPeer { peer: None });
                self.disconnect(
                    peer,
                    DisconnectReason::SyncStalled {
                        advertised_height,
                        best_height,
                    },
                    now_ms,
                );
                self.start_sync(now_ms);
            }
        }
    }

    /// Core's per-peer checks, each with a strict `>`: `CConnman::InactivityCheck` (`net.cpp`),
    /// `MaybeSendPing`, and the headers-sync timeout of `SendMessages` (`net_processing.cpp`).
    fn core_tick(&mut self, now_ms: u64) {
        let timing = self.config.timing.clone();
        let handshake_ms = ms(timing.handshake_timeout);
        let idle_ms = ms(timing.idle_timeout);
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.peers.get(&id) else {
                continue;
            };
            // InactivityCheck starts once the connection is older than the peer timeout.
            if now_ms > p.connected_at_ms.saturating_add(handshake_ms) {
                let reason = if !p.received_any || p.last_send_ms.is_none() {
                    Some(DisconnectReason::NoMessageAtStart {
                        timeout_ms: handshake_ms,
                        never_received: !p.received_any,
                        never_sent: p.last_send_ms.is_none(),
                    })
                } else if p
                    .last_send_ms
                    .is_some_and(|t| now_ms > t.saturating_add(idle_ms))
                {
                    Some(DisconnectReason::SendTimeout {
                        timeout_ms: idle_ms,
                    })
                } else if now_ms > p.last_recv_ms.saturating_add(idle_ms) {
                    Some(DisconnectReason::ReceiveTimeout {
                        timeout_ms: idle_ms,
                    })
                } else if !p.is_ready() {
                    Some(DisconnectReason::HandshakeTimeout {
                        timeout_ms: handshake_ms,
                    })
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.disconnect(id, reason, now_ms);
                    continue;
                }
            }
            if !p.is_ready() {
                continue;
            }
            if let Some((_, sent_ms)) = p.ping_in_flight {
                if now_ms > sent_ms.saturating_add(ms(timing.ping_timeout)) {
                    self.disconnect(
                        id,
                        DisconnectReason::PingTimeout {
                            waited_ms: now_ms - sent_ms,
                        },
                        now_ms,
                    );
                    continue;
                }
            } else if p
                .ping_start_ms
                .is_none_or(|start| now_ms > start.saturating_add(ms(timing.ping_interval)))
            {
                self.core_send_ping(id, now_ms);
            }
            self.core_check_headers_sync_timeout(id, now_ms);
        }
        self.start_sync(now_ms);
    }

    /// Core `MaybeSendPing`: a fresh non-zero nonce, expected back only above BIP 31.
    fn core_send_ping(&mut self, peer: PeerId, now_ms: u64) {
        let nonce = self.rng.next_u64().max(1);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.ping_start_ms = Some(now_ms);
        if p.negotiated_version > BIP0031_VERSION {
            p.ping_in_flight = Some((nonce, now_ms));
        }
        self.send(peer, NetworkMessage::Ping(nonce), now_ms);
    }

    /// Core `SendMessages`, "Check for headers sync timeouts": while our best header is older
    /// than `max_tip_age`, a sync peer past its deadline is dropped if it is the only sync
    /// peer and another preferred (outbound) peer exists; once the best header is recent the
    /// deadline is cleared for good.
    fn core_check_headers_sync_timeout(&mut self, peer: PeerId, now_ms: u64) {
        let Some(deadline_ms) = self
            .peers
            .get(&peer)
            .and_then(|p| p.headers_sync_deadline_ms)
        else {
            return;
        };
        if !self.core_best_header_is_old(now_ms) {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.headers_sync_deadline_ms = None;
            }
            return;
        }
        if now_ms <= deadline_ms {
            return;
        }
        let sync_started = self.peers.values().filter(|p| p.sync_started).count();
        let preferred = self.core_preferred_peers();
        let this_preferred = self.peers.get(&peer).is_some_and(Peer::is_preferred);
        if sync_started == 1 && preferred - usize::from(this_preferred) >= 1 {
            let started = deadline_ms.saturating_sub(self.core_headers_sync_allowance_ms(now_ms));
            let waited_ms = now_ms.saturating_sub(started);
            if self.is_noban(peer) {
                // "Timeout downloading headers from noban peer, not disconnecting": the sync
                // state resets so that another peer can be tried.
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.sync_started = false;
                    p.headers_sync_deadline_ms = None;
                }
                let reason = DropReason::NoBanHeadersSyncTimeout { waited_ms };
                self.event(Event::Dropped { peer, reason });
                self.event(Event::SyncPeer { peer: None });
                return;
            }
            self.disconnect(
                peer,
                DisconnectReason::HeadersSyncTimeout { waited_ms },
                now_ms,
            );
        } else if let Some(p) = self.peers.get_mut(&peer) {
            // Nobody could take over: Core keeps checking on every pass; here the check runs
            // again with the node's other timers and whenever a peer finishes its handshake.
            p.headers_sync_overdue = true;
        }
    }

    /// Core `m_num_preferred_download_peers`: ready peers that are preferred for download.
    fn core_preferred_peers(&self) -> usize {
        self.peers
            .values()
            .filter(|p| p.is_ready() && p.is_preferred())
            .count()
    }

    /// True while our best header is older than `max_tip_age` (Core's initial-sync test on
    /// `m_best_header->Time()`; btcd's `IsCurrent` in its header-only reading).
    fn core_best_header_is_old(&self, now_ms: u64) -> bool {
        let tip_time_s = u64::from(self.chain.tip_header().time);
        tip_time_s.saturating_add(self.config.timing.max_tip_age.as_secs()) < now_ms / 1000
    }

    /// Core: how long an initial header sync started now may take: `HEADERS_DOWNLOAD_TIMEOUT_BASE`
    /// plus `HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER` per `nPowTargetSpacing` (600 s) between our
    /// best header's time and now, computed in microseconds as Core does and rounded up to
    /// whole milliseconds.
    fn core_headers_sync_allowance_ms(&self, now_ms: u64) -> u64 {
        let behind_s = (now_ms / 1000).saturating_sub(u64::from(self.chain.tip_header().time));
        let per_header_us = u64::try_from(
            self.config
                .timing
                .headers_download_timeout_per_header
                .as_micros(),
        )
        .unwrap_or(u64::MAX);
        let extra_us = per_header_us.saturating_mul(behind_s) / POW_TARGET_SPACING_S;
        ms(self.config.timing.headers_download_timeout_base).saturating_add(extra_us.div_ceil(1000))
    }

    fn on_version(&mut self, peer: PeerId, version: VersionMessage, now_ms: u64) {
        let core = self.config.profile == Profile::Core;
        let Some(direction) = self.peers.get(&peer).map(|p| p.direction) else {
            return;
        };
        let self_connection = if core {
            // Core `CheckIncomingNonce`: inbound only, against outbound connections that have
            // not finished their handshake.
            direction == Direction::Inbound
                && self.peers.values().any(|p| {
                    p.is_outbound() && !p.is_ready() && p.local_nonce == Some(version.nonce)
                })
        } else {
            self.sent_nonces.contains(&version.nonce)
        };
        if self_connection {
            self.disconnect(
                peer,
                DisconnectReason::SelfConnection {
                    nonce: version.nonce,
                },
                now_ms,
            );
            return;
        }
        if version.user_agent.len() > USER_AGENT_BYTES_MAX {
            let length_bytes = version.user_agent.len();
            if core {
                // Core reads the user agent as `LIMITED_STRING(256)`: a longer one throws, and
                // the whole message is dropped.
                let reason = DropReason::UserAgentTooLong { length_bytes };
                self.event(Event::Dropped { peer, reason });
            } else {
                self.disconnect(
                    peer,
                    DisconnectReason::UserAgentTooLong { length_bytes },
                    now_ms,
                );
            }
            return;
        }
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let negotiated = PROTOCOL_VERSION.min(version.version);
        p.negotiated_version = negotiated;
        p.remote = Some(RemoteVersion {
            version: version.version,
            services: version.services,
            start_height: version.start_height,
            user_agent: version.user_agent.clone(),
        });
        if matches!(direction, Direction::Outbound(_)) {
            if let Some(expected) = self.missing_services(version.services, now_ms) {
                if !core && negotiated >= REJECT_VERSION {
                    let reason = format!(
                        "required services {:#x} not offered",
                        ServiceFlags::NETWORK.to_u64()
                    );
                    self.send_reject(peer, "version", RejectReason::NonStandard, reason, now_ms);
                }
                let services = version.services.to_u64();
                self.disconnect(
                    peer,
                    DisconnectReason::MissingServices { services, expected },
                    now_ms,
                );
                return;
            }
        }
        let min = if core {
            PEER_PROTO_VERSION_MIN
        } else {
            ACCEPTABLE_PROTOCOL_VERSION_MIN
        };
        if version.version < min {
            // btcd builds a reject here but cannot encode it below `RejectVersion`; Core sends
            // none.
            self.disconnect(
                peer,
                DisconnectReason::ObsoleteVersion {
                    version: version.version,
                    min,
                },
                now_ms,
            );
            return;
        }
        if direction == Direction::Inbound {
            let ours = self.our_version(peer, now_ms);
            self.send(peer, NetworkMessage::Version(ours), now_ms);
        }
        if core && negotiated >= WTXID_RELAY_VERSION {
            self.send(peer, NetworkMessage::WtxidRelay, now_ms);
        }
        if negotiated >= ADDRV2_VERSION {
            self.send(peer, NetworkMessage::SendAddrV2, now_ms);
        }
        self.send(peer, NetworkMessage::Verack, now_ms);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.state = HandshakeState::AwaitVerack;
        }
    }

    /// The service bits an outbound peer's `services` lack, as the profile's full expected
    /// mask, or `None` if it offers enough. btcd needs `NODE_NETWORK` (`server.go OnVersion`).
    /// Core needs `NODE_NETWORK|NODE_WITNESS`, or `NODE_NETWORK_LIMITED|NODE_WITNESS` from a
    /// peer that sets `NODE_NETWORK_LIMITED` while our best header is less than `max_tip_age`
    /// old (`GetDesirableServiceFlags`, `HasAllDesirableServiceFlags` in `net_processing.cpp`).
    fn missing_services(&self, services: ServiceFlags, now_ms: u64) -> Option<u64> {
        match self.config.profile {
            Profile::Btcd => {
                (!services.has(ServiceFlags::NETWORK)).then(|| ServiceFlags::NETWORK.to_u64())
            }
            Profile::Core => {
                let limited_ok = services.has(ServiceFlags::NETWORK_LIMITED)
                    && !self.core_best_header_is_old(now_ms);
                let expected = if limited_ok {
                    ServiceFlags::NETWORK_LIMITED | ServiceFlags::WITNESS
                } else {
                    ServiceFlags::NETWORK | ServiceFlags::WITNESS
                };
                (!services.has(expected)).then(|| expected.to_u64())
            }
        }
    }

    fn on_verack(&mut self, peer: PeerId, now_ms: u64) {
        let timing = self.config.timing.clone();
        let profile = self.config.profile;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.set_ready(now_ms, &timing, profile);
        let remote = p.remote.clone().unwrap_or(RemoteVersion {
            version: 0,
            services: ServiceFlags::NONE,
            start_height: 0,
            user_agent: String::new(),
        });
        let version = p.negotiated_version;
        self.event(Event::HandshakeDone {
            peer,
            version,
            services: remote.services.to_u64(),
            start_height: remote.start_height,
            user_agent: remote.user_agent,
        });
        if self.btcd_refuses_banned(peer, now_ms) {
            return;
        }
        if profile == Profile::Core {
            // Core's first `SendMessages` pass after `fSuccessfullyConnected`: the ping, then
            // the initial `getheaders`. A new preferred peer may also let an overdue
            // headers-sync timeout fire.
            self.core_send_ping(peer, now_ms);
            let ids: Vec<PeerId> = self.peers.keys().copied().collect();
            for id in ids {
                self.core_check_headers_sync_timeout(id, now_ms);
            }
        }
        self.start_sync(now_ms);
    }

    fn on_ready_message(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        let core = self.config.profile == Profile::Core;
        match message {
            NetworkMessage::Version(_) if core => {
                self.event(Event::Dropped {
                    peer,
                    reason: DropReason::RedundantVersion,
                });
            }
            NetworkMessage::Verack if core => {
                self.event(Event::Dropped {
                    peer,
                    reason: DropReason::RedundantVerack,
                });
            }
            NetworkMessage::Version(_) => {
                let reason = "duplicate version message".to_string();
                self.send_reject(peer, "version", RejectReason::Duplicate, reason, now_ms);
                self.disconnect(peer, DisconnectReason::DuplicateVersion, now_ms);
            }
            NetworkMessage::Verack => {
                let reason = "duplicate verack message".to_string();
                self.send_reject(peer, "verack", RejectReason::Duplicate, reason, now_ms);
                self.disconnect(peer, DisconnectReason::DuplicateVerack, now_ms);
            }
            NetworkMessage::SendAddrV2 => {
                self.disconnect(peer, DisconnectReason::SendAddrV2AfterHandshake, now_ms)
            }
            NetworkMessage::WtxidRelay if core => {
                self.disconnect(peer, DisconnectReason::WtxidRelayAfterHandshake, now_ms)
            }
            NetworkMessage::Ping(nonce)
                if self
                    .peers
                    .get(&peer)
                    .is_some_and(|p| p.negotiated_version > BIP0031_VERSION) =>
            {
                self.send(peer, NetworkMessage::Pong(nonce), now_ms);
            }
            NetworkMessage::Pong(nonce) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    // btcd `handlePongMsg`: only the nonce of the last ping counts; anything
                    // else is ignored, never punished. Core: a matching nonce finishes the
                    // ping, a zero nonce cancels it, a mismatch leaves it outstanding.
                    if let Some((expected, sent_ms)) = p.ping_in_flight {
                        if expected == nonce || deliberate_bugs::is(Bug::PingNonceUnchecked) {
                            p.last_rtt_ms = Some(now_ms - sent_ms);
                            p.ping_in_flight = None;
                        } else if core && nonce == 0 {
                            p.ping_in_flight = None;
                        }
                    }
                }
            }
            NetworkMessage::SendHeaders => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.wants_headers_announcements = true;
                }
            }
            NetworkMessage::Headers(headers) if core => self.core_on_headers(peer, headers, now_ms),
            NetworkMessage::Headers(headers) => self.btcd_on_headers(peer, headers, now_ms),
            NetworkMessage::GetHeaders(request) => self.on_getheaders(peer, request, now_ms),
            NetworkMessage::Inv(inventory) => self.on_inv(peer, &inventory, now_ms),
            // Everything else (inv, addr, reject, unknown commands...) is ignored by a
            // header-only node; receiving it already reset the idle timer.
            _ => {}
        }
    }

    /// A block announcement by `inv`; a header-only node answers with `getheaders` where a
    /// full node would fetch the block.
    ///
    /// Core (`ProcessMessage` INV): for the last block hash we do not know, a peer whose
    /// header sync started gets `getheaders` from our best header (rate-limited); a peer whose
    /// sync has not started gets one only for its first such `inv`, and only if the hash
    /// differs from the one that last did this, so each new block adds at most one syncing
    /// peer. btcd (`handleInvMsg`): while not current (best header older than `max_tip_age`)
    /// inventory is only recorded; once current, an unknown block gets `getheaders([best])`
    /// (header-only adaptation of btcd's `getdata`).
    fn on_inv(&mut self, peer: PeerId, inventory: &[wire::Inventory], now_ms: u64) {
        if self.config.profile == Profile::Core {
            // Core `UpdateBlockAvailability` for every block announced.
            for item in inventory {
                if let wire::Inventory::Block(hash) | wire::Inventory::WitnessBlock(hash) = item {
                    self.core_update_block_availability(peer, *hash);
                }
            }
        }
        let Some(unknown) = inventory
            .iter()
            .rev()
            .filter_map(|item| match item {
                wire::Inventory::Block(hash) | wire::Inventory::WitnessBlock(hash) => Some(*hash),
                _ => None,
            })
            .find(|hash| !self.chain.contains(hash))
        else {
            return;
        };
        match self.config.profile {
            Profile::Btcd => {
                if !self.core_best_header_is_old(now_ms) {
                    let locator = vec![self.chain.tip_hash()];
                    self.send_getheaders(peer, locator, now_ms);
                }
            }
            Profile::Core => {
                let Some(p) = self.peers.get(&peer) else {
                    return;
                };
                let (started, triggered) = (p.sync_started, p.inv_triggered_getheaders);
                if !(started || (!triggered && self.last_inv_triggering_sync != Some(unknown))) {
                    return;
                }
                let locator = self.chain.locator();
                self.core_maybe_send_getheaders(peer, locator, now_ms);
                if !started {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.inv_triggered_getheaders = true;
                    }
                    self.last_inv_triggering_sync = Some(unknown);
                }
            }
        }
    }

    /// Adds a `headers` message to the chain in `order`'s way (Core: proof of work and
    /// continuity of the whole message first; btcd: header by header), persists and reports
    /// what changed. `received` is the size of the message that delivered them (a Core
    /// low-work sync may release more headers at once, buffered from earlier messages).
    /// `hashes[i]` is `headers[i].block_hash()`, computed once by the caller. Returns the
    /// import outcome (`None` for an empty message), its `update` already moved into the
    /// [`Output::Persist`].
    fn import_headers(
        &mut self,
        peer: PeerId,
        headers: &[Header],
        hashes: &[BlockHash],
        received: usize,
        now_ms: u64,
        order: Profile,
    ) -> Option<header_chain::Import> {
        let now_s = now_ms / 1000;
        let mut import = (!headers.is_empty()).then(|| match order {
            Profile::Core => self.chain.accept_hashed_headers(headers, hashes, now_s),
            Profile::Btcd => self
                .chain
                .accept_hashed_headers_in_order(headers, hashes, now_s),
        });
        if let Some(update) = import.as_mut().and_then(|i| i.update.take()) {
            self.outputs.push_back(Output::Persist(update));
            let tip = Event::TipChanged {
                height: self.chain.tip_height(),
                hash: self.chain.tip_hash(),
                chainwork: self.chain.tip_chainwork(),
                reorg_depth: import.as_ref().map_or(0, |i| i.reorg_depth),
            };
            self.event(tip);
        }
        let accepted = import.as_ref().map_or(0, |i| i.accepted);
        self.event(Event::HeadersImported {
            peer,
            received,
            accepted,
            tip_height: self.chain.tip_height(),
        });
        import
    }

    /// btcd B26 `handleHeadersMsg`: headers are checked in order, proof of work included, and
    /// the first failure disconnects, the headers before it kept (D15); the sync peer is asked again with the one-entry locator
    /// `[best header]` while our best header is below its advertised height (D13, D26).
    fn btcd_on_headers(&mut self, peer: PeerId, headers: Vec<Header>, now_ms: u64) {
        if headers.len() > wire::HEADERS_PER_MESSAGE_MAX {
            // btcd refuses the payload as longer than `MsgHeaders.MaxPayloadLength` (162,009
            // bytes) while reading it, and answers `reject(malformed)`.
            let reason = format!(
                "headers message with {} headers exceeds {}",
                headers.len(),
                wire::HEADERS_PER_MESSAGE_MAX
            );
            self.send_reject(peer, "headers", RejectReason::Malformed, reason, now_ms);
            self.disconnect(
                peer,
                DisconnectReason::TooManyHeaders {
                    count: headers.len(),
                },
                now_ms,
            );
            return;
        }
        // Any `headers` message, even an empty one, clears the deadline (btcd `stallControl`).
        if let Some(p) = self.peers.get_mut(&peer) {
            p.getheaders_sent_ms = None;
        }
        if headers.is_empty() {
            self.event(Event::HeadersImported {
                peer,
                received: 0,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        self.sync.on_headers(peer, now_ms);
        let hashes: Vec<BlockHash> = headers.iter().map(Header::block_hash).collect();
        let import = self.import_headers(
            peer,
            &headers,
            &hashes,
            headers.len(),
            now_ms,
            Profile::Btcd,
        );
        if let Some(error) = import.and_then(|i| i.error) {
            self.disconnect(peer, DisconnectReason::InvalidHeader(error), now_ms);
            return;
        }
        if self.sync.sync_peer() != Some(peer) {
            return;
        }
        let advertised = self.peers.get(&peer).map_or(0, Peer::start_height);
        if i64::from(self.chain.tip_height()) < i64::from(advertised) {
            // Departure from B26 (its F04 fragility): when the batch ended on a branch other
            // than our best, the peer is walking its own chain up from our fork point and may
            // not know our best header. `[best]` would make it answer from the fork point
            // again, and `PushGetHeadersMsg` would then suppress the identical repeat, so the
            // sync would stop for good. Ask with the full locator from the batch's last header
            // instead, as Core does (found by `sim explore`, seed 5).
            let last = hashes
                .last()
                .copied()
                .unwrap_or_else(|| self.chain.tip_hash());
            let off_best =
                self.chain.active_height_of(&last).is_none() && self.chain.contains(&last);
            let locator = if off_best && !deliberate_bugs::is(Bug::FollowUpFromBest) {
                self.chain.locator_from(&last)
            } else {
                vec![self.chain.tip_hash()]
            };
            self.send_getheaders(peer, locator, now_ms);
        } else {
            // The sync peer's advertised tip is reached: look for a higher peer.
            self.sync.unset();
            self.event(Event::SyncPeer { peer: None });
            self.start_sync(now_ms);
        }
    }

    /// Core `ProcessHeadersMessage`, in its order:
    ///
    /// 1. more than 2000 headers disconnects and discourages; an empty message ends any
    ///    low-work sync and counts as the answer to our last `getheaders`;
    /// 2. proof of work and continuity of the whole message (`CheckHeadersPoW`);
    /// 3. a low-work sync in progress takes the message (`IsContinuationOfLowWorkHeadersSync`)
    ///    and may hand back headers that passed its commitment checks;
    /// 4. headers whose first does not connect get a `getheaders`, no penalty (D14);
    /// 5. unless the headers are already on our best chain or the peer has NoBan, a chain
    ///    whose claimed work stays below the anti-DoS threshold is ignored, or synced without
    ///    being stored if the message was full (`TryLowWorkHeadersSync`, V10, V11);
    /// 6. header-by-header acceptance, where every failure but `time-too-new` (D16)
    ///    disconnects and discourages;
    /// 7. a full message of 2000 asks for more with a full locator from its last header (D13,
    ///    D26), and the peer's best known header, the initial-sync work check and the eviction
    ///    protection are updated (`UpdatePeerStateForReceivedHeaders`).
    fn core_on_headers(&mut self, peer: PeerId, headers: Vec<Header>, now_ms: u64) {
        let count = headers.len();
        if count > wire::HEADERS_PER_MESSAGE_MAX {
            self.misbehaving(peer, DisconnectReason::TooManyHeaders { count }, now_ms);
            return;
        }
        if headers.is_empty() {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.last_getheaders_ms = None;
                if p.headers_presync.take().is_some() {
                    let step = HeadersSyncStep::ResetByEmptyHeaders;
                    self.event(Event::HeadersSync { peer, step });
                }
            }
            self.event(Event::HeadersImported {
                peer,
                received: 0,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        let mut hashes = match self.chain.check_headers_message(&headers) {
            Ok(hashes) => hashes,
            Err(error) => {
                if deliberate_bugs::is(Bug::RejectedBatchStored) {
                    self.deliberately_store_rejected_prefix(&headers, &error);
                }
                self.misbehaving(peer, DisconnectReason::InvalidHeader(error), now_ms);
                return;
            }
        };
        let full = if deliberate_bugs::is(Bug::BoundaryOffByOne) {
            count > wire::HEADERS_PER_MESSAGE_MAX
        } else {
            count == wire::HEADERS_PER_MESSAGE_MAX
        };
        let mut headers = headers;
        let mut already_validated_work = false;
        if let Some(presync) = self
            .peers
            .get_mut(&peer)
            .and_then(|p| p.headers_presync.take())
        {
            let (success, released) =
                self.core_continue_presync(peer, presync, &headers, full, now_ms);
            if success {
                already_validated_work = true;
                headers = released;
                hashes = headers.iter().map(Header::block_hash).collect();
                if headers.is_empty() {
                    self.event(Event::HeadersImported {
                        peer,
                        received: count,
                        accepted: 0,
                        tip_height: self.chain.tip_height(),
                    });
                    return;
                }
            }
        }
        let have_headers_sync = self
            .peers
            .get(&peer)
            .is_some_and(|p| p.headers_presync.is_some());
        let first_hash = hashes[0];
        let Some(chain_start) = self.chain.get(&headers[0].prev_blockhash).copied() else {
            self.event(Event::Unconnecting {
                peer,
                hash: first_hash,
            });
            let locator = self.chain.locator();
            self.core_maybe_send_getheaders(peer, locator, now_ms);
            return;
        };
        if let Some(p) = self.peers.get_mut(&peer) {
            p.last_getheaders_ms = None;
        }
        let last_hash = hashes[hashes.len() - 1];
        if self.chain.active_height_of(&last_hash).is_some() || self.is_noban(peer) {
            already_validated_work = true;
        }
        if !already_validated_work
            && self.core_try_low_work_headers_sync(peer, chain_start, &headers, now_ms)
        {
            self.event(Event::HeadersImported {
                peer,
                received: count,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        let import = self.import_headers(peer, &headers, &hashes, count, now_ms, Profile::Core);
        match import.and_then(|i| i.error) {
            None => {}
            Some(HeaderError::TimeTooNew { .. }) => return,
            Some(error) => {
                self.misbehaving(peer, DisconnectReason::InvalidHeader(error), now_ms);
                return;
            }
        }
        if full && !have_headers_sync {
            let locator = self.chain.locator_from(&last_hash);
            self.core_maybe_send_getheaders(peer, locator, now_ms);
        }
        self.core_update_peer_state_for_received_headers(peer, last_hash, full, now_ms);
    }

    /// Deliberate bug [`Bug::RejectedBatchStored`]: the headers of a rejected message up to
    /// its first bad one are persisted, though the index never took them.
    fn deliberately_store_rejected_prefix(&mut self, headers: &[Header], error: &HeaderError) {
        let bad = match error {
            HeaderError::HighHash { index, .. } | HeaderError::NonContinuous { index, .. } => {
                *index
            }
            _ => return,
        };
        if bad == 0 || headers[0].prev_blockhash != self.chain.tip_hash() {
            return;
        }
        let update = ChainUpdate::new(self.chain.tip_height() + 1, headers[..bad].to_vec());
        self.outputs.push_back(Output::Persist(update));
    }

    /// Core `GetAntiDoSWorkThreshold`: the larger of our tip's work less 144 blocks' worth
    /// of its proof and the configured minimum chain work.
    fn core_anti_dos_work_threshold(&self) -> Work {
        let tip_work = self.chain.tip_chainwork();
        let proof = self.chain.tip_header().work();
        let mut buffer = Work::from_be_bytes([0; 32]);
        for _ in 0..ANTI_DOS_TIP_BUFFER_BLOCKS {
            buffer = buffer + proof;
            if buffer >= tip_work {
                break;
            }
        }
        let near_tip = if buffer >= tip_work {
            Work::from_be_bytes([0; 32])
        } else {
            tip_work - buffer
        };
        near_tip.max(self.config.minimum_chain_work)
    }

    /// Core `TryLowWorkHeadersSync`: `true` if the headers were taken out of normal processing
    /// because the chain they claim (from `chain_start`) has less work than the anti-DoS
    /// threshold. A full message starts a low-work sync; a shorter one is ignored, with no
    /// penalty.
    fn core_try_low_work_headers_sync(
        &mut self,
        peer: PeerId,
        chain_start: IndexEntry,
        headers: &[Header],
        now_ms: u64,
    ) -> bool {
        let mut total_work = chain_start.chainwork;
        for header in headers {
            total_work = total_work + header.work();
        }
        let threshold = self.core_anti_dos_work_threshold();
        if total_work >= threshold {
            return false;
        }
        let height = u64::from(chain_start.height) + headers.len() as u64;
        if headers.len() == wire::HEADERS_PER_MESSAGE_MAX {
            let start_hash = chain_start.header.block_hash();
            let start = ChainStart {
                header: chain_start.header,
                height: chain_start.height,
                chainwork: chain_start.chainwork,
                median_time_past_s: self
                    .chain
                    .median_time_past(&start_hash)
                    .unwrap_or(chain_start.header.time),
            };
            let locator = self.chain.locator_from(&start_hash);
            let presync = HeadersPresync::new(
                self.chain.network(),
                start,
                locator,
                threshold,
                &mut self.rng,
                now_ms / 1000,
            );
            let step = HeadersSyncStep::Started {
                height: chain_start.height,
            };
            self.event(Event::HeadersSync { peer, step });
            // Failures end the sync inside; nothing is stored either way.
            let _ = self.core_continue_presync(peer, Box::new(presync), headers, true, now_ms);
        } else {
            let step = HeadersSyncStep::IgnoredLowWorkChain { height };
            self.event(Event::HeadersSync { peer, step });
        }
        true
    }

    /// Core `IsContinuationOfLowWorkHeadersSync` for a sync in progress: feeds it the message,
    /// asks for more when it wants more, and keeps it unless it ended. Returns whether the
    /// message was a valid continuation and the headers it released for validation.
    fn core_continue_presync(
        &mut self,
        peer: PeerId,
        mut presync: Box<HeadersPresync>,
        headers: &[Header],
        full: bool,
        now_ms: u64,
    ) -> (bool, Vec<Header>) {
        let outcome = presync.process(headers, full);
        if outcome.success {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.last_getheaders_ms = None;
            }
        }
        let step = match (&outcome.note, presync.phase()) {
            (Some(note), _) => HeadersSyncStep::Note(*note),
            (None, Phase::Presync) => HeadersSyncStep::Presync {
                height: presync.presync_height(),
            },
            (None, _) => HeadersSyncStep::Redownload {
                released: outcome.released.len(),
            },
        };
        self.event(Event::HeadersSync { peer, step });
        if outcome.request_more {
            let locator = presync.next_locator();
            self.core_maybe_send_getheaders(peer, locator, now_ms);
        }
        if presync.phase() != Phase::Final {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.headers_presync = Some(presync);
            }
        }
        (outcome.success, outcome.released)
    }

    /// Core `IsInitialBlockDownload` for a header-only node: our best chain has less than the
    /// minimum chain work or its tip is older than `max_tip_age`. Once false it stays false.
    fn core_is_initial_block_download(&mut self, now_ms: u64) -> bool {
        if self.ibd_finished {
            return false;
        }
        if self.chain.tip_chainwork() < self.config.minimum_chain_work
            || self.core_best_header_is_old(now_ms)
        {
            return true;
        }
        self.ibd_finished = true;
        false
    }

    /// Core `UpdatePeerStateForReceivedHeaders`: the peer's best known header, the
    /// initial-sync disconnect of an outbound peer whose complete chain has less than the
    /// minimum chain work, and the eviction protection of the first outbound peers to show our
    /// tip's work.
    fn core_update_peer_state_for_received_headers(
        &mut self,
        peer: PeerId,
        last: BlockHash,
        may_have_more: bool,
        now_ms: u64,
    ) {
        self.core_update_block_availability(peer, last);
        let Some(best) = self
            .peers
            .get(&peer)
            .and_then(|p| p.best_known_block)
            .and_then(|h| self.chain.get(&h))
            .copied()
        else {
            return;
        };
        if !may_have_more
            && self.core_is_initial_block_download(now_ms)
            && best.chainwork < self.config.minimum_chain_work
            && self.peers.get(&peer).is_some_and(Peer::is_outbound)
        {
            self.disconnect(
                peer,
                DisconnectReason::InsufficientWork {
                    best_known_height: best.height,
                },
                now_ms,
            );
            return;
        }
        let tip_work = self.chain.tip_chainwork();
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.is_outbound()
            && self.protected_outbound_peers < OUTBOUND_PEERS_TO_PROTECT_MAX
            && best.chainwork >= tip_work
            && !p.chain_sync.protect
        {
            p.chain_sync.protect = true;
            self.protected_outbound_peers += 1;
            self.event(Event::ChainSync {
                peer,
                step: ChainSyncStep::Protected,
            });
        }
    }

    /// Core `ProcessBlockAvailability`: a previously unknown announced block that is now known
    /// becomes the peer's best known header if it has at least as much work.
    fn core_process_block_availability(&mut self, peer: PeerId) {
        let Some(unknown) = self.peers.get(&peer).and_then(|p| p.last_unknown_block) else {
            return;
        };
        if self.chain.contains(&unknown) {
            self.core_raise_best_known(peer, unknown);
            if let Some(p) = self.peers.get_mut(&peer) {
                p.last_unknown_block = None;
            }
        }
    }

    /// Core `UpdateBlockAvailability`: a known header with at least the work of the peer's
    /// best known one replaces it; an unknown one is remembered until it becomes known.
    fn core_update_block_availability(&mut self, peer: PeerId, hash: BlockHash) {
        self.core_process_block_availability(peer);
        if self.chain.contains(&hash) {
            self.core_raise_best_known(peer, hash);
        } else if let Some(p) = self.peers.get_mut(&peer) {
            p.last_unknown_block = Some(hash);
        }
    }

    /// Makes the known header `hash` the peer's best known header if it has at least the work
    /// of the current one (Core's `>=` in both availability functions).
    fn core_raise_best_known(&mut self, peer: PeerId, hash: BlockHash) {
        let Some(work) = self.chain.get(&hash).map(|e| e.chainwork) else {
            return;
        };
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.best_known_block
            .and_then(|h| self.chain.get(&h))
            .is_none_or(|best| work >= best.chainwork)
        {
            p.best_known_block = Some(hash);
        }
    }

    /// Core `ConsiderEviction` for every peer (Core runs it in each `SendMessages` pass).
    fn core_consider_eviction_all(&mut self, now_ms: u64) {
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            self.core_consider_eviction(id, now_ms);
        }
    }

    /// Core `ConsiderEviction`: an unprotected outbound peer whose sync started and whose best
    /// known header has less work than our tip gets `chain_sync_timeout` (in whole seconds,
    /// as Core counts) to show that work; a peer that reaches the tip recorded when its timer
    /// was set, but not our newer tip, gets a new timer. When the time runs out it is sent one
    /// `getheaders` from below that recorded tip and given `headers_response_time` more; after
    /// that it is disconnected ("Outbound peer has old chain").
    fn core_consider_eviction(&mut self, peer: PeerId, now_ms: u64) {
        self.core_process_block_availability(peer);
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        if !p.chain_sync_applies() {
            return;
        }
        let now_s = now_ms / 1000;
        let tip_work = self.chain.tip_chainwork();
        let tip_hash = self.chain.tip_hash();
        let best = p.best_known_block.and_then(|h| self.chain.get(&h)).copied();
        let benchmark = p
            .chain_sync
            .work_header
            .and_then(|h| self.chain.get(&h))
            .copied();
        let state = p.chain_sync.clone();
        let chain_sync_timeout_s = self.config.timing.chain_sync_timeout.as_secs();
        let response_s = self.config.timing.headers_response_time.as_secs();
        if best.is_some_and(|b| b.chainwork >= tip_work) {
            if state.timeout_s.is_some() {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.chain_sync = peer::ChainSyncTimeout {
                        protect: state.protect,
                        ..Default::default()
                    };
                }
            }
        } else if state.timeout_s.is_none()
            || matches!((best, benchmark), (Some(b), Some(w)) if b.chainwork >= w.chainwork)
        {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.chain_sync.timeout_s = Some(now_s + chain_sync_timeout_s);
                p.chain_sync.work_header = Some(tip_hash);
                p.chain_sync.sent_getheaders = false;
            }
        } else if state.timeout_s.is_some_and(|t| now_s > t) {
            if state.sent_getheaders {
                let best_known_height = best.map(|b| b.height);
                self.disconnect(
                    peer,
                    DisconnectReason::OldChain { best_known_height },
                    now_ms,
                );
            } else {
                let locator = benchmark
                    .map(|w| w.header.prev_blockhash)
                    .map(|parent| self.chain.locator_from(&parent))
                    .unwrap_or_default();
                let step = ChainSyncStep::VerifyingChainWork {
                    best_known_height: best.map(|b| b.height),
                    benchmark_height: benchmark.map_or(0, |w| w.height),
                };
                self.event(Event::ChainSync { peer, step });
                self.core_maybe_send_getheaders(peer, locator, now_ms);
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.chain_sync.sent_getheaders = true;
                    p.chain_sync.timeout_s = Some(now_s + response_s);
                }
            }
        }
    }

    /// Whether `peer`'s host has the NoBan permission ([`Config::noban`]).
    fn is_noban(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|p| self.config.noban.iter().any(|h| h == host_of(&p.addr)))
    }

    /// Core `Misbehaving` for a header or message fault: disconnect and discourage the address
    /// (in memory only). Core exempts manual and NoBan peers; here every peer is treated as an
    /// automatic one, as the catalog's scenarios expect.
    fn misbehaving(&mut self, peer: PeerId, reason: DisconnectReason, now_ms: u64) {
        if self.is_noban(peer) {
            // Core `MaybeDiscourageAndDisconnect`: "not punishing noban peer".
            self.event(Event::Dropped {
                peer,
                reason: DropReason::NoBanNotPunished(reason),
            });
            return;
        }
        if let Some(p) = self.peers.get(&peer) {
            let addr = host_of(&p.addr).to_string();
            self.event(Event::Discouraged {
                peer,
                addr: addr.clone(),
            });
            self.discouraged.insert(addr);
        }
        self.disconnect(peer, reason, now_ms);
    }

    fn on_getheaders(&mut self, peer: PeerId, request: GetHeadersMessage, now_ms: u64) {
        let count = request.locator_hashes.len();
        let max = match self.config.profile {
            Profile::Btcd => wire::LOCATOR_HASHES_MAX,
            Profile::Core => CORE_LOCATOR_HASHES_MAX,
        };
        if count > max {
            self.disconnect(
                peer,
                DisconnectReason::TooManyLocatorHashes { count, max },
                now_ms,
            );
            return;
        }
        let headers = self.chain.headers_after_locator(
            &request.locator_hashes,
            request.stop_hash,
            wire::HEADERS_PER_MESSAGE_MAX,
        );
        self.send(peer, NetworkMessage::Headers(headers), now_ms);
    }

    fn start_sync(&mut self, now_ms: u64) {
        match self.config.profile {
            Profile::Btcd => self.btcd_start_sync(now_ms),
            Profile::Core => self.core_start_sync(now_ms),
        }
    }

    /// btcd `startSync`: one sync peer, chosen at random among ready full-node peers that
    /// advertise more than our best header, asked with the full locator of our best header.
    fn btcd_start_sync(&mut self, now_ms: u64) {
        let candidates: Vec<(PeerId, i32)> = self
            .peers
            .values()
            .filter(|p| p.is_ready() && p.is_full_node())
            .map(|p| (p.id, p.start_height()))
            .collect();
        let best = self.chain.tip_height();
        if let Some(peer) = self.sync.choose(&candidates, best, &mut self.rng, now_ms) {
            self.event(Event::SyncPeer { peer: Some(peer) });
            let locator = self.chain.locator();
            self.send_getheaders(peer, locator, now_ms);
        }
    }

    /// Core `SendMessages`, "Start block sync": a ready peer that can serve headers starts the
    /// initial header sync if no peer has, or with every peer once our best header is recent.
    /// Its advertised height plays no part (D25). The locator starts one header below our
    /// best, so the reply is never empty.
    ///
    /// Core's `sync_blocks_and_headers_from_peer` admits an inbound peer only when no outbound
    /// peer is preferred for download *or no blocks are in flight* (`mapBlocksInFlight.empty()`).
    /// A header-only node never has a block in flight, so every peer that can serve headers
    /// qualifies, inbound ones included, in peer-id order. (Requiring an outbound peer while
    /// one was connected let the node cycle through outbound peers on a stale chain for good
    /// and never ask an inbound peer with more work: found by `sim explore`, seed 243.)
    fn core_start_sync(&mut self, now_ms: u64) {
        let recent = !self.core_best_header_is_old(now_ms);
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let started = self.peers.values().filter(|p| p.sync_started).count();
            let Some(p) = self.peers.get(&id) else {
                continue;
            };
            if !p.is_ready() || p.sync_started || !p.can_serve_headers() {
                continue;
            }
            // The deliberate bug is the rule before the fix: an inbound peer only while no
            // outbound peer is preferred.
            let eligible = !deliberate_bugs::is(Bug::InboundNeverSyncPeer)
                || p.is_outbound()
                || self.core_preferred_peers() == 0;
            if !((started == 0 && eligible) || recent) {
                continue;
            }
            let deadline_ms = now_ms.saturating_add(self.core_headers_sync_allowance_ms(now_ms));
            if let Some(p) = self.peers.get_mut(&id) {
                p.sync_started = true;
                p.headers_sync_deadline_ms = Some(deadline_ms);
            }
            self.event(Event::SyncPeer { peer: Some(id) });
            let tip = self.chain.tip_hash();
            let start = self
                .chain
                .get(&tip)
                .map(|e| e.header.prev_blockhash)
                .filter(|h| self.chain.contains(h))
                .unwrap_or(tip);
            let locator = self.chain.locator_from(&start);
            self.core_maybe_send_getheaders(id, locator, now_ms);
        }
    }

    /// Core `MaybeSendGetHeaders`: at most one `getheaders` per `headers_response_time` unless
    /// a connecting `headers` arrived since the last one.
    fn core_maybe_send_getheaders(&mut self, peer: PeerId, locator: Vec<BlockHash>, now_ms: u64) {
        let window_ms = ms(self.config.timing.headers_response_time);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.last_getheaders_ms
            .is_some_and(|t| now_ms.saturating_sub(t) <= window_ms)
        {
            return;
        }
        p.last_getheaders_ms = Some(now_ms);
        self.send_getheaders(peer, locator, now_ms);
    }

    /// Sends `getheaders(locator, hash_stop = 0)` and starts btcd's response deadline. Under
    /// btcd a request whose first locator hash and stop equal the previous one's is not sent
    /// again (`PushGetHeadersMsg`), which ends the loop a single-entry locator can cause when
    /// the peer does not know our best header.
    fn send_getheaders(&mut self, peer: PeerId, locator: Vec<BlockHash>, now_ms: u64) {
        let btcd = self.config.profile == Profile::Btcd;
        if let Some(p) = self.peers.get_mut(&peer) {
            let key = (
                locator
                    .first()
                    .copied()
                    .unwrap_or_else(BlockHash::all_zeros),
                BlockHash::all_zeros(),
            );
            if btcd && p.prev_getheaders == Some(key) {
                return;
            }
            p.prev_getheaders = Some(key);
            if !deliberate_bugs::is(Bug::StallDeadlineNeverSet) {
                p.getheaders_sent_ms = Some(now_ms);
            }
        }
        let request = GetHeadersMessage::new(locator, BlockHash::all_zeros());
        let request = GetHeadersMessage {
            version: PROTOCOL_VERSION,
            ..request
        };
        self.send(peer, NetworkMessage::GetHeaders(request), now_ms);
    }

    /// btcd writes `reject` where the negotiated version allows it; Core never sends one
    /// (D10).
    fn send_reject(
        &mut self,
        peer: PeerId,
        command: &'static str,
        code: RejectReason,
        reason: String,
        now_ms: u64,
    ) {
        if self.config.profile == Profile::Core {
            return;
        }
        if self
            .peers
            .get(&peer)
            .is_some_and(|p| p.negotiated_version >= REJECT_VERSION)
        {
            let reject = Reject {
                message: command.into(),
                ccode: code,
                reason: reason.into(),
                hash: bitcoin::hashes::sha256d::Hash::all_zeros(),
            };
            self.send(peer, NetworkMessage::Reject(reject), now_ms);
        }
    }

    fn our_version(&mut self, peer: PeerId, now_ms: u64) -> VersionMessage {
        // btcd sends `uint64(rand.Int63())`: the top bit is always clear.
        let nonce = self.rng.next_u64() >> 1;
        if self.sent_nonces.len() == SENT_NONCES_MAX {
            self.sent_nonces.pop_front();
        }
        self.sent_nonces.push_back(nonce);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.local_nonce = Some(nonce);
        }
        let receiver = self
            .peers
            .get(&peer)
            .and_then(|p| p.addr.parse::<std::net::SocketAddr>().ok())
            .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
        let services = ServiceFlags::from(self.config.services);
        let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let timestamp = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let start_height = i32::try_from(self.chain.tip_height()).unwrap_or(i32::MAX);
        let mut version = VersionMessage::new(
            services,
            timestamp,
            Address::new(&receiver, ServiceFlags::NONE),
            Address::new(&unspecified, services),
            nonce,
            self.config.user_agent.clone(),
            start_height,
        );
        version.version = PROTOCOL_VERSION;
        version.relay = false;
        version
    }

    fn send(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.last_send_ms = Some(now_ms);
        }
        let summary = MessageSummary::of(&message, &self.chain);
        self.event(Event::Sent {
            peer,
            message: summary,
        });
        self.outputs.push_back(Output::Send { peer, message });
    }

    fn disconnect(&mut self, peer: PeerId, reason: DisconnectReason, now_ms: u64) {
        if !self.peers.contains_key(&peer) {
            return;
        }
        self.event(Event::Disconnected {
            peer,
            reason: reason.clone(),
        });
        self.outputs.push_back(Output::Disconnect { peer, reason });
        self.remove_peer(peer, now_ms);
    }

    fn remove_peer(&mut self, peer: PeerId, now_ms: u64) {
        let Some(p) = self.peers.remove(&peer) else {
            return;
        };
        if p.chain_sync.protect {
            self.protected_outbound_peers = self.protected_outbound_peers.saturating_sub(1);
        }
        if let Direction::Outbound(target) = p.direction {
            if self.discouraged.contains(host_of(&p.addr)) {
                self.connections
                    .abandon(target, now_ms, &self.config.timing);
            } else if self.connections.is_automatic(target) {
                self.connections
                    .on_disconnected(target, now_ms, &self.config.timing);
            } else {
                let retry_in_ms = self
                    .connections
                    .on_failed(target, now_ms, &self.config.timing);
                self.event(Event::Reconnecting {
                    addr: p.addr.clone(),
                    retry_in_ms,
                });
            }
        }
        match self.config.profile {
            Profile::Btcd => {
                if self.sync.on_peer_removed(peer) {
                    self.event(Event::SyncPeer { peer: None });
                    self.start_sync(now_ms);
                }
            }
            // Core `FinalizeNode` forgets the peer's sync state; the next `SendMessages` pass
            // starts the sync with another peer.
            Profile::Core => {
                if p.sync_started {
                    self.start_sync(now_ms);
                }
            }
        }
    }

    fn dial_due(&mut self, now_ms: u64) {
        // Automatic connections skip banned hosts, and under Core discouraged ones
        // (`ThreadOpenConnections`); permanent targets are dialled regardless, as both do.
        let (banned, discouraged) = (&self.banned, &self.discouraged);
        let excluded = |addr: &str| {
            let host = host_of(addr);
            banned.get(host).is_some_and(|&until| until > now_ms) || discouraged.contains(host)
        };
        for due in self.connections.due_dials(now_ms, excluded) {
            match due {
                DueDial::Dial { target, addr } => {
                    let automatic = self.connections.is_automatic(target);
                    self.event(Event::Dialing {
                        addr: addr.clone(),
                        automatic,
                    });
                    self.outputs.push_back(Output::Dial { target, addr });
                }
                DueDial::NoAddress { target } => {
                    self.handle_dial_failed(target, NO_ADDRESS_ERROR.to_string(), now_ms)
                }
            }
        }
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }
}

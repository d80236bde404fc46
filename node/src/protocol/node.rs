//! The [`Node`] state machine: its state, constructor and accessors, the `handle_*`/`poll_*`
//! contract of the module docs, and the steps both profiles share: the handshake dispatch,
//! sending, disconnecting and forgetting a peer, dialling and manual bans.
//!
//! The rest of `Node`'s methods are `impl Node` blocks in sibling modules, by job: `handshake`
//! (`version`/`verack`), `messages` (a ready peer's messages, `headers` import, `getheaders`
//! and `reject` sent), `btcd` (btcd's timers, `headers` handling and sync-peer choice) and
//! `core` (Bitcoin Core's). They reach the fields below through `pub(super)`; none of them is
//! imported here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::connection_manager::{Ban, ConnectionManager, DueDial, TargetKind, NO_ADDRESS_ERROR};
use super::connection_type::ConnectionType;
use super::disconnect::DisconnectReason;
use super::events::{DropReason, Event, MessageSummary};
use super::header_chain::HeaderChain;
use super::headers_presync::PresyncSizes;
use super::ids::{PeerId, TargetId};
use super::output::Output;
use super::peer::{host_of, Direction, HandshakeState, Peer};
use super::sync_manager::SyncManager;
use super::time::ms;
use crate::config::{Config, Profile};
use crate::deliberate_bugs::Bug;
use crate::wire::{self, btcd_payload, DecodeError, NetworkMessage, RejectReason};
use bitcoin::BlockHash;

/// How much the [`Node`]'s growable state holds ([`Node::state_sizes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSizes {
    /// Connections the node knows of.
    pub peers: usize,
    /// Nonces of our `version` messages kept to detect a connection to ourselves; at most
    /// [`crate::config::SENT_NONCES_MAX`].
    pub sent_nonces: usize,
    /// Outputs not yet drained with [`Node::poll_output`].
    pub queued_outputs: usize,
    /// Core: hosts discouraged for misbehaviour (one per misbehaving host; Core keeps them in
    /// a rolling bloom filter of 50,000, `banman.h`).
    pub discouraged: usize,
    /// Hosts banned manually.
    pub banned: usize,
    /// Core: each low-work headers sync in progress, by connection, with what it holds.
    pub headers_presyncs: Vec<(PeerId, PresyncSizes)>,
}

/// The header-sync node's state machine. See the module docs for the calling contract.
pub struct Node {
    pub(super) config: Config,
    pub(super) rng: ChaCha8Rng,
    pub(super) chain: HeaderChain,
    pub(super) peers: BTreeMap<PeerId, Peer>,
    pub(super) next_peer_id: u64,
    pub(super) sent_nonces: VecDeque<u64>,
    pub(super) sync: SyncManager,
    pub(super) connections: ConnectionManager,
    /// Core: addresses (host part) discouraged for misbehaviour, in memory only (D27, D31).
    pub(super) discouraged: BTreeSet<String>,
    /// Manually banned hosts and when their ban ends (Unix ms): btcd `state.banned`, in memory
    /// only; Core `BanMan`, persisted (D31).
    pub(super) banned: BTreeMap<String, u64>,
    /// Core: the last block hash whose `inv` started a header sync with a peer that was not
    /// syncing yet (`m_last_block_inv_triggering_headers_sync`).
    pub(super) last_inv_triggering_sync: Option<BlockHash>,
    /// Core: outbound peers protected from the chain-sync eviction
    /// (`m_outbound_peers_with_protect_from_disconnect`).
    pub(super) protected_outbound_peers: usize,
    /// Core: initial block download ended, for good (`m_cached_finished_ibd`).
    pub(super) ibd_finished: bool,
    pub(super) outputs: VecDeque<Output>,
    /// The latest time an input carried (the constructor's at first): inputs never go back
    /// in time ([`Node::advance_time`]).
    time_ms: u64,
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
        chain.set_deliberate_bug(config.deliberate_bug());
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        let sync = SyncManager::new(now_ms, &config.timing);
        let mut connections =
            ConnectionManager::new(&config.connect, now_ms).with_once(&config.automatic, now_ms);
        connections.set_deliberate_bug(config.deliberate_bug());
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
            time_ms: now_ms,
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

    /// What a connected peer's connection is for (`None` for an unknown peer).
    pub fn connection_type(&self, peer: PeerId) -> Option<ConnectionType> {
        self.peers.get(&peer).map(Peer::connection_type)
    }

    /// The current sync peer: btcd's single `syncPeer`; under Core the lowest-numbered peer
    /// whose initial header sync was started (`fSyncStarted`).
    pub fn sync_peer(&self) -> Option<PeerId> {
        match self.config.profile {
            Profile::Btcd => self.sync.sync_peer(),
            Profile::Core => self.peers.values().find(|p| p.sync_started()).map(Peer::id),
        }
    }

    /// What the node's growable state holds now, for fuzzers and tests that check its bounds.
    pub fn state_sizes(&self) -> StateSizes {
        StateSizes {
            peers: self.peers.len(),
            sent_nonces: self.sent_nonces.len(),
            queued_outputs: self.outputs.len(),
            discouraged: self.discouraged.len(),
            banned: self.banned.len(),
            headers_presyncs: self
                .peers
                .values()
                .filter_map(|p| p.headers_presync_sizes().map(|sizes| (p.id(), sizes)))
                .collect(),
        }
    }

    /// The next output to execute, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Takes `now_ms`, the time an input carries, as the node's time.
    ///
    /// # Panics
    /// If `now_ms` is earlier than a previous input's (or the constructor's) time: the caller
    /// broke the calling contract (time never goes backwards).
    fn advance_time(&mut self, now_ms: u64) {
        assert!(
            now_ms >= self.time_ms,
            "time went backwards: an input at {now_ms} ms after one at {} ms",
            self.time_ms
        );
        self.time_ms = now_ms;
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
    /// peer must speak first. Its [`ConnectionType`] follows from its target's
    /// [`TargetKind`] (an unknown target counts as permanent, a manual connection).
    pub fn handle_connected(&mut self, addr: String, direction: Direction, now_ms: u64) -> PeerId {
        self.advance_time(now_ms);
        let id = PeerId(self.next_peer_id);
        self.next_peer_id += 1;
        let connection = match direction {
            Direction::Inbound => ConnectionType::Inbound,
            Direction::Outbound(target) => self
                .connections
                .kind(target)
                .unwrap_or(TargetKind::Permanent)
                .connection_type(),
        };
        self.event(Event::Connected {
            peer: id,
            addr: addr.clone(),
            direction,
            connection,
        });
        let inbound = self
            .peers
            .values()
            .filter(|p| p.direction() == Direction::Inbound)
            .count();
        self.peers
            .insert(id, Peer::new(id, addr, direction, connection, now_ms));
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
        self.advance_time(now_ms);
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
        self.advance_time(now_ms);
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
            .filter(|p| p.host() == host)
            .map(Peer::id)
            .collect();
        for id in ids {
            self.disconnect(id, DisconnectReason::Banned { duration_s }, now_ms);
        }
    }

    /// Milliseconds left of `host`'s ban at `now_ms`, if it is banned.
    pub(super) fn ban_remaining_ms(&self, host: &str, now_ms: u64) -> Option<u64> {
        self.banned
            .get(host)
            .filter(|&&until| until > now_ms)
            .map(|until| until - now_ms)
    }

    /// The connection ended without the node asking (remote close, reset, write failure).
    pub fn handle_disconnected(&mut self, peer: PeerId, error: Option<String>, now_ms: u64) {
        self.advance_time(now_ms);
        if self.peers.contains_key(&peer) {
            self.event(Event::PeerClosed { peer, error });
            self.remove_peer(peer, now_ms);
        }
    }

    /// The peer's byte stream could not be decoded.
    ///
    /// btcd: as its `inHandler` answers a read error (`Node::btcd_on_frame_error`). Core
    /// drops a frame with a bad checksum, invalid command bytes or an unreadable payload and
    /// keeps the peer (its transport skips the frame, `ProcessMessages` catches the handler's
    /// exception); a `headers` count above 2000 is misbehaviour; a wrong magic or an oversized
    /// length end the connection.
    pub fn handle_frame_error(&mut self, peer: PeerId, error: DecodeError, now_ms: u64) {
        self.advance_time(now_ms);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.mark_received_any();
        if self.config.profile == Profile::Btcd {
            self.btcd_on_frame_error(peer, error, now_ms);
            return;
        }
        match error {
            DecodeError::TooManyHeaders { count } => {
                // Core `ProcessMessage` HEADERS: refused from its count, as misbehaviour.
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                self.core_misbehaving(peer, DisconnectReason::TooManyHeaders { count }, now_ms);
            }
            DecodeError::WrongMagic { .. } | DecodeError::PayloadTooLarge { .. } => {
                self.disconnect(peer, DisconnectReason::Frame(error), now_ms);
            }
            _ => self.event(Event::Dropped {
                peer,
                reason: DropReason::Frame(error),
            }),
        }
    }

    /// The runtime could not queue a message for `peer`: disconnect it.
    pub fn handle_queue_full(&mut self, peer: PeerId, now_ms: u64) {
        self.advance_time(now_ms);
        if self.peers.contains_key(&peer) {
            self.disconnect(peer, DisconnectReason::OutboundQueueFull, now_ms);
        }
    }

    /// Disconnects every peer (clean shutdown).
    pub fn shutdown(&mut self, now_ms: u64) {
        self.advance_time(now_ms);
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            self.disconnect(id, DisconnectReason::Shutdown, now_ms);
        }
    }

    /// A decoded message from `peer`.
    pub fn handle_message(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        self.advance_time(now_ms);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if self.config.has_bug(Bug::IdleTimerNotReset) && p.is_ready() {
            p.mark_received_any();
        } else {
            p.record_receive(now_ms);
        }
        let state = p.state();
        let summary = MessageSummary::of(&message, &self.chain);
        self.event(Event::Received {
            peer,
            message: summary,
        });
        match (self.config.profile, state) {
            (_, HandshakeState::Ready) => self.on_ready_message(peer, message, now_ms),
            (Profile::Btcd, HandshakeState::AwaitVersion) => match message {
                NetworkMessage::Version(version) => self.on_version(peer, version, now_ms),
                // `readRemoteVersionMsg` gets `ErrUnknownMessage` from the read: no reject.
                other if !btcd_payload::knows_command(other.command().as_ref()) => {
                    let command = wire::command_name(&other);
                    self.disconnect(
                        peer,
                        DisconnectReason::UnknownBeforeVersion { command },
                        now_ms,
                    );
                }
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
            // `waitToFinishNegotiation`: commands btcd does not know (`wtxidrelay`, `sendcmpct`,
            // ...) are skipped, `sendaddrv2` is recorded, `verack` ends the handshake, any other
            // message ends the negotiation without a reject (`ErrInvalidHandshake`).
            (Profile::Btcd, HandshakeState::AwaitVerack) => match message {
                other if !btcd_payload::knows_command(other.command().as_ref()) => {}
                NetworkMessage::Verack => self.on_verack(peer, now_ms),
                NetworkMessage::Version(_) => {
                    self.disconnect(peer, DisconnectReason::DuplicateVersion, now_ms)
                }
                NetworkMessage::SendAddrV2 => {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.set_wants_addrv2();
                    }
                }
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
                        p.set_wants_addrv2();
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
            // Core's `SendMessages` pass after the message: BIP 130, then the evictions.
            self.core_maybe_send_sendheaders(peer, now_ms);
            self.core_consider_eviction_all(now_ms);
        }
    }

    /// Runs every timer that is due at `now_ms`.
    pub fn handle_tick(&mut self, now_ms: u64) {
        self.advance_time(now_ms);
        match self.config.profile {
            Profile::Btcd => self.btcd_tick(now_ms),
            Profile::Core => {
                self.core_tick(now_ms);
                self.core_consider_eviction_all(now_ms);
            }
        }
        self.dial_due(now_ms);
    }

    pub(super) fn start_sync(&mut self, now_ms: u64) {
        match self.config.profile {
            Profile::Btcd => self.btcd_start_sync(now_ms),
            Profile::Core => self.core_start_sync(now_ms),
        }
    }

    /// Whether `peer`'s host has the NoBan permission ([`Config::noban`]).
    pub(super) fn is_noban(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|p| self.config.noban.iter().any(|h| h == p.host()))
    }

    pub(super) fn send(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.record_send(now_ms);
        }
        let summary = MessageSummary::of(&message, &self.chain);
        self.event(Event::Sent {
            peer,
            message: summary,
        });
        self.outputs.push_back(Output::Send { peer, message });
    }

    pub(super) fn disconnect(&mut self, peer: PeerId, reason: DisconnectReason, now_ms: u64) {
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
        if p.chain_sync().protect {
            self.protected_outbound_peers = self.protected_outbound_peers.saturating_sub(1);
        }
        // A permanent target is redialled whatever its host's standing (Core's manual
        // connections skip neither bans nor discouragement, `OpenNetworkConnection`); an
        // automatic slot makes a new request, which skips discouraged addresses; a once target
        // is done.
        if let Direction::Outbound(target) = p.direction() {
            let retry_in_ms = self
                .connections
                .on_disconnected(target, now_ms, &self.config.timing);
            if let (Some(TargetKind::Permanent), Some(retry_in_ms)) =
                (self.connections.kind(target), retry_in_ms)
            {
                self.event(Event::Reconnecting {
                    addr: p.addr().to_string(),
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
                if p.sync_started() {
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
                    let kind = self
                        .connections
                        .kind(target)
                        .unwrap_or(TargetKind::Permanent);
                    self.event(Event::Dialing {
                        addr: addr.clone(),
                        kind,
                    });
                    self.outputs.push_back(Output::Dial { target, addr });
                }
                DueDial::NoAddress { target } => {
                    self.handle_dial_failed(target, NO_ADDRESS_ERROR.to_string(), now_ms)
                }
            }
        }
    }

    pub(super) fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }
}

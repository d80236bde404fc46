//! One peer's connection state: handshake progress, BIP 31 ping/pong, the idle timer, btcd's
//! per-request stall deadlines (`maybeAddDeadline` / `stallHandler` in btcd `peer/peer.go`) and
//! Bitcoin Core's per-peer header-sync state (`fSyncStarted`, `m_headers_sync_timeout`,
//! `m_last_getheaders_timestamp` in `net_processing.cpp`).
//!
//! All times are milliseconds on the node's clock, passed in by the caller.

use super::headers_presync::HeadersPresync;
use super::ids::TargetId;
use super::time::ms;
use crate::config::{Profile, Timing};
use crate::wire::ServiceFlags;

pub use super::ids::PeerId;

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The peer connected to one of our listeners.
    Inbound,
    /// We dialled the peer for the given connection-manager target.
    Outbound(TargetId),
}

impl Direction {
    /// `"inbound"` or `"outbound"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound(_) => "outbound",
        }
    }
}

/// Where the version/verack negotiation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeState {
    /// Waiting for the peer's `version` (outbound: ours is already sent).
    AwaitVersion,
    /// Their `version` accepted and our `verack` sent; waiting for their `verack`.
    AwaitVerack,
    /// Negotiation finished: heartbeat, stall and sync logic apply.
    Ready,
}

/// What the peer told us in its `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    /// Its protocol version.
    pub version: u32,
    /// Its service bits.
    pub services: ServiceFlags,
    /// The best height it advertised (`start_height`).
    pub start_height: i32,
    /// Its user agent.
    pub user_agent: String,
}

/// One connected peer.
#[derive(Debug, Clone)]
pub struct Peer {
    /// This connection's id.
    pub id: PeerId,
    /// Label of the remote end (`host:port` as dialled, or the host of an inbound peer).
    pub addr: String,
    /// Who dialled.
    pub direction: Direction,
    /// When the TCP connection was established.
    pub connected_at_ms: u64,
    /// Negotiation progress.
    pub state: HandshakeState,
    /// The peer's `version`, once received.
    pub remote: Option<RemoteVersion>,
    /// `min(ours, theirs)` once their `version` arrived; ours before that, as btcd starts a
    /// peer's `protocolVersion` at its maximum (so a reject can be encoded for a peer whose
    /// first message is not `version`).
    pub negotiated_version: u32,
    /// When the handshake finished (`tH`); tickers are phased from it.
    pub ready_at_ms: Option<u64>,
    /// Last time any message arrived (the idle timer restarts from here).
    pub last_recv_ms: u64,
    /// Next tick of btcd's `pingHandler` ticker.
    pub next_ping_ms: u64,
    /// Nonce and send time of the last ping, until its pong arrives.
    pub ping_in_flight: Option<(u64, u64)>,
    /// Round-trip time of the last answered ping.
    pub last_rtt_ms: Option<u64>,
    /// Next tick of btcd's `stallHandler` ticker.
    pub next_stall_tick_ms: u64,
    /// When our last unanswered `getheaders` was sent (btcd `pendingResponses`); any
    /// `headers` reply clears it.
    pub getheaders_sent_ms: Option<u64>,
    /// The peer asked for `headers` announcements (BIP 130).
    pub wants_headers_announcements: bool,
    /// The peer sent `sendaddrv2` during the handshake.
    pub wants_addrv2: bool,
    /// The nonce of the `version` we sent on this connection (Core's self-connection check
    /// compares inbound nonces with those of outbound connections still in handshake).
    pub local_nonce: Option<u64>,
    /// Whether anything was received on this connection (Core `InactivityCheck`).
    pub received_any: bool,
    /// Last time anything was queued for this peer (Core `m_last_send`).
    pub last_send_ms: Option<u64>,
    /// Core: when the last `ping` was sent (`m_ping_start`); the next one waits for its pong
    /// and `ping_interval`.
    pub ping_start_ms: Option<u64>,
    /// Core: initial header sync was started with this peer (`fSyncStarted`).
    pub sync_started: bool,
    /// Core: the initial header sync must be done by then or the peer is dropped
    /// (`m_headers_sync_timeout`); `None` once caught up or never started.
    pub headers_sync_deadline_ms: Option<u64>,
    /// Core: the headers-sync deadline passed when no other preferred peer could take over;
    /// it is re-checked whenever the node runs its checks, but no longer wakes the node.
    pub headers_sync_overdue: bool,
    /// btcd: first locator hash and `hash_stop` of the last `getheaders` sent; an identical
    /// request is not sent again (`PushGetHeadersMsg`, `prevGetHdrsBegin`/`prevGetHdrsStop`).
    pub prev_getheaders: Option<(bitcoin::BlockHash, bitcoin::BlockHash)>,
    /// Core: a block `inv` from this peer already triggered a `getheaders` before its sync
    /// started (`m_inv_triggered_getheaders_before_sync`).
    pub inv_triggered_getheaders: bool,
    /// Core: when our last `getheaders` went out, until any connecting `headers` arrives
    /// (`m_last_getheaders_timestamp`, the two-minute rate limit).
    pub last_getheaders_ms: Option<u64>,
    /// Core: the header with the most work this peer is known to have
    /// (`pindexBestKnownBlock`), from the last header of its `headers` messages and its block
    /// `inv`s.
    pub best_known_block: Option<bitcoin::BlockHash>,
    /// Core: the last block it announced that we did not know yet (`hashLastUnknownBlock`);
    /// it becomes [`Peer::best_known_block`] once known, if it has enough work.
    pub last_unknown_block: Option<bitcoin::BlockHash>,
    /// Core: the outbound chain-sync eviction state (`m_chain_sync`).
    pub chain_sync: ChainSyncTimeout,
    /// Core: a low-work headers sync in progress with this peer (`m_headers_sync`).
    pub headers_presync: Option<Box<HeadersPresync>>,
}

/// Core `ChainSyncTimeoutState` (`net_processing.cpp`): the clock an outbound peer runs
/// against while its best known header has less work than our tip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainSyncTimeout {
    /// When the peer runs out of time, in whole seconds since the Unix epoch (`m_timeout`);
    /// `None` while no timer runs. It fires once the clock's whole seconds pass it.
    pub timeout_s: Option<u64>,
    /// Our tip when the timer was set: the work the peer must show (`m_work_header`).
    pub work_header: Option<bitcoin::BlockHash>,
    /// The one `getheaders` that gives the peer a last chance was sent
    /// (`m_sent_getheaders`).
    pub sent_getheaders: bool,
    /// One of the first outbound peers to show our tip's work: never evicted by this rule
    /// (`m_protect`).
    pub protect: bool,
}

impl Peer {
    /// A fresh connection at `now_ms`.
    pub fn new(id: PeerId, addr: String, direction: Direction, now_ms: u64) -> Peer {
        Peer {
            id,
            addr,
            direction,
            connected_at_ms: now_ms,
            state: HandshakeState::AwaitVersion,
            remote: None,
            negotiated_version: crate::config::PROTOCOL_VERSION,
            ready_at_ms: None,
            last_recv_ms: now_ms,
            next_ping_ms: u64::MAX,
            ping_in_flight: None,
            last_rtt_ms: None,
            next_stall_tick_ms: u64::MAX,
            getheaders_sent_ms: None,
            wants_headers_announcements: false,
            wants_addrv2: false,
            local_nonce: None,
            received_any: false,
            last_send_ms: None,
            ping_start_ms: None,
            sync_started: false,
            headers_sync_deadline_ms: None,
            headers_sync_overdue: false,
            prev_getheaders: None,
            inv_triggered_getheaders: false,
            last_getheaders_ms: None,
            best_known_block: None,
            last_unknown_block: None,
            chain_sync: ChainSyncTimeout::default(),
            headers_presync: None,
        }
    }

    /// True for a connection we dialled.
    pub fn is_outbound(&self) -> bool {
        matches!(self.direction, Direction::Outbound(_))
    }

    /// Core's `fPreferredDownload`, header-only reading: an outbound peer that can serve
    /// headers.
    pub fn is_preferred(&self) -> bool {
        self.is_outbound() && self.can_serve_headers()
    }

    /// The peer advertised `NODE_NETWORK` or `NODE_NETWORK_LIMITED`, so it can serve headers
    /// (Core `CanServeBlocks`, header-only reading).
    pub fn can_serve_headers(&self) -> bool {
        self.remote.as_ref().is_some_and(|r| {
            r.services.has(ServiceFlags::NETWORK) || r.services.has(ServiceFlags::NETWORK_LIMITED)
        })
    }

    /// True once version/verack negotiation finished.
    pub fn is_ready(&self) -> bool {
        self.state == HandshakeState::Ready
    }

    /// The height the peer advertised, or 0 before its `version`.
    pub fn start_height(&self) -> i32 {
        self.remote.as_ref().map_or(0, |r| r.start_height)
    }

    /// True if the peer advertised `NODE_NETWORK`, which makes it a sync candidate (btcd
    /// `isSyncCandidate` in `netsync/manager.go`; header-only adaptation).
    pub fn is_full_node(&self) -> bool {
        self.remote
            .as_ref()
            .is_some_and(|r| r.services.has(ServiceFlags::NETWORK))
    }

    /// Marks the handshake finished at `now_ms` and starts the idle, ping and stall timers, as
    /// btcd starts `inHandler`, `pingHandler` and `stallHandler` after negotiation.
    ///
    /// Under Core the stall ticker is not used and the ping cadence is driven by
    /// [`Peer::ping_start_ms`] instead of `next_ping_ms`; the idle clock keeps the last receive
    /// time (Core measures from the last message, not from the handshake).
    pub fn set_ready(&mut self, now_ms: u64, timing: &Timing, profile: Profile) {
        self.state = HandshakeState::Ready;
        self.ready_at_ms = Some(now_ms);
        match profile {
            Profile::Btcd => {
                self.last_recv_ms = now_ms;
                self.next_ping_ms = now_ms + ms(timing.ping_interval);
                self.next_stall_tick_ms = now_ms + ms(timing.stall_tick_interval);
            }
            Profile::Core => {
                self.next_ping_ms = u64::MAX;
                self.next_stall_tick_ms = u64::MAX;
            }
        }
    }

    /// Deadline of the whole negotiation.
    pub fn handshake_deadline_ms(&self, timing: &Timing) -> u64 {
        self.connected_at_ms + ms(timing.handshake_timeout)
    }

    /// When the idle timer fires if nothing else arrives.
    pub fn idle_deadline_ms(&self, timing: &Timing) -> u64 {
        self.last_recv_ms + ms(timing.idle_timeout)
    }

    /// When `headers` is due for the outstanding `getheaders`: three times the stall response
    /// timeout after it was sent (btcd `maybeAddDeadline`; a new request overwrites the old
    /// deadline).
    pub fn headers_deadline_ms(&self, timing: &Timing) -> Option<u64> {
        self.getheaders_sent_ms
            .map(|sent| sent + 3 * ms(timing.stall_response_timeout))
    }

    /// The earliest time this peer needs attention.
    pub fn next_deadline_ms(&self, timing: &Timing, profile: Profile) -> u64 {
        match profile {
            Profile::Btcd => match self.state {
                HandshakeState::Ready => self
                    .idle_deadline_ms(timing)
                    .min(self.next_ping_ms)
                    .min(self.next_stall_tick_ms),
                _ => self.handshake_deadline_ms(timing),
            },
            Profile::Core => self.core_deadline_ms(timing),
        }
    }

    /// Core: the first time at which one of `InactivityCheck`, `MaybeSendPing` or the
    /// headers-sync timeout can act. Core compares with a strict `>`, so each fires 1 ms after
    /// its limit.
    fn core_deadline_ms(&self, timing: &Timing) -> u64 {
        let handshake = self.handshake_deadline_ms(timing).saturating_add(1);
        if self.state != HandshakeState::Ready {
            return handshake;
        }
        let idle = ms(timing.idle_timeout);
        let mut next = self.last_recv_ms.saturating_add(idle).saturating_add(1);
        if let Some(sent) = self.last_send_ms {
            next = next.min(sent.saturating_add(idle).saturating_add(1));
        }
        let ping = match (self.ping_in_flight, self.ping_start_ms) {
            (Some((_, sent)), _) => sent
                .saturating_add(ms(timing.ping_timeout))
                .saturating_add(1),
            (None, Some(start)) => start
                .saturating_add(ms(timing.ping_interval))
                .saturating_add(1),
            (None, None) => self.ready_at_ms.unwrap_or(0),
        };
        let sync = match self.headers_sync_deadline_ms {
            Some(deadline) if !self.headers_sync_overdue => deadline.saturating_add(1),
            _ => u64::MAX,
        };
        let eviction = match self.chain_sync.timeout_s {
            Some(timeout_s) if self.chain_sync_applies() => {
                timeout_s.saturating_add(1).saturating_mul(1000)
            }
            _ => u64::MAX,
        };
        next.min(ping).min(sync).min(eviction)
    }

    /// Core `ConsiderEviction`'s condition: an unprotected outbound peer whose initial header
    /// sync was started.
    pub fn chain_sync_applies(&self) -> bool {
        !self.chain_sync.protect && self.is_outbound() && self.sync_started && self.is_ready()
    }
}

/// The host part of a `host:port` label (the whole label if it has no port).
pub(super) fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}

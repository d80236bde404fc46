//! One peer's connection state: handshake progress, BIP 31 ping/pong, the idle timer and btcd's
//! per-request stall deadlines (`maybeAddDeadline` / `stallHandler` in btcd `peer/peer.go`).
//!
//! All times are milliseconds on the node's clock, passed in by the caller.

use crate::config::Timing;
use crate::wire::ServiceFlags;

/// Node-local identifier of one connection. A redialled peer gets a new id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The peer connected to one of our listeners.
    Inbound,
    /// We dialled the peer for the given connection-manager target.
    Outbound(super::connection_manager::TargetId),
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
        }
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
        self.remote.as_ref().is_some_and(|r| r.services.has(ServiceFlags::NETWORK))
    }

    /// Marks the handshake finished at `now_ms` and starts the idle, ping and stall timers, as
    /// btcd starts `inHandler`, `pingHandler` and `stallHandler` after negotiation.
    pub fn set_ready(&mut self, now_ms: u64, timing: &Timing) {
        self.state = HandshakeState::Ready;
        self.ready_at_ms = Some(now_ms);
        self.last_recv_ms = now_ms;
        self.next_ping_ms = now_ms + ms(timing.ping_interval);
        self.next_stall_tick_ms = now_ms + ms(timing.stall_tick_interval);
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
        self.getheaders_sent_ms.map(|sent| sent + 3 * ms(timing.stall_response_timeout))
    }

    /// The earliest time this peer needs attention.
    pub fn next_deadline_ms(&self, timing: &Timing) -> u64 {
        match self.state {
            HandshakeState::Ready => self
                .idle_deadline_ms(timing)
                .min(self.next_ping_ms)
                .min(self.next_stall_tick_ms),
            _ => self.handshake_deadline_ms(timing),
        }
    }
}

/// A `Duration` as whole milliseconds.
pub fn ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

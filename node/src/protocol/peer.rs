//! One peer's connection state: handshake progress, BIP 31 ping/pong, the idle timer, btcd's
//! per-request stall deadlines (`maybeAddDeadline` / `stallHandler` in btcd `peer/peer.go`) and
//! Bitcoin Core's per-peer header-sync state (`fSyncStarted`, `m_headers_sync_timeout`,
//! `m_last_getheaders_timestamp` in `net_processing.cpp`).
//!
//! All times are milliseconds on the node's clock, passed in by the caller.

use super::connection_type::ConnectionType;
use super::headers_presync::{HeadersPresync, PresyncSizes};
use super::ids::TargetId;
use super::time::ms;
use crate::config::{Profile, Timing, BIP0031_VERSION};
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
    id: PeerId,
    /// Label of the remote end (`host:port` as dialled, or the host of an inbound peer).
    addr: String,
    /// Who dialled.
    direction: Direction,
    /// What the connection is for (Core's `m_conn_type`).
    connection_type: ConnectionType,
    /// When the TCP connection was established.
    connected_at_ms: u64,
    /// Negotiation progress.
    state: HandshakeState,
    /// The peer's `version`, once received.
    remote: Option<RemoteVersion>,
    /// `min(ours, theirs)` once their `version` arrived; ours before that, as btcd starts a
    /// peer's `protocolVersion` at its maximum (so a reject can be encoded for a peer whose
    /// first message is not `version`).
    negotiated_version: u32,
    /// When the handshake finished (`tH`); tickers are phased from it.
    ready_at_ms: Option<u64>,
    /// Last time any message arrived (the idle timer restarts from here).
    last_recv_ms: u64,
    /// Next tick of btcd's `pingHandler` ticker.
    next_ping_ms: u64,
    /// Nonce and send time of the last ping, until its pong arrives.
    ping_in_flight: Option<(u64, u64)>,
    /// Round-trip time of the last answered ping.
    last_rtt_ms: Option<u64>,
    /// Next tick of btcd's `stallHandler` ticker.
    next_stall_tick_ms: u64,
    /// When our last unanswered `getheaders` was sent (btcd `pendingResponses`); any
    /// `headers` reply clears it.
    getheaders_sent_ms: Option<u64>,
    /// The peer asked for `headers` announcements (BIP 130).
    wants_headers_announcements: bool,
    /// The peer sent `sendaddrv2` during the handshake.
    wants_addrv2: bool,
    /// The nonce of the `version` we sent on this connection (Core's self-connection check
    /// compares inbound nonces with those of outbound connections still in handshake).
    local_nonce: Option<u64>,
    /// Whether anything was received on this connection (Core `InactivityCheck`).
    received_any: bool,
    /// Last time anything was queued for this peer (Core `m_last_send`).
    last_send_ms: Option<u64>,
    /// Core: when the last `ping` was sent (`m_ping_start`); the next one waits for its pong
    /// and `ping_interval`.
    ping_start_ms: Option<u64>,
    /// Core: initial header sync was started with this peer (`fSyncStarted`).
    sync_started: bool,
    /// Core: the initial header sync must be done by then or the peer is dropped
    /// (`m_headers_sync_timeout`); `None` once caught up or never started.
    headers_sync_deadline_ms: Option<u64>,
    /// Core: the headers-sync deadline passed when no other preferred peer could take over;
    /// it is re-checked whenever the node runs its checks, but no longer wakes the node.
    headers_sync_overdue: bool,
    /// btcd: first locator hash and `hash_stop` of the last `getheaders` sent; an identical
    /// request is not sent again (`PushGetHeadersMsg`, `prevGetHdrsBegin`/`prevGetHdrsStop`).
    prev_getheaders: Option<(bitcoin::BlockHash, bitcoin::BlockHash)>,
    /// Core: a block `inv` from this peer already triggered a `getheaders` before its sync
    /// started (`m_inv_triggered_getheaders_before_sync`).
    inv_triggered_getheaders: bool,
    /// Core: when our last `getheaders` went out, until any connecting `headers` arrives
    /// (`m_last_getheaders_timestamp`, the two-minute rate limit).
    last_getheaders_ms: Option<u64>,
    /// Core: the header with the most work this peer is known to have
    /// (`pindexBestKnownBlock`), from the last header of its `headers` messages and its block
    /// `inv`s.
    best_known_block: Option<bitcoin::BlockHash>,
    /// Core: we sent it `sendheaders` (`Peer::m_sent_sendheaders`).
    sent_sendheaders: bool,
    /// Core: the last block it announced that we did not know yet (`hashLastUnknownBlock`);
    /// it becomes the best known block once known, if it has enough work.
    last_unknown_block: Option<bitcoin::BlockHash>,
    /// Core: the outbound chain-sync eviction state (`m_chain_sync`).
    chain_sync: ChainSyncTimeout,
    /// Core: a low-work headers sync in progress with this peer (`m_headers_sync`).
    headers_presync: Option<Box<HeadersPresync>>,
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
    /// A fresh connection of `connection_type` at `now_ms`.
    pub fn new(
        id: PeerId,
        addr: String,
        direction: Direction,
        connection_type: ConnectionType,
        now_ms: u64,
    ) -> Peer {
        Peer {
            id,
            addr,
            direction,
            connection_type,
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
            sent_sendheaders: false,
            last_unknown_block: None,
            chain_sync: ChainSyncTimeout::default(),
            headers_presync: None,
        }
    }

    /// This connection's id.
    pub fn id(&self) -> PeerId {
        self.id
    }

    /// Label of the remote end (`host:port` as dialled, or the host of an inbound peer).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The host part of [`Peer::addr`]: what bans, discouragement and NoBan apply to.
    pub fn host(&self) -> &str {
        host_of(&self.addr)
    }

    /// Whether the peer's address is a loopback address ([`is_local_host`], Core
    /// `CNetAddr::IsLocal`).
    pub fn is_local(&self) -> bool {
        is_local_host(self.host())
    }

    /// Who dialled.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// What the connection is for: inbound, manual ([`crate::Config::connect`]) or automatic
    /// full-relay (Core's `m_conn_type`).
    pub fn connection_type(&self) -> ConnectionType {
        self.connection_type
    }

    /// When the TCP connection was established.
    pub fn connected_at_ms(&self) -> u64 {
        self.connected_at_ms
    }

    /// Negotiation progress.
    pub fn state(&self) -> HandshakeState {
        self.state
    }

    /// The peer's `version`, once received.
    pub fn remote(&self) -> Option<&RemoteVersion> {
        self.remote.as_ref()
    }

    /// `min(ours, theirs)` once their `version` arrived; ours before that, as btcd starts a
    /// peer's `protocolVersion` at its maximum (so a reject can be encoded for a peer whose
    /// first message is not `version`).
    pub fn negotiated_version(&self) -> u32 {
        self.negotiated_version
    }

    /// The nonce of the `version` we sent on this connection.
    pub fn local_nonce(&self) -> Option<u64> {
        self.local_nonce
    }

    /// Last time any message arrived (the idle timer restarts from here).
    pub fn last_recv_ms(&self) -> u64 {
        self.last_recv_ms
    }

    /// Whether anything was received on this connection (Core `InactivityCheck`).
    pub fn received_any(&self) -> bool {
        self.received_any
    }

    /// Last time anything was queued for this peer (Core `m_last_send`).
    pub fn last_send_ms(&self) -> Option<u64> {
        self.last_send_ms
    }

    /// Nonce and send time of the last ping, until its pong arrives.
    pub fn ping_in_flight(&self) -> Option<(u64, u64)> {
        self.ping_in_flight
    }

    /// Round-trip time of the last answered ping.
    pub fn last_rtt_ms(&self) -> Option<u64> {
        self.last_rtt_ms
    }

    /// Core: when the last `ping` was sent (`m_ping_start`).
    pub fn ping_start_ms(&self) -> Option<u64> {
        self.ping_start_ms
    }

    /// When our last unanswered `getheaders` was sent (btcd `pendingResponses`).
    pub fn getheaders_sent_ms(&self) -> Option<u64> {
        self.getheaders_sent_ms
    }

    /// The peer asked for `headers` announcements (BIP 130).
    pub fn wants_headers_announcements(&self) -> bool {
        self.wants_headers_announcements
    }

    /// The peer sent `sendaddrv2` during the handshake.
    pub fn wants_addrv2(&self) -> bool {
        self.wants_addrv2
    }

    /// Core: initial header sync was started with this peer (`fSyncStarted`).
    pub fn sync_started(&self) -> bool {
        self.sync_started
    }

    /// Core: the initial header sync must be done by then or the peer is dropped
    /// (`m_headers_sync_timeout`); `None` once caught up or never started.
    pub fn headers_sync_deadline_ms(&self) -> Option<u64> {
        self.headers_sync_deadline_ms
    }

    /// Core: a block `inv` from this peer already triggered a `getheaders` before its sync
    /// started (`m_inv_triggered_getheaders_before_sync`).
    pub fn inv_triggered_getheaders(&self) -> bool {
        self.inv_triggered_getheaders
    }

    /// Core: when our last `getheaders` went out, until any connecting `headers` arrives
    /// (`m_last_getheaders_timestamp`).
    pub fn last_getheaders_ms(&self) -> Option<u64> {
        self.last_getheaders_ms
    }

    /// Core: the header with the most work this peer is known to have
    /// (`pindexBestKnownBlock`).
    pub fn best_known_block(&self) -> Option<bitcoin::BlockHash> {
        self.best_known_block
    }

    /// Core: the last block it announced that we did not know yet (`hashLastUnknownBlock`).
    pub fn last_unknown_block(&self) -> Option<bitcoin::BlockHash> {
        self.last_unknown_block
    }

    /// Core: the outbound chain-sync eviction state (`m_chain_sync`).
    pub fn chain_sync(&self) -> &ChainSyncTimeout {
        &self.chain_sync
    }

    /// Core: a low-work headers sync is in progress with this peer (`m_headers_sync`).
    pub fn has_headers_presync(&self) -> bool {
        self.headers_presync.is_some()
    }

    /// Core: what the low-work headers sync in progress holds, if one is.
    pub fn headers_presync_sizes(&self) -> Option<PresyncSizes> {
        self.headers_presync.as_ref().map(|presync| presync.sizes())
    }

    // ----- what the node tells the peer -----

    /// A message arrived at `now_ms`: the idle timer restarts.
    pub(super) fn record_receive(&mut self, now_ms: u64) {
        self.last_recv_ms = now_ms;
        self.received_any = true;
    }

    /// Something arrived (an undecodable frame, or a message under the deliberate bug that
    /// keeps the idle timer running), without restarting the idle timer.
    pub(super) fn mark_received_any(&mut self) {
        self.received_any = true;
    }

    /// A message was queued for the peer at `now_ms`.
    pub(super) fn record_send(&mut self, now_ms: u64) {
        self.last_send_ms = Some(now_ms);
    }

    /// Their `version` was accepted: the negotiated version and what they told us.
    pub(super) fn accept_version(&mut self, negotiated_version: u32, remote: RemoteVersion) {
        self.negotiated_version = negotiated_version;
        self.remote = Some(remote);
    }

    /// Our `verack` is sent; their `verack` is awaited.
    pub(super) fn await_verack(&mut self) {
        self.state = HandshakeState::AwaitVerack;
    }

    /// The peer sent `sendaddrv2`.
    pub(super) fn set_wants_addrv2(&mut self) {
        self.wants_addrv2 = true;
    }

    /// The peer sent `sendheaders`.
    pub(super) fn set_wants_headers_announcements(&mut self) {
        self.wants_headers_announcements = true;
    }

    /// The nonce of the `version` we send on this connection.
    pub(super) fn set_local_nonce(&mut self, nonce: u64) {
        self.local_nonce = Some(nonce);
    }

    /// btcd `stallHandler`'s ticker: whether it ticked by `now_ms`; if so it moves past
    /// `now_ms` in whole intervals.
    pub(super) fn take_stall_tick(&mut self, now_ms: u64, timing: &Timing) -> bool {
        if now_ms < self.next_stall_tick_ms {
            return false;
        }
        let interval_ms = ms(timing.stall_tick_interval).max(1);
        while self.next_stall_tick_ms <= now_ms {
            self.next_stall_tick_ms += interval_ms;
        }
        true
    }

    /// btcd `pingHandler`'s ticker: whether it ticked by `now_ms`; if so it moves past
    /// `now_ms` in whole intervals.
    pub(super) fn take_ping_tick(&mut self, now_ms: u64, timing: &Timing) -> bool {
        if now_ms < self.next_ping_ms {
            return false;
        }
        let interval_ms = ms(timing.ping_interval).max(1);
        while self.next_ping_ms <= now_ms {
            self.next_ping_ms += interval_ms;
        }
        true
    }

    /// A `ping` with `nonce` goes out at `now_ms`: above BIP 31 its `pong` is expected.
    pub(super) fn expect_pong(&mut self, nonce: u64, now_ms: u64) {
        if self.negotiated_version > BIP0031_VERSION {
            self.ping_in_flight = Some((nonce, now_ms));
        }
    }

    /// Core `MaybeSendPing`: a `ping` with `nonce` goes out at `now_ms`; the next one waits
    /// for its `pong` and `ping_interval`.
    pub(super) fn start_ping(&mut self, nonce: u64, now_ms: u64) {
        self.ping_start_ms = Some(now_ms);
        self.expect_pong(nonce, now_ms);
    }

    /// The outstanding ping was answered at `now_ms`: its round-trip time is recorded.
    pub(super) fn finish_ping(&mut self, now_ms: u64) {
        if let Some((_, sent_ms)) = self.ping_in_flight.take() {
            self.last_rtt_ms = Some(now_ms - sent_ms);
        }
    }

    /// The outstanding ping is given up without a round-trip time (Core: a zero nonce).
    pub(super) fn cancel_ping(&mut self) {
        self.ping_in_flight = None;
    }

    /// btcd: whether a `getheaders` with this first locator hash and stop is the same as the
    /// last one sent (`PushGetHeadersMsg`).
    pub(super) fn repeats_last_getheaders(
        &self,
        key: (bitcoin::BlockHash, bitcoin::BlockHash),
    ) -> bool {
        self.prev_getheaders == Some(key)
    }

    /// A `getheaders` with this first locator hash and stop is sent.
    pub(super) fn remember_getheaders(&mut self, key: (bitcoin::BlockHash, bitcoin::BlockHash)) {
        self.prev_getheaders = Some(key);
    }

    /// A `getheaders` went out at `now_ms`: btcd's `headers` deadline runs from here.
    pub(super) fn record_getheaders_sent(&mut self, now_ms: u64) {
        self.getheaders_sent_ms = Some(now_ms);
    }

    /// btcd `stallControl`: any `headers` message clears the pending response.
    pub(super) fn clear_headers_deadline(&mut self) {
        self.getheaders_sent_ms = None;
    }

    /// Core: the initial header sync starts with this peer and must be done by `deadline_ms`.
    pub(super) fn start_headers_sync(&mut self, deadline_ms: u64) {
        self.sync_started = true;
        self.headers_sync_deadline_ms = Some(deadline_ms);
    }

    /// Core: the initial header sync with this peer is given up (a NoBan peer past its
    /// deadline), so that another peer can be tried.
    pub(super) fn reset_headers_sync(&mut self) {
        self.sync_started = false;
        self.headers_sync_deadline_ms = None;
    }

    /// Core: our best header is recent, so the headers-sync deadline is cleared for good.
    pub(super) fn clear_headers_sync_deadline(&mut self) {
        self.headers_sync_deadline_ms = None;
    }

    /// Core: the headers-sync deadline passed while no other peer could take over.
    pub(super) fn mark_headers_sync_overdue(&mut self) {
        self.headers_sync_overdue = true;
    }

    /// Core: a block `inv` from this peer triggered a `getheaders` before its sync started.
    pub(super) fn mark_inv_triggered_getheaders(&mut self) {
        self.inv_triggered_getheaders = true;
    }

    /// Core `MaybeSendGetHeaders`: a `getheaders` goes out at `now_ms`.
    pub(super) fn record_getheaders_timestamp(&mut self, now_ms: u64) {
        self.last_getheaders_ms = Some(now_ms);
    }

    /// Core: a connecting `headers` arrived, so the next `getheaders` is not rate-limited.
    pub(super) fn reset_getheaders_timestamp(&mut self) {
        self.last_getheaders_ms = None;
    }

    /// Core: the low-work headers sync in progress, taken out to feed it a message.
    pub(super) fn take_headers_presync(&mut self) -> Option<Box<HeadersPresync>> {
        self.headers_presync.take()
    }

    /// Core: keeps `presync` as the low-work headers sync in progress.
    pub(super) fn set_headers_presync(&mut self, presync: Box<HeadersPresync>) {
        self.headers_presync = Some(presync);
    }

    /// Core: whether we sent it `sendheaders`.
    pub fn sent_sendheaders(&self) -> bool {
        self.sent_sendheaders
    }

    /// Core: we sent it `sendheaders`; never again on this connection.
    pub(super) fn mark_sent_sendheaders(&mut self) {
        self.sent_sendheaders = true;
    }

    /// Core: `hash` becomes the peer's best known header.
    pub(super) fn set_best_known_block(&mut self, hash: bitcoin::BlockHash) {
        self.best_known_block = Some(hash);
    }

    /// Core: the peer announced `hash`, which we do not know yet.
    pub(super) fn set_last_unknown_block(&mut self, hash: bitcoin::BlockHash) {
        self.last_unknown_block = Some(hash);
    }

    /// Core: the unknown block the peer announced became known.
    pub(super) fn clear_last_unknown_block(&mut self) {
        self.last_unknown_block = None;
    }

    /// Core `ConsiderEviction`: the peer showed our tip's work, so its timer stops (its
    /// protection stays).
    pub(super) fn reset_chain_sync(&mut self) {
        self.chain_sync = ChainSyncTimeout {
            protect: self.chain_sync.protect,
            ..Default::default()
        };
    }

    /// Core `ConsiderEviction`: the peer has until `timeout_s` to show the work of
    /// `work_header`, our tip now.
    pub(super) fn start_chain_sync_timer(
        &mut self,
        timeout_s: u64,
        work_header: bitcoin::BlockHash,
    ) {
        self.chain_sync.timeout_s = Some(timeout_s);
        self.chain_sync.work_header = Some(work_header);
        self.chain_sync.sent_getheaders = false;
    }

    /// Core `ConsiderEviction`: the last-chance `getheaders` went out; the peer has until
    /// `timeout_s` to answer.
    pub(super) fn record_chain_sync_getheaders(&mut self, timeout_s: u64) {
        self.chain_sync.sent_getheaders = true;
        self.chain_sync.timeout_s = Some(timeout_s);
    }

    /// Core: the peer is one of the first outbound peers to show our tip's work and is never
    /// evicted by `ConsiderEviction` (`m_protect`).
    pub(super) fn protect_from_eviction(&mut self) {
        self.chain_sync.protect = true;
    }

    /// True for a connection we dialled.
    pub fn is_outbound(&self) -> bool {
        matches!(self.direction, Direction::Outbound(_))
    }

    /// Core's `fPreferredDownload`, header-only reading: an outbound peer (manual or
    /// automatic) or, with `noban` (the peer's host has the NoBan permission), an inbound one,
    /// that can serve headers (`ProcessMessage` VERSION: `!pfrom.IsInboundConn() ||
    /// pfrom.HasPermission(NetPermissionFlags::NoBan)`, not an addr-fetch connection,
    /// `CanServeBlocks`).
    pub fn is_preferred(&self, noban: bool) -> bool {
        (self.is_outbound() || noban) && self.can_serve_headers()
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
    /// `ping_start_ms` instead of `next_ping_ms`; the idle clock keeps the last receive
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

    /// Core `ConsiderEviction`'s condition: an unprotected automatic outbound peer
    /// (`IsOutboundOrBlockRelayConn`: neither manual nor inbound) whose initial header sync was
    /// started.
    pub fn chain_sync_applies(&self) -> bool {
        !self.chain_sync.protect
            && self.connection_type.is_outbound_or_block_relay()
            && self.sync_started
            && self.is_ready()
    }
}

/// The host part of a `host:port` label (the whole label if it has no port).
pub(super) fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}

/// Whether `host` is a loopback address, as Core's `CNetAddr::IsLocal` (`netaddress.cpp`)
/// reads it: IPv4 `127.0.0.0/8` or `0.0.0.0/8`, or IPv6 `::1` (an IPv4-mapped IPv6 address
/// counts as its IPv4 address, as Core stores it). Core always knows a peer's IP; this node
/// labels an outbound peer with the name it dialled, so `localhost` counts as local too. Any
/// other name (the simulator's host names) is not local.
pub fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V4(v4)) => matches!(v4.octets()[0], 0 | 127),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_are_cores_loopback_ranges() {
        for local in [
            "127.0.0.1",
            "127.5.4.3",
            "0.1.2.3",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
            "localhost",
        ] {
            assert!(is_local_host(local), "{local}");
        }
        for remote in ["10.0.0.1", "192.168.1.1", "::2", "1.2.3.4", "p1", "node"] {
            assert!(!is_local_host(remote), "{remote}");
        }
        assert_eq!(host_of("[::1]:8333"), "[::1]");
    }
}

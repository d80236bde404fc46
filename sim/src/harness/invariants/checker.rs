//! The [`Checker`]: watches one run's events and checks the invariants that can be checked as
//! it goes (store, best chain, queues, locators, disconnect reasons, deadlines, redials); the
//! rest at the end.

use std::collections::BTreeMap;

use bitcoin::pow::Work;
use bitcoin::BlockHash;
use node::config::Timing;
use node::protocol::events::ChainSyncStep;
use node::protocol::header_chain::ChainUpdate;
use node::protocol::DropReason;
use node::protocol::MessageSummary;
use node::runtime::QueueDepth;
use node::{DisconnectReason, Event, Node, PeerId, Profile};

use super::headers_sync::HeadersSyncDeadlines;
use super::liveness::{ms, Liveness};
use super::report::{
    InvariantReport, Violation, DEADLINES_KEPT, DISCONNECTS_HAVE_REASONS, HEADERS_FOLLOW_CONSENSUS,
    INVARIANTS, LIVENESS, LOCATORS_WELL_FORMED, NODE_READS_WHAT_WAS_WRITTEN, QUEUES_BOUNDED,
    REDIALS_BACK_OFF, STORED_CHAIN_VALID, STORE_MATCHES_BEST_CHAIN, STORE_MATCHES_COMMITTED,
    TIP_WORK_INCREASES,
};
use super::rules::{RuleBreach, Rules, RULES};
use super::wire::NodeReads;
use crate::peers::fake_peer::WrittenStreams;

/// How long after a peer closes a connection the node may take to report its end, in
/// simulated ms: the close crosses the simulated network (its latency and any fault holding
/// the link) before the node's read sees it.
const CLOSE_SLACK_MS: u64 = 30_000;

/// Slack allowed past a deadline before a still-open connection is a violation: one stall
/// tick (btcd checks deadlines on its 15 s `stallTickInterval`) plus a second.
fn deadline_slack_ms(timing: &Timing) -> u64 {
    ms(timing.stall_tick_interval) + 1000
}

/// What the checker knows about one open connection.
#[derive(Debug, Clone)]
struct Connection {
    host: String,
    connected_ms: u64,
    handshake_ms: Option<u64>,
    last_received_ms: u64,
    /// Our pings not yet answered: nonce → when sent.
    pings: BTreeMap<u64, u64>,
    /// When the oldest `getheaders` still unanswered was sent, and the latest one.
    getheaders_pending: Option<(u64, u64)>,
    /// Core: when the chain-sync eviction's last-chance `getheaders` went out.
    chain_sync_getheaders_ms: Option<u64>,
    /// When the node last sent a `ping`, and when a `pong` last answered one.
    last_ping_ms: Option<u64>,
    ping_answered_ms: Option<u64>,
}

/// Watches one run's events and checks the invariants that can be checked as it goes; the
/// rest are checked at the end by [`Checker::finish`].
#[derive(Debug)]
pub struct Checker {
    seed: u64,
    epoch_ms: u64,
    timing: Timing,
    profile: Profile,
    /// The committed store as the node's persist calls describe it: height → hash.
    model: BTreeMap<u32, BlockHash>,
    connections: BTreeMap<u64, Connection>,
    labels: BTreeMap<u64, String>,
    /// Best chainwork since this node run started.
    tip_work: Option<Work>,
    /// Every best-chain change: (ms since start, chainwork).
    pub tip_history: Vec<(u64, Work)>,
    /// Per host: when its last connection ended or dial failed (read for permanent targets).
    lost_at_ms: BTreeMap<String, u64>,
    /// Per permanent target host: when it was last dialled.
    last_dial_ms: BTreeMap<String, u64>,
    violations: BTreeMap<&'static str, Violation>,
    run: u32,
    /// The best header the node last announced (`started`, `tip_changed`).
    announced_tip: Option<(u32, BlockHash)>,
    /// The profile rules ([`super::rules`]).
    rules: Rules,
    /// What the node read on each connection ([`super::wire`]).
    reads: NodeReads,
    /// Under Core, the upper bound of the headers-sync timeout ([`super::headers_sync`]).
    headers_sync: Option<HeadersSyncDeadlines>,
    /// The time of the node's best header at its last event (Unix seconds).
    best_header_s: u64,
}

impl Checker {
    /// A checker for a run with `seed`, whose clock starts at `epoch_ms`, of a node with
    /// `timing` and `profile`, whose NoBan hosts are `noban`, inbound limit `inbound_max` and
    /// minimum chain work `minimum_chain_work`.
    pub fn new(
        seed: u64,
        epoch_ms: u64,
        timing: Timing,
        profile: Profile,
        noban: Vec<String>,
        inbound_max: usize,
        minimum_chain_work: Work,
    ) -> Checker {
        Checker {
            seed,
            epoch_ms,
            timing: timing.clone(),
            profile,
            model: BTreeMap::new(),
            connections: BTreeMap::new(),
            labels: BTreeMap::new(),
            tip_work: None,
            tip_history: Vec::new(),
            lost_at_ms: BTreeMap::new(),
            last_dial_ms: BTreeMap::new(),
            violations: BTreeMap::new(),
            run: 0,
            announced_tip: None,
            headers_sync: (profile == Profile::Core)
                .then(|| HeadersSyncDeadlines::new(timing.clone(), noban.clone())),
            rules: Rules::new(profile, noban, inbound_max)
                .with_minimum_chain_work(minimum_chain_work)
                .with_headers_response_ms(ms(timing.headers_response_time)),
            reads: NodeReads::default(),
            best_header_s: 0,
        }
    }

    /// Records a violation (only the first of each invariant is kept).
    pub fn violate(&mut self, invariant: &'static str, at_ms: u64, message: String) {
        let seed = self.seed;
        self.violations.entry(invariant).or_insert(Violation {
            invariant,
            at_ms,
            seed,
            peer: None,
            message,
        });
    }

    /// Records a broken profile rule (only the first of each rule is kept).
    fn breach(&mut self, at_ms: u64, breach: RuleBreach) {
        let seed = self.seed;
        self.violations.entry(breach.rule).or_insert(Violation {
            invariant: breach.rule,
            at_ms,
            seed,
            peer: Some(breach.peer),
            message: breach.message,
        });
    }

    fn model_top(&self) -> Option<(u32, BlockHash)> {
        self.model.iter().next_back().map(|(h, hash)| (*h, *hash))
    }

    /// A committed store write.
    pub fn persisted(&mut self, update: &ChainUpdate) {
        let _ = self.model.split_off(&update.start_height());
        for (height, hash) in (update.start_height()..).zip(update.hashes()) {
            self.model.insert(height, *hash);
        }
    }

    /// The node's software stopped (a crash): its connections are gone with it.
    pub fn node_stopped(&mut self) {
        self.connections.clear();
        if let Some(watch) = &mut self.headers_sync {
            watch.node_stopped();
        }
        self.rules.node_stopped();
    }

    /// A frame joined a peer's outbound queue (now, in simulated time).
    pub fn outbound_queued(&mut self, peer: PeerId, depth: QueueDepth) {
        let at_ms = crate::harness::faults::sim_now_ms();
        if depth.messages > depth.messages_max || depth.bytes > depth.bytes_max {
            let host = self.labels.get(&peer.0).cloned().unwrap_or_default();
            self.violate(
                QUEUES_BOUNDED,
                at_ms,
                format!(
                    "{host}#{}: outbound queue holds {} messages / {} bytes, bounds {} / {}",
                    peer.0, depth.messages, depth.bytes, depth.messages_max, depth.bytes_max
                ),
            );
        }
    }

    /// One node event, with the node's state after it.
    pub fn event(&mut self, now_ms: u64, event: &Event, node: &Node) {
        let at_ms = now_ms.saturating_sub(self.epoch_ms);
        self.reads.event(self.run, event);
        let best_header_s = u64::from(node.chain().tip_header().time);
        let recent = best_header_s + self.timing.max_tip_age.as_secs() >= now_ms / 1000;
        self.best_header_s = best_header_s;
        self.rules.best_header_recent(recent);
        self.rules.best_height(node.chain().tip_height());
        // Core's `best_block` for an `inv`: the last block it announces that is not in the
        // node's header index (an `inv` adds nothing to it, so the index after the event is
        // the index the node looked in).
        let unknown_block = match event {
            Event::Received {
                message: MessageSummary::Inv { blocks, .. },
                ..
            } => blocks
                .iter()
                .rev()
                .find(|hash| !node.chain().contains(hash))
                .copied(),
            _ => None,
        };
        self.rules.inv_unknown_block(unknown_block);
        if let Some(watch) = &mut self.headers_sync {
            let behind_s = (now_ms / 1000).saturating_sub(best_header_s);
            watch.event(at_ms, event, behind_s, recent);
        }
        for breach in self.rules.event(at_ms, event) {
            self.breach(at_ms, breach);
        }
        match event {
            Event::Started {
                tip_height,
                tip_hash,
                chainwork,
            } => {
                self.run += 1;
                self.connections.clear();
                self.labels.clear();
                // A new process remembers no earlier attempts.
                self.lost_at_ms.clear();
                self.last_dial_ms.clear();
                match self.model_top() {
                    None => {
                        self.model.insert(*tip_height, *tip_hash);
                    }
                    Some((height, hash)) if (height, hash) != (*tip_height, *tip_hash) => self.violate(
                        STORE_MATCHES_COMMITTED,
                        at_ms,
                        format!("node run {} started at {tip_height} {tip_hash}, but the last committed tip was {height} {hash}", self.run),
                    ),
                    Some(_) => {}
                }
                self.tip_work = Some(*chainwork);
                self.announced_tip = Some((*tip_height, *tip_hash));
                self.tip_history.push((at_ms, *chainwork));
            }
            Event::Connected { peer, addr, .. } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                self.labels.insert(peer.0, host.clone());
                self.connections.insert(
                    peer.0,
                    Connection {
                        host,
                        connected_ms: at_ms,
                        handshake_ms: None,
                        last_received_ms: at_ms,
                        pings: BTreeMap::new(),
                        getheaders_pending: None,
                        chain_sync_getheaders_ms: None,
                        last_ping_ms: None,
                        ping_answered_ms: None,
                    },
                );
            }
            Event::HandshakeDone { peer, .. } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    c.handshake_ms = Some(at_ms);
                }
            }
            // Core `ConsiderEviction`: the timer is set no earlier than the connection, so the
            // last-chance `getheaders` comes at least `CHAIN_SYNC_TIMEOUT` after it.
            Event::ChainSync {
                peer,
                step: ChainSyncStep::VerifyingChainWork { .. },
            } => {
                let limit = ms(self.timing.chain_sync_timeout);
                let early = self.connections.get_mut(&peer.0).and_then(|c| {
                    c.chain_sync_getheaders_ms = Some(at_ms);
                    (at_ms < c.connected_ms.saturating_add(limit)).then(|| {
                        format!(
                            "{}#{} sent the chain-sync getheaders {} ms after it connected, \
                             before the {limit} ms chain-sync timeout",
                            c.host,
                            peer.0,
                            at_ms - c.connected_ms
                        )
                    })
                });
                if let Some(message) = early {
                    self.violate(DEADLINES_KEPT, at_ms, message);
                }
            }
            Event::Received { peer, message } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    c.last_received_ms = at_ms;
                    match message {
                        // Core `ProcessMessage` PONG: a zero nonce cancels the outstanding
                        // ping ("Nonce zero").
                        MessageSummary::Pong { nonce: 0 } if self.profile == Profile::Core => {
                            c.pings.clear();
                            c.ping_answered_ms = Some(at_ms);
                        }
                        // Any other nonce answers only its own ping.
                        MessageSummary::Pong { nonce } if c.pings.remove(nonce).is_some() => {
                            c.ping_answered_ms = Some(at_ms);
                        }
                        MessageSummary::Headers { .. } => c.getheaders_pending = None,
                        _ => {}
                    }
                }
            }
            // A message read and set aside still counts as received; a drop that is a
            // decision about the peer (a NoBan or manual peer not punished) is no receipt.
            Event::Dropped { peer, reason } => {
                let read = matches!(
                    reason,
                    DropReason::Frame(_)
                        | DropReason::BeforeVersion { .. }
                        | DropReason::BeforeVerack { .. }
                        | DropReason::UserAgentTooLong { .. }
                );
                if let Some(c) = self.connections.get_mut(&peer.0).filter(|_| read) {
                    c.last_received_ms = at_ms;
                }
            }
            Event::Sent { peer, message } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    match message {
                        MessageSummary::Ping { nonce } => {
                            c.pings.insert(*nonce, at_ms);
                            c.last_ping_ms = Some(at_ms);
                        }
                        MessageSummary::GetHeaders { .. } => {
                            c.getheaders_pending = Some(
                                c.getheaders_pending
                                    .map_or((at_ms, at_ms), |(first, _)| (first, at_ms)),
                            );
                        }
                        _ => {}
                    }
                }
                if let MessageSummary::GetHeaders {
                    locator_heights, ..
                } = message
                {
                    self.check_locator(at_ms, locator_heights, node.chain().base_height());
                }
            }
            Event::Disconnected { peer, reason } => {
                if reason.to_string().trim().is_empty() {
                    self.violate(
                        DISCONNECTS_HAVE_REASONS,
                        at_ms,
                        format!("peer {} was disconnected without a reason", peer.0),
                    );
                }
                if let Some(c) = self.connections.remove(&peer.0) {
                    self.check_not_early(at_ms, &c, reason, peer.0);
                    self.lost_at_ms.insert(c.host, at_ms);
                }
            }
            Event::PeerClosed { peer, .. } => {
                if let Some(c) = self.connections.remove(&peer.0) {
                    self.lost_at_ms.insert(c.host, at_ms);
                }
            }
            Event::DialFailed {
                addr,
                failed_attempts: None,
                ..
            } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                self.lost_at_ms.insert(host, at_ms);
            }
            Event::Dialing {
                addr,
                kind: node::protocol::TargetKind::Permanent,
            } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                // btcd waits from the failure or the loss (`connmgr` `handleFailedConn`);
                // Core from the previous attempt (`ThreadOpenConnections`, `nLastTry`).
                let since = match self.profile {
                    Profile::Btcd => self.lost_at_ms.remove(&host).map(|at| (at, "it was lost")),
                    Profile::Core => self
                        .last_dial_ms
                        .get(&host)
                        .map(|at| (*at, "the previous dial")),
                };
                if let Some((since, what)) = since {
                    let interval = ms(self.timing.retry_interval);
                    if at_ms < since + interval {
                        self.violate(
                            REDIALS_BACK_OFF,
                            at_ms,
                            format!(
                                "{host} redialled {} ms after {what}, retry interval {interval} ms",
                                at_ms - since
                            ),
                        );
                    }
                }
                self.last_dial_ms.insert(host, at_ms);
            }
            Event::TipChanged {
                height,
                hash,
                chainwork,
                ..
            } => {
                if let Some(previous) = self.tip_work {
                    if *chainwork <= previous {
                        let relation = if *chainwork == previous {
                            "equal"
                        } else {
                            "less"
                        };
                        self.violate(
                            TIP_WORK_INCREASES,
                            at_ms,
                            format!("best chain moved to {height} {hash} with {relation} work ({chainwork:x} after {previous:x})"),
                        );
                    }
                }
                self.tip_work = Some(*chainwork);
                self.announced_tip = Some((*height, *hash));
                self.tip_history.push((at_ms, *chainwork));
            }
            _ => {}
        }
        // The node's outputs run in order: a best-chain change is persisted, then announced,
        // so after every event the store's top row is the last announced best header.
        if let (Some(top), Some(tip)) = (self.model_top(), self.announced_tip) {
            if top != tip {
                self.violate(
                    STORE_MATCHES_BEST_CHAIN,
                    at_ms,
                    format!(
                        "the store's top row is {} {} but the best header is {} {}",
                        top.0, top.1, tip.0, tip.1
                    ),
                );
            }
        }
        self.check_deadlines(now_ms);
    }

    /// The standard locator heights from `first` down to `base` (the node's
    /// `HeaderChain::locator_from`, Core `LocatorEntries`).
    fn expected_locator(first: u32, base: u32) -> Vec<u32> {
        let mut heights = vec![first];
        let (mut height, mut step) = (first, 1u32);
        while height > base {
            height = height.saturating_sub(step).max(base);
            heights.push(height);
            if heights.len() >= 12 {
                step = step.saturating_mul(2);
            }
        }
        heights
    }

    fn check_locator(&mut self, at_ms: u64, locator_heights: &[Option<u32>], base: u32) {
        let heights: Option<Vec<u32>> = locator_heights.iter().copied().collect();
        // A locator with hashes off our index (Core's low-work sync) or of one hash (btcd's
        // continuation `[best]`) is not a full block locator.
        let Some(heights) = heights else { return };
        if heights.len() <= 1 {
            return;
        }
        let expected = Checker::expected_locator(heights[0], base);
        // Core's low-work headers sync asks with the last header it received followed by the
        // locator of the chain start (`HeadersSyncState::NextHeadersRequestLocator`).
        let low_work_sync = heights[0] >= heights[1]
            && heights[1..] == Checker::expected_locator(heights[1], base)[..];
        if heights != expected && !low_work_sync {
            self.violate(
                LOCATORS_WELL_FORMED,
                at_ms,
                format!("getheaders locator heights {heights:?}, expected {expected:?}"),
            );
        }
    }

    /// A disconnect for a deadline must come after it passed.
    fn check_not_early(
        &mut self,
        at_ms: u64,
        c: &Connection,
        reason: &DisconnectReason,
        peer: u64,
    ) {
        let (what, since, limit) = match reason {
            DisconnectReason::Idle { .. } => {
                ("idle", c.last_received_ms, ms(self.timing.idle_timeout))
            }
            DisconnectReason::ReceiveTimeout { .. } => {
                ("receive", c.last_received_ms, ms(self.timing.idle_timeout))
            }
            DisconnectReason::HandshakeTimeout { .. } => (
                "handshake",
                c.connected_ms,
                ms(self.timing.handshake_timeout),
            ),
            // Core `ConsiderEviction`: only after the last-chance `getheaders` and its
            // `HEADERS_RESPONSE_TIME`.
            DisconnectReason::OldChain { .. } => match c.chain_sync_getheaders_ms {
                Some(sent) => ("chain-sync", sent, ms(self.timing.headers_response_time)),
                None => {
                    let message = format!(
                        "{}#{peer} disconnected for an old chain without the chain-sync getheaders",
                        c.host
                    );
                    self.violate(DEADLINES_KEPT, at_ms, message);
                    return;
                }
            },
            DisconnectReason::PingTimeout { .. } => match c.pings.values().min() {
                Some(sent) => ("ping", *sent, ms(self.timing.ping_timeout)),
                None => {
                    let message = format!(
                        "{}#{peer} disconnected for a ping timeout with no ping outstanding",
                        c.host
                    );
                    self.violate(DEADLINES_KEPT, at_ms, message);
                    return;
                }
            },
            _ => return,
        };
        if at_ms < since.saturating_add(limit) {
            self.violate(
                DEADLINES_KEPT,
                at_ms,
                format!("{}#{peer} disconnected for its {what} deadline {} ms after its start, before the {limit} ms limit", c.host, at_ms - since),
            );
        }
    }

    /// No open connection may be past a deadline (plus slack).
    pub fn check_deadlines(&mut self, now_ms: u64) {
        let at_ms = now_ms.saturating_sub(self.epoch_ms);
        let slack = deadline_slack_ms(&self.timing);
        let mut late = Vec::new();
        for (peer, c) in &self.connections {
            let mut limits = vec![(
                "handshake",
                c.handshake_ms.is_none(),
                c.connected_ms,
                ms(self.timing.handshake_timeout),
            )];
            limits.push((
                "idle",
                true,
                c.last_received_ms,
                ms(self.timing.idle_timeout),
            ));
            if self.profile == Profile::Core {
                if let Some(sent) = c.pings.values().min() {
                    limits.push(("ping", true, *sent, ms(self.timing.ping_timeout)));
                }
            }
            if self.profile == Profile::Btcd {
                if let Some((_, latest)) = c.getheaders_pending {
                    limits.push((
                        "stall",
                        true,
                        latest,
                        3 * ms(self.timing.stall_response_timeout),
                    ));
                }
            }
            // The node's own pings: btcd's `pingHandler` ticks every `pingInterval` from the
            // handshake and pings each time; Core (`MaybeSendPing`) pings `PING_INTERVAL` after
            // its last ping once that one is answered (at once if the answer came later).
            if let Some(handshake_ms) = c.handshake_ms {
                let since = match self.profile {
                    Profile::Btcd => Some(c.last_ping_ms.unwrap_or(handshake_ms)),
                    Profile::Core => c.pings.is_empty().then(|| {
                        c.last_ping_ms
                            .unwrap_or(handshake_ms)
                            .max(c.ping_answered_ms.unwrap_or(0))
                    }),
                };
                let interval = ms(self.timing.ping_interval);
                if let Some(since) = since.filter(|s| at_ms > s + interval + slack) {
                    late.push(format!(
                        "{}#{peer} was sent no ping for {} ms (ping interval {interval} ms)",
                        c.host,
                        at_ms - since
                    ));
                }
            }
            for (what, applies, since, limit) in limits {
                if applies && at_ms > since.saturating_add(limit).saturating_add(slack) {
                    late.push(format!(
                        "{}#{peer} still connected {} ms after its {what} deadline started (limit {limit} ms)",
                        c.host,
                        at_ms - since
                    ));
                }
            }
        }
        if let Some(watch) = &mut self.headers_sync {
            let recent = self.best_header_s + self.timing.max_tip_age.as_secs() >= now_ms / 1000;
            late.extend(watch.overdue(at_ms, recent, slack));
        }
        if let Some(message) = late.into_iter().next() {
            self.violate(DEADLINES_KEPT, at_ms, message);
        }
    }

    /// The first violation of each invariant seen so far.
    pub fn violations(&self) -> &BTreeMap<&'static str, Violation> {
        &self.violations
    }

    /// Checks the end state: `stored` is the store's rows from the base up (read after the
    /// run), valid under `network` at `end_s` if `chain` re-validates them; `consensus` the
    /// independent check of [`check_consensus`](super::consensus::check_consensus); `written`
    /// each fake peer's host and what it wrote (see `invariants/wire.rs`); `liveness` the
    /// result of [`liveness`](super::liveness::liveness). Returns every invariant's report.
    pub fn finish(
        mut self,
        end_ms: u64,
        stored: &[BlockHash],
        stored_valid: Result<(), String>,
        consensus: Result<(), String>,
        written: &[(String, WrittenStreams)],
        liveness: Liveness,
    ) -> Vec<InvariantReport> {
        if let Err((peer, message)) = self.reads.compare(written, self.profile == Profile::Btcd) {
            let seed = self.seed;
            self.violations
                .entry(NODE_READS_WHAT_WAS_WRITTEN)
                .or_insert(Violation {
                    invariant: NODE_READS_WHAT_WAS_WRITTEN,
                    at_ms: end_ms,
                    seed,
                    peer: Some(peer),
                    message,
                });
        }
        // Rules judged from what the fake peers wrote, once the run is over.
        let mut written_rules = vec![(
            super::rules::PEER_CLOSES_NOTICED,
            self.reads.unnoticed_close(written, end_ms, CLOSE_SLACK_MS),
        )];
        if self.profile == Profile::Core {
            let unpunished = self.reads.unpunished_lists(written);
            written_rules.push((super::rules::MISBEHAVIOUR_COUNTS_HOLD, unpunished));
        }
        for (rule, found) in written_rules {
            if let Some((peer, message)) = found {
                let breach = RuleBreach {
                    rule,
                    peer,
                    message,
                };
                self.breach(end_ms, breach);
            }
        }
        self.check_deadlines(self.epoch_ms + end_ms);
        for breach in self.rules.finish() {
            self.breach(end_ms, breach);
        }
        let model: Vec<BlockHash> = self.model.values().copied().collect();
        if !model.is_empty() && model != stored {
            let at = model
                .iter()
                .zip(stored)
                .position(|(a, b)| a != b)
                .unwrap_or(model.len().min(stored.len()));
            self.violate(
                STORE_MATCHES_COMMITTED,
                end_ms,
                format!(
                    "the store holds {} rows, the committed chain {}; they differ from row {at}",
                    stored.len(),
                    model.len()
                ),
            );
        }
        if let Err(message) = stored_valid {
            self.violate(STORED_CHAIN_VALID, end_ms, message);
        }
        if let Err(message) = consensus {
            self.violate(HEADERS_FOLLOW_CONSENSUS, end_ms, message);
        }
        let mut applied_liveness = false;
        match liveness {
            Liveness::NotApplicable(_) => {}
            Liveness::Check {
                peer,
                target_work,
                by_ms,
            } => {
                applied_liveness = true;
                let reached = self
                    .tip_history
                    .iter()
                    .find(|(_, work)| *work >= target_work)
                    .map(|(at, _)| *at);
                match reached {
                    Some(at) if at <= by_ms => {}
                    Some(at) => self.violate(
                        LIVENESS,
                        at,
                        format!("the node reached honest peer {peer}'s chainwork {target_work:x} only at {at} ms, bound {by_ms} ms"),
                    ),
                    None => self.violate(
                        LIVENESS,
                        by_ms,
                        format!(
                            "the node never reached honest peer {peer}'s chainwork {target_work:x} (best {:x}) by {by_ms} ms",
                            self.tip_work.unwrap_or(Work::from_be_bytes([0; 32]))
                        ),
                    ),
                }
            }
        }
        INVARIANTS
            .iter()
            .chain(RULES.iter())
            .map(|(name, description)| InvariantReport {
                name,
                description,
                applied: *name != LIVENESS || applied_liveness,
                violation: self.violations.get(name).cloned(),
            })
            .collect()
    }
}

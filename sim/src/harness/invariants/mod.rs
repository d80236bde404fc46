//! Invariants checked on every run, whatever the scenario expects: safety of the header store
//! and the best chain, liveness once faults stop, and the node's deadlines and disconnect
//! reasons. A broken invariant is a [`Violation`] naming the invariant, the simulated time and
//! the seed.

use serde::Serialize;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's name (one of [`InvariantReport::name`]).
    pub invariant: &'static str,
    /// Simulated milliseconds since the start of the run at which it was seen broken.
    pub at_ms: u64,
    /// The run's seed.
    pub seed: u64,
    /// What was seen, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invariant `{}` violated at {} ms (seed {}): {}",
            self.invariant, self.at_ms, self.seed, self.message
        )
    }
}

/// How one invariant fared in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvariantReport {
    /// Its name, in snake case (`tip_work_never_decreases`).
    pub name: &'static str,
    /// What it asserts, in one sentence.
    pub description: &'static str,
    /// Whether it applied to this run (liveness needs an honest reachable peer and enough
    /// simulated time after the last fault); an invariant that did not apply passes.
    pub applied: bool,
    /// The first violation seen, if any.
    pub violation: Option<Violation>,
}

use std::collections::BTreeMap;

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;
use node::config::Timing;
use node::protocol::header_chain::ChainUpdate;
use node::protocol::MessageSummary;
use node::runtime::QueueDepth;
use node::{DisconnectReason, Event, Node, PeerId, Profile};

/// `store_matches_committed`.
pub const STORE_MATCHES_COMMITTED: &str = "store_matches_committed";
/// `store_matches_best_chain`.
pub const STORE_MATCHES_BEST_CHAIN: &str = "store_matches_best_chain";
/// `stored_chain_valid`.
pub const STORED_CHAIN_VALID: &str = "stored_chain_valid";
/// `tip_work_increases`.
pub const TIP_WORK_INCREASES: &str = "tip_work_increases";
/// `queues_bounded`.
pub const QUEUES_BOUNDED: &str = "queues_bounded";
/// `locators_well_formed`.
pub const LOCATORS_WELL_FORMED: &str = "locators_well_formed";
/// `disconnects_have_reasons`.
pub const DISCONNECTS_HAVE_REASONS: &str = "disconnects_have_reasons";
/// `deadlines_kept`.
pub const DEADLINES_KEPT: &str = "deadlines_kept";
/// `redials_back_off`.
pub const REDIALS_BACK_OFF: &str = "redials_back_off";
/// `liveness`.
pub const LIVENESS: &str = "liveness";

/// Every invariant with its description, in report order.
pub const INVARIANTS: [(&str, &str); 10] = [
    (STORED_CHAIN_VALID, "the stored chain is linked from its base and every stored header passes full validation"),
    (STORE_MATCHES_COMMITTED, "after a crash the node restarts from exactly the last committed best chain, and the store at the end holds exactly the committed rows"),
    (STORE_MATCHES_BEST_CHAIN, "after every event the store's top row is the node's best header: nothing from a rejected batch is stored, and no best-chain change is left unstored"),
    (TIP_WORK_INCREASES, "the best chain only ever moves to a chain with strictly more work"),
    (QUEUES_BOUNDED, "no peer's outbound queue exceeds its message or byte bound"),
    (LOCATORS_WELL_FORMED, "every getheaders locator is a block locator (12 consecutive heights, then doubling steps, ending at the base), or Core's low-work sync form: one header, then the chain start's locator"),
    (DISCONNECTS_HAVE_REASONS, "every disconnect by the node carries a reason"),
    (DEADLINES_KEPT, "no peer stays connected past its handshake, idle, ping or stall deadline, and none is disconnected for one before it passed"),
    (REDIALS_BACK_OFF, "a permanent outbound target is never redialled sooner than the profile's retry interval after a failed dial or a lost connection"),
    (LIVENESS, "once faults stop and an honest peer with more work is reachable, the node reaches that peer's chainwork within the stated bound"),
];

/// Slack allowed past a deadline before a still-open connection is a violation: one stall
/// tick (btcd checks deadlines on its 15 s `stallTickInterval`) plus a second.
fn deadline_slack_ms(timing: &Timing) -> u64 {
    ms(timing.stall_tick_interval) + 1000
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
    /// Per permanent target host: when its last connection ended or dial failed.
    lost_at_ms: BTreeMap<String, u64>,
    /// Per permanent target host: when it was last dialled.
    last_dial_ms: BTreeMap<String, u64>,
    violations: BTreeMap<&'static str, Violation>,
    run: u32,
    /// The best header the node last announced (`started`, `tip_changed`).
    announced_tip: Option<(u32, BlockHash)>,
}

impl Checker {
    /// A checker for a run with `seed`, whose clock starts at `epoch_ms`, of a node with
    /// `timing` and `profile`.
    pub fn new(seed: u64, epoch_ms: u64, timing: Timing, profile: Profile) -> Checker {
        Checker {
            seed,
            epoch_ms,
            timing,
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
        }
    }

    /// Records a violation (only the first of each invariant is kept).
    pub fn violate(&mut self, invariant: &'static str, at_ms: u64, message: String) {
        let seed = self.seed;
        self.violations.entry(invariant).or_insert(Violation {
            invariant,
            at_ms,
            seed,
            message,
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
                    },
                );
            }
            Event::HandshakeDone { peer, .. } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    c.handshake_ms = Some(at_ms);
                }
            }
            Event::Received { peer, message } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    c.last_received_ms = at_ms;
                    match message {
                        MessageSummary::Pong { nonce } => {
                            c.pings.remove(nonce);
                        }
                        MessageSummary::Headers { .. } => c.getheaders_pending = None,
                        _ => {}
                    }
                }
            }
            Event::Dropped { peer, .. } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    c.last_received_ms = at_ms;
                }
            }
            Event::Sent { peer, message } => {
                if let Some(c) = self.connections.get_mut(&peer.0) {
                    match message {
                        MessageSummary::Ping { nonce } => {
                            c.pings.insert(*nonce, at_ms);
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
                automatic: false,
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
        if let Some(message) = late.into_iter().next() {
            self.violate(DEADLINES_KEPT, at_ms, message);
        }
    }

    /// The first violation of each invariant seen so far.
    pub fn violations(&self) -> &BTreeMap<&'static str, Violation> {
        &self.violations
    }

    /// Checks the end state: `stored` is the store's rows from the base up (read after the
    /// run), valid under `network` at `end_s` if `chain` re-validates them; `liveness` the
    /// result of [`liveness`]. Returns every invariant's report.
    pub fn finish(
        mut self,
        end_ms: u64,
        stored: &[BlockHash],
        stored_valid: Result<(), String>,
        liveness: Liveness,
    ) -> Vec<InvariantReport> {
        self.check_deadlines(self.epoch_ms + end_ms);
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
            .map(|(name, description)| InvariantReport {
                name,
                description,
                applied: *name != LIVENESS || applied_liveness,
                violation: self.violations.get(name).cloned(),
            })
            .collect()
    }
}

/// Whether liveness applies to a run, and what it demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// It does not apply, for this reason.
    NotApplicable(String),
    /// The node must reach `target_work` by `by_ms`.
    Check {
        /// The honest peer with the most work.
        peer: String,
        /// Its chain's work.
        target_work: Work,
        /// The deadline, in ms since the start: when faults stopped plus the bound.
        by_ms: u64,
    },
}

/// Core's per-header part of the headers download timeout at the end of the run, at its
/// largest: one `headers_download_timeout_per_header` per 600 s between the oldest header of
/// any chain and the end (the node's `core_headers_sync_allowance_ms`).
fn headers_download_allowance_ms(
    scenario: &crate::scenario::Scenario,
    chains: &[&[Header]],
    timing: &Timing,
) -> u64 {
    let oldest_s = chains
        .iter()
        .filter_map(|c| c.first())
        .map(|h| u64::from(h.time))
        .min()
        .unwrap_or(0);
    let end_s = scenario.epoch_s.saturating_add(scenario.duration_s);
    let per_header_us =
        u64::try_from(timing.headers_download_timeout_per_header.as_micros()).unwrap_or(u64::MAX);
    (per_header_us.saturating_mul(end_s.saturating_sub(oldest_s)) / 600).div_ceil(1000)
}

/// Total work of a chain from genesis (`chain[0]`).
pub fn chain_work(chain: &[Header]) -> Work {
    let mut work = Work::from_be_bytes([0; 32]);
    for header in chain {
        work = work + header.work();
    }
    work
}

/// Decides whether liveness applies to `scenario` (peers' chains given by `chains`, in the
/// order of `scenario.peers`) and what it demands, for a node with `timing`.
///
/// An honest peer: behaviour `honest`, a chain from genesis, the default `start_height`, a
/// version of at least 70015 with `NODE_NETWORK | NODE_WITNESS`, a `version_delay_ms` under
/// half the handshake timeout, no message, clock or ban fault aimed at it, dialled by the node
/// (`connect` or `addresses`) or dialling it, and at the end neither crashed nor cut off from
/// the node. Under Core, a peer that dials the node does not count while exactly one honest
/// peer the node dials is reachable (Core keeps that one as its initial-sync peer). Faults
/// stop at the latest fault time (`at_ms`, or `at_ms + for_ms`). The bound
/// is what the profile needs to drop every other peer that stands in the way and sync:
///
/// `retry_max + dial_timeout + handshake_timeout + (peers + 1) × give_up + transfer`
///
/// where `give_up` is the longest time the profile keeps a peer that does not serve headers
/// (btcd: the largest of the idle timeout, three stall response timeouts plus a stall tick,
/// and the sync stall limit plus a sample interval; Core: the largest of the idle timeout,
/// the ping timeout plus the ping interval, the headers download timeout (its base plus one
/// per-header allowance per 600 s from the oldest header to the end of the run), and
/// the chain-sync timeout plus the headers response time) and `transfer` is one round trip
/// at the worst latency, the peer's `headers_delay_ms` and 1 s of processing per 2000
/// headers (plus one).
pub fn liveness(
    scenario: &crate::scenario::Scenario,
    chains: &[&[Header]],
    timing: &Timing,
) -> Liveness {
    use crate::scenario::Fault;
    let not = |why: &str| Liveness::NotApplicable(why.to_string());
    if scenario.node.trusted_start.is_some() {
        return not("the node starts from a trusted header");
    }
    if scenario.node.minimum_chain_work.is_some() {
        return not("a minimum chain work is set");
    }
    // Link and host state at the end, and when faults stopped.
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    let mut settle_ms = 0;
    for (index, step) in scenario.faults.iter().enumerate() {
        events.push((step.at_ms, false, index));
        settle_ms = settle_ms.max(step.at_ms);
        if let Some(for_ms) = step.for_ms {
            events.push((step.at_ms.saturating_add(for_ms), true, index));
            settle_ms = settle_ms.max(step.at_ms.saturating_add(for_ms));
        }
    }
    events.sort();
    let pair = |a: &str, b: &str| {
        if a < b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    };
    let mut cut: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut cut_oneway: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut crashed: std::collections::BTreeSet<String> = Default::default();
    let mut targeted: std::collections::BTreeSet<String> = Default::default();
    for (_, undo, index) in events {
        match (&scenario.faults[index].fault, undo) {
            (Fault::Partition(l) | Fault::Hold(l), false) => {
                cut.insert(pair(&l.a, &l.b));
            }
            (Fault::Partition(l) | Fault::Hold(l), true)
            | (Fault::Repair(l) | Fault::Release(l), false) => {
                cut.remove(&pair(&l.a, &l.b));
            }
            (Fault::PartitionOneway(o), false) => {
                cut_oneway.insert((o.from.clone(), o.to.clone()));
            }
            (Fault::PartitionOneway(o), true) | (Fault::RepairOneway(o), false) => {
                cut_oneway.remove(&(o.from.clone(), o.to.clone()));
            }
            (Fault::Crash(h), false) => {
                crashed.insert(h.clone());
            }
            (Fault::Crash(h), true) | (Fault::Restart(h), false) => {
                crashed.remove(h);
            }
            (Fault::Message(m), _) => {
                targeted.insert(m.peer.clone());
            }
            (Fault::VersionTimeSkew(v), _) => {
                targeted.insert(v.peer.clone());
            }
            (Fault::HeaderTimeSkew(h), _) => {
                targeted.insert(h.peer.clone());
            }
            (Fault::Ban(b), _) => {
                targeted.insert(b.host.clone());
            }
            (Fault::Loss(l), false) => {
                cut.insert(pair(&l.a, &l.b));
            }
            (Fault::Loss(l), true) => {
                cut.remove(&pair(&l.a, &l.b));
            }
            _ => {}
        }
    }
    if crashed.contains("node") {
        return not("the node is down at the end");
    }
    let handshake_ms = ms(timing.handshake_timeout);
    let dialled = |name: &str| {
        scenario.node.connect.iter().any(|h| h == name)
            || scenario.node.addresses.iter().any(|h| h == name)
    };
    let steady = |spec: &crate::scenario::PeerSpec| {
        let name = spec.name.as_str();
        let reachable = (dialled(name) || (spec.dials_node && scenario.node.listen))
            && !crashed.contains(name)
            && !cut.contains(&pair("node", name))
            && !cut_oneway.contains(&("node".to_string(), name.to_string()))
            && !cut_oneway.contains(&(name.to_string(), "node".to_string()));
        let honest = spec.behaviour == crate::scenario::Behaviour::Honest
            && spec.chain.as_ref().is_some_and(|c| c.first_height() == 0)
            && spec.start_height.is_none()
            && spec.version >= 70015
            && spec.services & 0x9 == 0x9
            && spec.version_delay_ms < handshake_ms / 2
            && !targeted.contains(name);
        honest && reachable
    };
    // Core asks one peer at a time for the initial headers and picks another only once that
    // one is dropped; its headers-sync timeout drops the sync peer only while another
    // outbound peer could take over. With exactly one steady outbound peer, the sync stays
    // with it for good, and a peer that dialled us is asked only once it announces a block,
    // which fake peers never do.
    let steady_outbound = scenario
        .peers
        .iter()
        .filter(|p| dialled(&p.name) && steady(p))
        .count();
    let core = scenario.node.profile.profile() == Profile::Core;
    let mut best: Option<(String, Work, u64)> = None;
    for (spec, chain) in scenario.peers.iter().zip(chains.iter().copied()) {
        if !steady(spec) || (core && !dialled(&spec.name) && steady_outbound == 1) {
            continue;
        }
        let work = chain_work(chain);
        if best.as_ref().is_none_or(|(_, w, _)| work > *w) {
            best = Some((spec.name.clone(), work, spec.headers_delay_ms));
        }
    }
    let Some((peer, target_work, headers_delay_ms)) = best else {
        return not("no honest peer is reachable at the end");
    };
    let height = chains.iter().map(|c| c.len() as u64).max().unwrap_or(1);
    let give_up = match scenario.node.profile.profile() {
        Profile::Btcd => ms(timing.idle_timeout)
            .max(3 * ms(timing.stall_response_timeout) + ms(timing.stall_tick_interval))
            .max(ms(timing.sync_stall_max) + ms(timing.sync_stall_sample_interval)),
        Profile::Core => ms(timing.idle_timeout)
            .max(ms(timing.ping_timeout) + ms(timing.ping_interval))
            .max(
                ms(timing.headers_download_timeout_base)
                    + headers_download_allowance_ms(scenario, chains, timing),
            )
            .max(ms(timing.chain_sync_timeout) + ms(timing.headers_response_time)),
    };
    let others = scenario.peers.len() as u64;
    let transfer = (height / 2000 + 1) * (2 * scenario.latency_ms_max + headers_delay_ms + 1000);
    let bound = ms(timing.retry_max)
        + ms(timing.dial_timeout)
        + handshake_ms
        + (others + 1) * give_up
        + transfer;
    let by_ms = settle_ms + bound;
    if by_ms > scenario.duration_s * 1000 {
        return not(&format!(
            "the run ends before faults stop plus the bound ({by_ms} ms)"
        ));
    }
    Liveness::Check {
        peer,
        target_work,
        by_ms,
    }
}

//! Each profile's protocol rules that can be stated without knowing the scenario, checked on
//! the node's events as a run goes: the order of the handshake, `reject` never under Core,
//! Core's disconnect of peers asking for services the node does not offer, who may be the
//! sync peer, and which connections must be (and may only be) refused for a ban. A broken
//! rule is reported with the peer it concerns ([`RuleBreach`]); the checker turns it into a
//! violation.

use std::collections::BTreeMap;

use node::protocol::events::MessageSummary;
use node::protocol::DropReason;
use node::wire::btcd_payload::BtcdReadError;
use node::wire::DecodeError;
use node::{DisconnectReason, Event, PeerId, Profile};

mod bans;
mod btcd_tables;
mod by_connection;
mod dials;
mod discourage;
mod early;
mod features;
mod insufficient_work;
mod inv_answers;
mod low_work;
mod misbehaviour;
mod names;
mod pow_first;
mod self_connection;
mod sendheaders;
mod services;
mod stall_verdict;
mod sync_peer;

use btcd_tables::{btcd_knows, frame_limit_breach, version_gate_breach};
pub use btcd_tables::{btcd_payload_bytes_max, btcd_payload_limits, CORE_PAYLOAD_BYTES_MAX};
use early::early_message_under_btcd;
pub use names::*;

/// The protocol version btcd speaks (`wire/protocol.go` `ProtocolVersion`, v0.24: 70016).
const BTCD_PROTOCOL_VERSION: u32 = 70_016;

/// The protocol version btcd reads a peer's messages at: its own 70016 until the peer's
/// `version` (`peer_version`), then the lower of the two (`peer.go` `handleRemoteVersionMsg`).
pub(super) fn btcd_pver(peer_version: Option<u32>) -> u32 {
    peer_version.map_or(BTCD_PROTOCOL_VERSION, |v| v.min(BTCD_PROTOCOL_VERSION))
}

/// btcd's `RejectVersion` (`wire/protocol.go`): the first protocol version whose `reject` its
/// wire encodes.
const REJECT_VERSION: u32 = 70_002;

/// Commands the node may send before a connection's handshake is done.
const BEFORE_HANDSHAKE: [&str; 5] = ["version", "verack", "wtxidrelay", "sendaddrv2", "reject"];

/// Core's `NODE_NETWORK` and `NODE_NETWORK_LIMITED` service bits (`protocol.h`).
const SERVES_BLOCKS: u64 = 1 | (1 << 10);

/// Commands Core answers with a disconnect when the node does not offer `NODE_BLOOM` or
/// `NODE_COMPACT_FILTERS` (`net_processing.cpp` `ProcessMessage`, `PrepareBlockFilterRequest`).
const UNSERVED: [&str; 7] = [
    "getcfilters",
    "getcfheaders",
    "getcfcheckpt",
    "filterload",
    "filteradd",
    "filterclear",
    "mempool",
];

/// Slack around a ban's start and end, in milliseconds: the node and the checker read the
/// same clock, but a ban's length is whole seconds.
const BAN_EDGE_MS: u64 = 1_000;

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBreach {
    /// The rule's name (one of [`RULES`]).
    pub rule: &'static str,
    /// The host of the connection it concerns, and the node's id for it.
    pub peer: String,
    /// What was seen.
    pub message: String,
}

#[derive(Debug, Clone, Default)]
struct Conn {
    host: String,
    inbound: bool,
    /// A manual connection (`-connect`).
    manual: bool,
    sent_any: bool,
    got_version: bool,
    handshake_done: bool,
    services: u64,
    /// Set when the connection must end before anything else is sent or read: the rule, and
    /// why.
    must_go: Option<(&'static str, String)>,
    /// The nonce of the node's own `version` on this connection.
    sent_nonce: Option<u64>,
    /// The protocol version of the peer's first `version`.
    peer_version: Option<u32>,
    /// The first locator hash and stop hash of the last `getheaders` sent on it.
    last_getheaders: Option<(Option<bitcoin::BlockHash>, bitcoin::BlockHash)>,
    /// Set when btcd owes this connection a reject before it closes it (a duplicate `version`
    /// or `verack`, a first message other than `version`): the rule, and the command.
    reject_due: Option<(&'static str, String)>,
    /// The host was banned when the connection opened.
    opened_banned: bool,
    /// The inbound slots were full when it opened.
    inbound_full: bool,
    /// [`OUTBOUND_SERVICES_REQUIRED`]: whether the profile checks its peer's services, and
    /// once the peer's version is read, whether they lack what is required (`None`: not
    /// judged).
    services_checked: bool,
    lacks_services: Option<bool>,
}

/// Watches one run's events for the rules of [`RULES`].
#[derive(Debug)]
pub struct Rules {
    profile: Profile,
    noban: Vec<String>,
    inbound_max: usize,
    conns: BTreeMap<u64, Conn>,
    /// The nonces of the node's latest `version` messages, oldest first.
    sent_nonces: std::collections::VecDeque<u64>,
    /// Per host, until when (ms since the start) it is banned.
    banned_until_ms: BTreeMap<String, u64>,
    /// The sync peer the node last named.
    sync_peer: Option<u64>,
    /// Whether the node's best header is younger than `max_tip_age` ([`Rules::best_header_recent`]).
    best_header_recent: bool,
    /// [`LOW_WORK_CHAINS_HELD_BACK`]'s state.
    low_work: low_work::LowWork,
    /// [`SENDHEADERS_ONCE_SYNCED`]'s state.
    sendheaders: sendheaders::SendHeaders,
    /// [`AUTOMATIC_DIALS_COUNTED`]'s state.
    dials: dials::Dials,
    /// [`HEADERS_SYNC_STARTED_ONCE`]'s state.
    sync_starts: sync_peer::SyncStarts,
    /// [`PUNISHMENT_BY_CONNECTION`]'s state.
    punishments: discourage::Punishments,
    /// [`INSUFFICIENT_WORK_DISCONNECT`]'s state.
    insufficient_work: insufficient_work::InsufficientWork,
    /// [`FEATURES_BY_VERSION`]'s state.
    features: features::Features,
    /// [`BLOCK_INVS_ANSWERED`]'s state, and the last block the `inv` of the coming event
    /// announces that the node does not know ([`Rules::inv_unknown_block`]).
    inv_answers: inv_answers::InvAnswers,
    inv_unknown_block: Option<bitcoin::BlockHash>,
    /// [`SYNC_STALL_VERDICT`]'s state, and the node's best header height after the coming
    /// event ([`Rules::best_height`]).
    stall_verdict: stall_verdict::StallVerdict,
    best_height: u32,
    /// Node runs started so far.
    runs: u32,
    /// The node's last stop was a crash (not a clean stop).
    crashed: bool,
    /// Right after a start, until the first event that is not a loaded ban: the bans in force
    /// that must be loaded, and whether their absence breaks [`BANS_KEPT_ACROSS_RESTARTS`]
    /// (after a clean stop) or only means Core lost them (after a crash).
    bans_to_load: Option<(bool, std::collections::BTreeSet<String>)>,
}

impl Rules {
    /// Rules for a node with `profile` whose NoBan hosts are `noban` and that keeps at most
    /// `inbound_max` inbound connections.
    pub fn new(profile: Profile, noban: Vec<String>, inbound_max: usize) -> Rules {
        Rules {
            profile,
            noban,
            inbound_max,
            conns: BTreeMap::new(),
            sent_nonces: std::collections::VecDeque::new(),
            banned_until_ms: BTreeMap::new(),
            sync_peer: None,
            best_header_recent: false,
            low_work: low_work::LowWork::default(),
            sendheaders: sendheaders::SendHeaders::new(profile == Profile::Core),
            dials: dials::Dials::new(profile == Profile::Btcd),
            sync_starts: sync_peer::SyncStarts::default(),
            punishments: discourage::Punishments::default(),
            insufficient_work: insufficient_work::InsufficientWork::default(),
            inv_answers: inv_answers::InvAnswers::new(120_000),
            features: features::Features::default(),
            inv_unknown_block: None,
            stall_verdict: stall_verdict::StallVerdict::default(),
            best_height: 0,
            runs: 0,
            crashed: false,
            bans_to_load: None,
        }
    }

    /// Under Core, the node's minimum chain work, for [`LOW_WORK_CHAINS_HELD_BACK`] (the rule
    /// is inert without it, and under btcd).
    pub fn with_minimum_chain_work(mut self, minimum: bitcoin::pow::Work) -> Rules {
        if self.profile == Profile::Core {
            self.low_work = low_work::LowWork::new(minimum);
            self.insufficient_work = insufficient_work::InsufficientWork::new(minimum);
        }
        self.sendheaders.set_minimum(minimum);
        self
    }

    /// Core's `HEADERS_RESPONSE_TIME` as the node is configured (ms), for
    /// [`BLOCK_INVS_ANSWERED`]; 2 minutes unless given.
    pub fn with_headers_response_ms(mut self, window_ms: u64) -> Rules {
        self.inv_answers = inv_answers::InvAnswers::new(window_ms);
        self
    }

    /// For an `inv` read, the last block it announces that the node does not know (Core's
    /// `best_block`), by the node's header index; `None` for any other event. The checker
    /// states it before each event ([`BLOCK_INVS_ANSWERED`]).
    pub fn inv_unknown_block(&mut self, best: Option<bitcoin::BlockHash>) {
        self.inv_unknown_block = best;
    }

    /// Whether the node's best header is now younger than `max_tip_age` (btcd's test of being
    /// current, [`GETHEADERS_TO_SYNC_PEER`]); the checker states it before each event.
    pub fn best_header_recent(&mut self, recent: bool) {
        self.best_header_recent = recent;
    }

    /// The node's best header height after the coming event ([`SYNC_STALL_VERDICT`]); the
    /// checker states it before each event.
    pub fn best_height(&mut self, height: u32) {
        self.best_height = height;
    }

    /// The node's software stopped: its connections are gone (its bans are not).
    pub fn node_stopped(&mut self) {
        self.crashed = true;
        self.conns.clear();
        self.sendheaders.reset();
        self.dials.reset();
        self.sync_starts.reset();
        self.punishments = discourage::Punishments::default();
        self.insufficient_work.reset();
        self.inv_answers.reset();
        self.stall_verdict.reset();
        self.features = features::Features::default();
        self.sync_peer = None;
        self.low_work.reset();
    }

    fn banned_at(&self, host: &str, at_ms: u64) -> Option<u64> {
        self.banned_until_ms
            .get(host)
            .copied()
            .filter(|until| at_ms < *until)
    }

    /// The protocol version btcd reads `peer`'s messages at ([`btcd_pver`]); btcd's own for
    /// a connection the rules do not know.
    fn btcd_pver_of(&self, peer: &PeerId) -> u32 {
        btcd_pver(self.conns.get(&peer.0).and_then(|c| c.peer_version))
    }

    /// Whether the node reads `peer`'s frames at protocol 70016: before its `version`, or after
    /// one of version 70016 or more (btcd negotiates the lower of the two).
    fn reads_at_70016(&self, peer: &PeerId) -> bool {
        self.conns.contains_key(&peer.0) && self.btcd_pver_of(peer) == BTCD_PROTOCOL_VERSION
    }

    /// One node event at `at_ms` (ms since the start); returns the rules it breaks.
    pub fn event(&mut self, at_ms: u64, event: &Event) -> Vec<RuleBreach> {
        let core = self.profile == Profile::Core;
        let mut breaches = self.core_connection_rules(at_ms, event);
        let label = |conns: &BTreeMap<u64, Conn>, peer: &PeerId| {
            conns.get(&peer.0).map_or_else(
                || format!("#{}", peer.0),
                |c| format!("{}#{}", c.host, peer.0),
            )
        };
        let mut breach = |rule, peer: String, message: String| {
            breaches.push(RuleBreach {
                rule,
                peer,
                message,
            })
        };
        if let Event::Disconnected {
            peer,
            reason: DisconnectReason::Frame(error),
        }
        | Event::Dropped {
            peer,
            reason: DropReason::Frame(error),
        } = event
        {
            if let Some(why) = frame_limit_breach(core, self.reads_at_70016(peer), error) {
                breach(FRAME_LIMITS_KEPT, label(&self.conns, peer), why);
            }
            if let DecodeError::BtcdPayload {
                error: BtcdReadError::UnknownCommand { command },
                ..
            } = error
            {
                if btcd_knows(command) {
                    breach(
                        BTCD_COMMANDS_READ,
                        label(&self.conns, peer),
                        format!("refused `{command}` as a command btcd does not know"),
                    );
                }
            }
            if let (
                false,
                DecodeError::BtcdPayload {
                    error: BtcdReadError::TooOld { command, pver },
                    ..
                },
            ) = (core, error)
            {
                let expected = self.btcd_pver_of(peer);
                let why = if *pver == expected {
                    version_gate_breach(command, *pver, true)
                } else {
                    Some(format!(
                        "refused `{command}` as too new for protocol version {pver}, where the connection's is {expected}"
                    ))
                };
                if let Some(why) = why {
                    breach(VERSION_GATES_KEPT, label(&self.conns, peer), why);
                }
            }
        }
        if let Some((peer, why)) = misbehaviour::count_breach(event) {
            breach(MISBEHAVIOUR_COUNTS_HOLD, label(&self.conns, peer), why);
        }
        if let Some((peer, why)) = pow_first::order_breach(event) {
            breach(PROOF_OF_WORK_CHECKED_FIRST, label(&self.conns, peer), why);
        }
        if let (
            true,
            Event::Dropped {
                peer,
                reason: DropReason::NoBanHeadersSyncTimeout { .. },
            },
        ) = (core, event)
        {
            if let Some(why) = self.no_other_preferred(peer) {
                breach(
                    HEADERS_SYNC_TIMEOUT_HANDED_OVER,
                    label(&self.conns, peer),
                    why,
                );
            }
        }
        if let Event::HeadersImported { peer, .. } = event {
            let noban = self
                .conns
                .get(&peer.0)
                .is_some_and(|c| self.noban.contains(&c.host));
            if let Some(why) = self.low_work.event(event, noban) {
                breach(LOW_WORK_CHAINS_HELD_BACK, label(&self.conns, peer), why);
            }
        } else {
            self.low_work.event(event, false);
        }
        if let Some((peer, why)) = self.features.event(core, event) {
            breach(FEATURES_BY_VERSION, label(&self.conns, &peer), why);
        }
        if !core {
            for (peer, why) in self.stall_verdict.event(event, self.best_height) {
                breach(SYNC_STALL_VERDICT, label(&self.conns, &peer), why);
            }
        }
        if let Some((addr, why)) = self.dials.event(event) {
            breach(AUTOMATIC_DIALS_COUNTED, addr, why);
        }
        if let Some((id, why)) = self.sendheaders.event(event) {
            breach(
                SENDHEADERS_ONCE_SYNCED,
                label(&self.conns, &PeerId(id)),
                why,
            );
        }
        if !matches!(event, Event::BanLoaded { .. }) {
            if let Some((strict, hosts)) = self.bans_to_load.take() {
                for host in hosts {
                    if strict {
                        breach(
                            BANS_KEPT_ACROSS_RESTARTS,
                            host.clone(),
                            format!("the ban of {host}, in force at a clean stop, was not loaded on the next start"),
                        );
                    }
                    // After a crash Core may have lost it: the host is not banned any more.
                    self.banned_until_ms.remove(&host);
                }
            }
        }
        match event {
            // A new node process knows only the bans it loads: Core's banlist (checked against
            // the bans in force, [`BANS_KEPT_ACROSS_RESTARTS`]); btcd keeps none.
            Event::Started { .. } => {
                self.runs += 1;
                if core && self.runs > 1 {
                    let in_force: std::collections::BTreeSet<String> = self
                        .banned_until_ms
                        .iter()
                        .filter(|(_, until)| at_ms + BAN_EDGE_MS < **until)
                        .map(|(host, _)| host.clone())
                        .collect();
                    self.banned_until_ms
                        .retain(|host, _| in_force.contains(host));
                    self.bans_to_load = Some((!self.crashed, in_force));
                } else {
                    self.banned_until_ms.clear();
                }
                self.crashed = false;
                self.sendheaders.reset();
                self.dials.reset();
                self.conns.clear();
                self.sent_nonces.clear();
                self.sync_peer = None;
                self.low_work.reset();
            }
            Event::Banned { host, duration_s } => {
                self.banned_until_ms
                    .insert(host.clone(), at_ms + duration_s * 1000);
            }
            Event::BanLoaded { host, remaining_s } => {
                let loaded_until_ms = at_ms + remaining_s * 1000;
                if core && self.runs > 1 {
                    let due = self
                        .bans_to_load
                        .as_mut()
                        .is_some_and(|(_, hosts)| hosts.remove(host));
                    let expected = self.banned_until_ms.get(host).copied().filter(|_| due);
                    match expected {
                        // Core stores the ban's end; the node reports whole seconds left.
                        Some(until) if until.abs_diff(loaded_until_ms) <= BAN_EDGE_MS => {}
                        Some(until) => breach(
                            BANS_KEPT_ACROSS_RESTARTS,
                            host.clone(),
                            format!(
                                "loaded the ban of {host} with {remaining_s} s left, where {} s were left",
                                until.saturating_sub(at_ms) / 1000
                            ),
                        ),
                        None => breach(
                            BANS_KEPT_ACROSS_RESTARTS,
                            host.clone(),
                            format!("loaded a ban of {host}, which was not in force at the start"),
                        ),
                    }
                }
                self.banned_until_ms.insert(host.clone(), loaded_until_ms);
            }
            Event::Connected {
                peer,
                addr,
                direction,
                connection,
            } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                let inbound = matches!(direction, node::protocol::peer::Direction::Inbound);
                let applies = (!core || inbound) && !self.noban.contains(&host);
                let opened_banned = applies
                    && self
                        .banned_at(&host, at_ms)
                        .is_some_and(|until| at_ms + BAN_EDGE_MS < until);
                let inbound_open = self.conns.values().filter(|c| c.inbound).count();
                let full = inbound && inbound_open >= self.inbound_max;
                let must_go = full.then(|| {
                    (
                        INBOUND_LIMIT_KEPT,
                        format!(
                            "its connection, with {inbound_open} inbound open of {}",
                            self.inbound_max
                        ),
                    )
                });
                self.conns.insert(
                    peer.0,
                    Conn {
                        host,
                        inbound,
                        manual: connection.is_manual(),
                        opened_banned,
                        inbound_full: full,
                        must_go,
                        services_checked: services::checked(core, !inbound, *connection),
                        ..Conn::default()
                    },
                );
            }
            Event::Received { peer, message } => {
                let who = label(&self.conns, peer);
                let own_nonce = match message {
                    MessageSummary::Version { nonce, .. } => {
                        let inbound = self.conns.get(&peer.0).is_some_and(|c| c.inbound);
                        self.is_own_nonce(core, inbound, *nonce).then_some(*nonce)
                    }
                    _ => None,
                };
                let noban = self
                    .conns
                    .get(&peer.0)
                    .is_some_and(|c| self.noban.contains(&c.host));
                let Some(c) = self.conns.get_mut(&peer.0) else {
                    return breaches;
                };
                if let Some((rule, why)) = c.must_go.take() {
                    breach(
                        rule,
                        who.clone(),
                        format!("read {} after {why}", command_of(message)),
                    );
                }
                let command = command_of(message);
                if let (MessageSummary::Version { version, .. }, None) = (message, c.peer_version) {
                    c.peer_version = Some(*version);
                }
                if !core {
                    if let Some(why) =
                        version_gate_breach(&command, btcd_pver(c.peer_version), false)
                    {
                        breach(VERSION_GATES_KEPT, who.clone(), why);
                    }
                }
                if let (
                    MessageSummary::Version {
                        version, services, ..
                    },
                    false,
                    true,
                ) = (message, c.got_version, c.services_checked)
                {
                    c.lacks_services = services::lacks_required(core, *version, *services);
                    if c.lacks_services == Some(true) {
                        let why = format!("a version offering services {services:#x}, short of what the profile requires of this outbound peer");
                        c.must_go = Some((OUTBOUND_SERVICES_REQUIRED, why));
                        if !core && *version >= REJECT_VERSION {
                            c.reject_due = Some((OUTBOUND_SERVICES_REQUIRED, command.clone()));
                        }
                    }
                }
                if let (MessageSummary::Version { nonce, .. }, false) = (message, c.got_version) {
                    if own_nonce == Some(*nonce) {
                        c.must_go = Some((
                            SELF_CONNECTIONS_REFUSED,
                            format!("a version with the node's own nonce {nonce:#x}"),
                        ));
                    }
                }
                if !core && c.handshake_done && (command == "version" || command == "verack") {
                    c.must_go = Some((
                        DUPLICATE_HANDSHAKE_MESSAGES,
                        format!("a {command} after the handshake, which btcd answers by closing"),
                    ));
                    c.reject_due = Some((DUPLICATE_HANDSHAKE_MESSAGES, command.clone()));
                }
                if !core && !c.handshake_done {
                    early_message_under_btcd(c, &command);
                }
                if command == "version" {
                    c.got_version = true;
                }
                if core && c.handshake_done {
                    if let Some(unserved) = UNSERVED.iter().find(|u| **u == command) {
                        if *unserved != "mempool" || !noban {
                            c.must_go = Some((
                                UNSERVED_REQUESTS_DISCONNECT,
                                format!(
                                    "the peer's {unserved}, which ends the connection under Core"
                                ),
                            ));
                        }
                    }
                }
            }
            Event::Sent { peer, message } => {
                let who = label(&self.conns, peer);
                let command = command_of(message);
                if core && command == "reject" {
                    breach(
                        NO_REJECT_UNDER_CORE,
                        who.clone(),
                        "sent reject under Core".into(),
                    );
                }
                if let MessageSummary::Version { nonce, .. } = message {
                    self.nonce_sent(*nonce);
                }
                let Some(c) = self.conns.get_mut(&peer.0) else {
                    return breaches;
                };
                if let MessageSummary::Version { nonce, .. } = message {
                    c.sent_nonce = Some(*nonce);
                }
                if let MessageSummary::GetHeaders {
                    first_locator,
                    stop_hash,
                    ..
                } = message
                {
                    let key = (*first_locator, *stop_hash);
                    if !core && c.last_getheaders == Some(key) {
                        breach(
                            GETHEADERS_NOT_REPEATED,
                            who.clone(),
                            "sent the same getheaders (first locator and stop) twice in a row"
                                .into(),
                        );
                    }
                    c.last_getheaders = Some(key);
                    if !core && !self.best_header_recent && self.sync_peer != Some(peer.0) {
                        breach(
                            GETHEADERS_TO_SYNC_PEER,
                            who.clone(),
                            "sent getheaders to a peer other than the sync peer while the best header is older than max_tip_age".into(),
                        );
                    }
                }
                if command == "reject" && c.reject_due.take().is_some() {
                    // The reject btcd owes before it closes; the close is still due.
                } else if let Some((rule, why)) = c.must_go.take() {
                    breach(rule, who.clone(), format!("sent {command} after {why}"));
                }
                let first = !c.sent_any;
                c.sent_any = true;
                // btcd answers a first message other than version with a reject, then closes.
                let reject_first = !core && command == "reject";
                if first && command != "version" && !reject_first {
                    breach(
                        HANDSHAKE_ORDER,
                        who.clone(),
                        format!("the node's first message was {command}, not version"),
                    );
                } else if first && c.inbound && !c.got_version && !reject_first {
                    breach(
                        HANDSHAKE_ORDER,
                        who.clone(),
                        "sent version on an inbound connection before the peer's version".into(),
                    );
                }
                if command == "verack" && !c.got_version {
                    breach(
                        HANDSHAKE_ORDER,
                        who.clone(),
                        "sent verack before the peer's version".into(),
                    );
                }
                let allowed = BEFORE_HANDSHAKE
                    .iter()
                    .any(|a| *a == command && (*a != "reject" || !core));
                if !c.handshake_done && !allowed {
                    breach(
                        HANDSHAKE_ORDER,
                        who,
                        format!("sent {command} before the handshake was done"),
                    );
                }
            }
            Event::HandshakeDone { peer, services, .. } => {
                let who = label(&self.conns, peer);
                if let Some(c) = self.conns.get_mut(&peer.0) {
                    c.handshake_done = true;
                    c.services = *services;
                    if c.opened_banned && core {
                        breach(
                            BANNED_HOSTS_REFUSED,
                            who,
                            format!(
                                "{} was banned when it connected, yet finished the handshake",
                                c.host
                            ),
                        );
                    } else if c.opened_banned {
                        // btcd checks bans once the handshake is done (handleAddPeerMsg).
                        c.must_go = Some((
                            BANNED_HOSTS_REFUSED,
                            format!("the handshake of {}, banned when it connected", c.host),
                        ));
                    }
                }
            }
            Event::SyncPeer { peer: None } => self.sync_peer = None,
            Event::SyncPeer { peer: Some(peer) } => {
                self.sync_peer = Some(peer.0);
                let conn = self.conns.get(&peer.0);
                if let Some(why) =
                    sync_peer::ineligible(conn.map(|c| (c.handshake_done, c.services)))
                {
                    breach(SYNC_PEER_ELIGIBLE, label(&self.conns, peer), why);
                }
            }
            Event::Disconnected { peer, reason } => {
                let who = label(&self.conns, peer);
                if core && matches!(reason, DisconnectReason::HeadersSyncTimeout { .. }) {
                    if let Some(why) = self.no_other_preferred(peer) {
                        breach(HEADERS_SYNC_TIMEOUT_HANDED_OVER, who.clone(), why);
                    }
                }
                if let DisconnectReason::SelfConnection { nonce } = reason {
                    let inbound = self.conns.get(&peer.0).is_some_and(|c| c.inbound);
                    if !self.is_own_nonce(core, inbound, *nonce) {
                        breach(
                            SELF_CONNECTIONS_REFUSED,
                            who.clone(),
                            format!("closed as a self-connection, but {nonce:#x} is no nonce the node would recognise"),
                        );
                    }
                }
                if let Some(c) = self.conns.remove(&peer.0) {
                    let judged_enough = c.lacks_services == Some(false) || !c.services_checked;
                    if let (DisconnectReason::MissingServices { services, .. }, true) =
                        (reason, judged_enough)
                    {
                        let why = format!("closed for missing services, though the profile does not refuse services {services:#x} on this connection");
                        breach(OUTBOUND_SERVICES_REQUIRED, who.clone(), why);
                    }
                    if let Some((rule, command)) = &c.reject_due {
                        breach(
                            rule,
                            who.clone(),
                            format!("closed after the peer's {command} without btcd's reject"),
                        );
                    }
                    if matches!(reason, DisconnectReason::TooManyInbound) && !c.inbound_full {
                        breach(
                            INBOUND_LIMIT_KEPT,
                            who.clone(),
                            format!(
                                "refused for too many inbound with fewer than {} open",
                                self.inbound_max
                            ),
                        );
                    }
                    let ban = bans::Refusal {
                        core,
                        host: &c.host,
                        banned_until_ms: self.banned_at(&c.host, at_ms.saturating_sub(BAN_EDGE_MS)),
                        noban: self.noban.contains(&c.host),
                    };
                    if let Some(why) = ban.breach(reason, at_ms) {
                        breach(BANNED_HOSTS_REFUSED, who, why);
                    }
                }
            }
            Event::PeerClosed { peer, .. } => {
                self.conns.remove(&peer.0);
            }
            _ => {}
        }
        breaches
    }

    /// At the end of a run: connections that should have been closed and were not.
    pub fn finish(&mut self) -> Vec<RuleBreach> {
        let mut breaches: Vec<RuleBreach> = self
            .conns
            .iter()
            .filter_map(|(id, c)| {
                c.must_go.as_ref().map(|(rule, why)| RuleBreach {
                    rule,
                    peer: format!("{}#{id}", c.host),
                    message: format!("still connected at the end after {why}"),
                })
            })
            .collect();
        for (id, why) in self.sendheaders.finish() {
            let host = self.conns.get(&id).map_or("", |c| c.host.as_str());
            breaches.push(RuleBreach {
                rule: SENDHEADERS_ONCE_SYNCED,
                peer: format!("{host}#{id}"),
                message: why,
            });
        }
        if let Some((peer, why)) = self.stall_verdict.finish() {
            let host = self.conns.get(&peer.0).map_or("", |c| c.host.as_str());
            breaches.push(RuleBreach {
                rule: SYNC_STALL_VERDICT,
                peer: format!("{host}#{}", peer.0),
                message: why,
            });
        }
        breaches
    }
}

/// A message's command.
fn command_of(message: &MessageSummary) -> String {
    message.command().to_string()
}

#[cfg(test)]
mod tests;

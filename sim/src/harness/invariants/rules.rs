//! Each profile's protocol rules that can be stated without knowing the scenario, checked on
//! the node's events as a run goes: the order of the handshake, `reject` never under Core,
//! Core's disconnect of peers asking for services the node does not offer, who may be the
//! sync peer, and which connections must be (and may only be) refused for a ban. A broken
//! rule is reported with the peer it concerns ([`RuleBreach`]); the checker turns it into a
//! violation.

use std::collections::BTreeMap;

use node::protocol::events::MessageSummary;
use node::protocol::DropReason;
use node::{DisconnectReason, Event, PeerId, Profile};

/// `handshake_order`.
pub const HANDSHAKE_ORDER: &str = "handshake_order";
/// `no_reject_under_core`.
pub const NO_REJECT_UNDER_CORE: &str = "no_reject_under_core";
/// `unserved_requests_disconnect`.
pub const UNSERVED_REQUESTS_DISCONNECT: &str = "unserved_requests_disconnect";
/// `sync_peer_eligible`.
pub const SYNC_PEER_ELIGIBLE: &str = "sync_peer_eligible";
/// `banned_hosts_refused`.
pub const BANNED_HOSTS_REFUSED: &str = "banned_hosts_refused";
/// `inbound_limit_kept`.
pub const INBOUND_LIMIT_KEPT: &str = "inbound_limit_kept";
/// `self_connections_refused`.
pub const SELF_CONNECTIONS_REFUSED: &str = "self_connections_refused";
/// `getheaders_not_repeated`.
pub const GETHEADERS_NOT_REPEATED: &str = "getheaders_not_repeated";
/// `frame_limits_kept`.
pub const FRAME_LIMITS_KEPT: &str = "frame_limits_kept";
/// `duplicate_handshake_messages`.
pub const DUPLICATE_HANDSHAKE_MESSAGES: &str = "duplicate_handshake_messages";

/// The rules, with what each asserts, in report order.
pub const RULES: [(&str, &str); 10] = [
    (HANDSHAKE_ORDER, "the node's first message on a connection is its version (on an inbound one, only after the peer's version), or under btcd a reject; it sends verack only after the peer's version, and before the handshake is done nothing but version, verack, wtxidrelay, sendaddrv2 and (btcd) reject"),
    (NO_REJECT_UNDER_CORE, "under Core the node never sends reject (removed in Core 0.20, BIP 61)"),
    (UNSERVED_REQUESTS_DISCONNECT, "under Core a peer that sends getcfilters, getcfheaders, getcfcheckpt, filterload, filteradd, filterclear, or (without NoBan) mempool is disconnected before anything else is sent to it or read from it (net_processing.cpp: NODE_BLOOM and NODE_COMPACT_FILTERS not offered)"),
    (SYNC_PEER_ELIGIBLE, "the sync peer is connected, has finished the handshake and offers NODE_NETWORK or NODE_NETWORK_LIMITED (btcd isSyncCandidate, Core CanServeBlocks)"),
    (BANNED_HOSTS_REFUSED, "a connection with a host banned at the time (NoBan hosts exempt) is refused: under Core an inbound one before its handshake finishes, under btcd either direction as soon as its handshake is done (handleAddPeerMsg), nothing else sent or read; and a connection is refused as banned only while its host is banned"),
    (INBOUND_LIMIT_KEPT, "an inbound connection that finds the inbound slots full (inbound_max) is disconnected before anything is sent or read, and one is refused for that only when they are full (btcd server.go MaxPeers; Core CreateNodeFromAcceptedSocket, whose eviction protects every peer of a handful)"),
    (DUPLICATE_HANDSHAKE_MESSAGES, "a version or verack after the handshake: btcd answers with a reject (RejectDuplicate) and closes the connection before reading anything else (peer.go inHandler); Core sets it aside (\"redundant version message\") and never rejects"),
    (SELF_CONNECTIONS_REFUSED, "a version carrying a nonce the node itself sent is a self-connection, closed before anything else is read (btcd: any of its last 50 sent nonces, peer.go sentNonces; Core: the nonce of an outbound connection still in its handshake, on an inbound one, CheckIncomingNonce), and only such a version is"),
    (GETHEADERS_NOT_REPEATED, "under btcd no getheaders goes out with the same first locator hash and stop hash as the previous one on its connection (peer.go PushGetHeadersMsg filters it)"),
    (FRAME_LIMITS_KEPT, "a frame is refused as too large only above its profile's limit: Core's MAX_PROTOCOL_MESSAGE_LENGTH (4,000,000 bytes, net.h) for any frame; btcd's MaxPayloadLength of its command at protocol 70016 (wire/msg*.go), as this rule's own table states them"),
];

/// Core's `MAX_PROTOCOL_MESSAGE_LENGTH` (`net.h`), in bytes.
pub const CORE_PAYLOAD_BYTES_MAX: u64 = 4_000_000;

/// btcd's `MaxPayloadLength(70016)` per command (`wire/msg*.go`), in bytes, written out here
/// from btcd's formulas (not read from the node): version `33 + 2·30 + 9 + 256`; getheaders
/// and getblocks `4 + 9 + 500·32 + 32`; headers `9 + 81·2000`; inv, getdata and notfound
/// `9 + 50000·36`; addr `9 + 1000·30`; filterload `3 + 36000 + 9`; filteradd `3 + 520`;
/// getcfilters and getcfheaders `1 + 4 + 32`; getcfcheckpt `1 + 32`; cfilter
/// `5 + 262144 + 32 + 1`; cfheaders `1 + 32 + 32 + 9 + 32·2000`; block, tx, merkleblock
/// `MaxBlockPayload`.
const BTCD_PAYLOAD_BYTES_MAX: [(&str, u64); 27] = [
    ("version", 358),
    ("verack", 0),
    ("sendaddrv2", 0),
    ("getaddr", 0),
    ("mempool", 0),
    ("filterclear", 0),
    ("sendheaders", 0),
    ("addr", 30_009),
    ("getblocks", 16_045),
    ("getheaders", 16_045),
    ("block", 4_000_000),
    ("tx", 4_000_000),
    ("merkleblock", 4_000_000),
    ("inv", 1_800_009),
    ("getdata", 1_800_009),
    ("notfound", 1_800_009),
    ("ping", 8),
    ("pong", 8),
    ("headers", 162_009),
    ("filteradd", 523),
    ("filterload", 36_012),
    ("feefilter", 8),
    ("getcfilters", 37),
    ("getcfheaders", 37),
    ("getcfcheckpt", 33),
    ("cfilter", 262_182),
    ("cfheaders", 64_074),
];

/// btcd's `MaxPayloadLength(70016)` of `command` in bytes, from [`BTCD_PAYLOAD_BYTES_MAX`];
/// `None` for a command the table leaves out.
pub fn btcd_payload_bytes_max(command: &str) -> Option<u64> {
    BTCD_PAYLOAD_BYTES_MAX
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, max)| *max)
}

/// Whether refusing a frame with `error` as too large breaks [`FRAME_LIMITS_KEPT`], and why;
/// `pver_70016`: whether the connection reads at protocol 70016 (btcd's table holds there).
fn frame_limit_breach(
    core: bool,
    pver_70016: bool,
    error: &node::wire::DecodeError,
) -> Option<String> {
    use node::wire::DecodeError;
    match error {
        DecodeError::PayloadTooLarge {
            command,
            length_bytes,
        } if core && *length_bytes <= CORE_PAYLOAD_BYTES_MAX => Some(format!(
            "refused a {length_bytes}-byte `{command}` as too large, within Core's {CORE_PAYLOAD_BYTES_MAX}"
        )),
        DecodeError::CommandPayloadTooLarge {
            command,
            length_bytes,
            ..
        } if !core && pver_70016 => {
            let max = btcd_payload_bytes_max(command)?;
            (*length_bytes <= max).then(|| {
                format!("refused a {length_bytes}-byte `{command}` as too large, within btcd's {max}")
            })
        }
        _ => None,
    }
}

/// Btcd's memory of the nonces it sent (`peer.go` `sentNonces`, an LRU of 50).
const SENT_NONCES_KEPT: usize = 50;

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
    /// or `verack`): the command.
    reject_due: Option<String>,
    /// The host was banned when the connection opened.
    opened_banned: bool,
    /// The inbound slots were full when it opened.
    inbound_full: bool,
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
        }
    }

    /// The node's software stopped: its connections are gone (its bans are not).
    pub fn node_stopped(&mut self) {
        self.conns.clear();
    }

    fn banned_at(&self, host: &str, at_ms: u64) -> Option<u64> {
        self.banned_until_ms
            .get(host)
            .copied()
            .filter(|until| at_ms < *until)
    }

    /// Whether a `version` with `nonce` on a connection (`inbound` or not) is one the node must
    /// take for itself: btcd, any of its last 50 sent nonces; Core, on an inbound connection,
    /// the nonce of an outbound one still in its handshake.
    fn is_own_nonce(&self, core: bool, inbound: bool, nonce: u64) -> bool {
        if core {
            inbound
                && self
                    .conns
                    .values()
                    .any(|c| !c.inbound && !c.handshake_done && c.sent_nonce == Some(nonce))
        } else {
            self.sent_nonces.contains(&nonce)
        }
    }

    /// Whether the node reads `peer`'s frames at protocol 70016: before its `version`, or after
    /// one of version 70016 or more (btcd negotiates the lower of the two).
    fn reads_at_70016(&self, peer: &PeerId) -> bool {
        self.conns
            .get(&peer.0)
            .is_some_and(|c| c.peer_version.is_none_or(|v| v >= 70_016))
    }

    /// One node event at `at_ms` (ms since the start); returns the rules it breaks.
    pub fn event(&mut self, at_ms: u64, event: &Event) -> Vec<RuleBreach> {
        let core = self.profile == Profile::Core;
        let mut breaches = Vec::new();
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
        }
        match event {
            // A new node process knows only the bans it loads (Core's banlist; btcd keeps
            // none across a restart).
            Event::Started { .. } => {
                self.banned_until_ms.clear();
                self.conns.clear();
                self.sent_nonces.clear();
            }
            Event::Banned { host, duration_s } => {
                self.banned_until_ms
                    .insert(host.clone(), at_ms + duration_s * 1000);
            }
            Event::BanLoaded { host, remaining_s } => {
                self.banned_until_ms
                    .insert(host.clone(), at_ms + remaining_s * 1000);
            }
            Event::Connected {
                peer,
                addr,
                direction,
                ..
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
                        opened_banned,
                        inbound_full: full,
                        must_go,
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
                    c.reject_due = Some(command.clone());
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
                    if self.sent_nonces.len() == SENT_NONCES_KEPT {
                        self.sent_nonces.pop_front();
                    }
                    self.sent_nonces.push_back(*nonce);
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
            Event::SyncPeer { peer: Some(peer) } => {
                let who = label(&self.conns, peer);
                match self.conns.get(&peer.0) {
                    None => breach(
                        SYNC_PEER_ELIGIBLE,
                        who,
                        "chose a peer that is not connected".into(),
                    ),
                    Some(c) if !c.handshake_done => breach(
                        SYNC_PEER_ELIGIBLE,
                        who,
                        "chose a peer before its handshake finished".into(),
                    ),
                    Some(c) if c.services & SERVES_BLOCKS == 0 => breach(
                        SYNC_PEER_ELIGIBLE,
                        who,
                        format!(
                            "chose a peer whose services {:#x} serve no blocks",
                            c.services
                        ),
                    ),
                    Some(_) => {}
                }
            }
            Event::Disconnected { peer, reason } => {
                let who = label(&self.conns, peer);
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
                    if let Some(command) = &c.reject_due {
                        breach(
                            DUPLICATE_HANDSHAKE_MESSAGES,
                            who.clone(),
                            format!("closed after a duplicate {command} without btcd's reject"),
                        );
                    }
                    let refused_for_ban = matches!(
                        reason,
                        DisconnectReason::InboundBanned { .. }
                            | DisconnectReason::StillBanned { .. }
                    );
                    let banned = self
                        .banned_at(&c.host, at_ms.saturating_sub(BAN_EDGE_MS))
                        .is_some();
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
                    if refused_for_ban && !banned {
                        breach(
                            BANNED_HOSTS_REFUSED,
                            who,
                            format!(
                                "refused as banned ({reason}) though {} was not banned",
                                c.host
                            ),
                        );
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
        self.conns
            .iter()
            .filter_map(|(id, c)| {
                c.must_go.as_ref().map(|(rule, why)| RuleBreach {
                    rule,
                    peer: format!("{}#{id}", c.host),
                    message: format!("still connected at the end after {why}"),
                })
            })
            .collect()
    }
}

/// A message's command.
fn command_of(message: &MessageSummary) -> String {
    message.command().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::p2p::message::CommandString;
    use node::protocol::peer::Direction;
    use node::protocol::ConnectionType;

    const P: PeerId = PeerId(1);

    fn other(command: &'static str) -> MessageSummary {
        MessageSummary::Other {
            command: CommandString::try_from_static(command).expect("a command"),
        }
    }

    fn version() -> MessageSummary {
        MessageSummary::Version {
            version: 70016,
            services: 9,
            start_height: 0,
            nonce: 7,
            user_agent: String::new(),
        }
    }

    fn connected(direction: Direction) -> Event {
        Event::Connected {
            peer: P,
            addr: "p:8333".into(),
            direction,
            connection: ConnectionType::Inbound,
        }
    }

    fn done(services: u64) -> Event {
        Event::HandshakeDone {
            peer: P,
            version: 70016,
            services,
            start_height: 0,
            user_agent: String::new(),
        }
    }

    /// The rules each event of `events` breaks, then those the end breaks.
    fn breaches(profile: Profile, events: &[Event]) -> Vec<&'static str> {
        let mut rules = Rules::new(profile, Vec::new(), 1);
        let mut found: Vec<&'static str> = events
            .iter()
            .enumerate()
            .flat_map(|(i, e)| rules.event(i as u64 * 100, e))
            .map(|b| b.rule)
            .collect();
        found.extend(rules.finish().into_iter().map(|b| b.rule));
        found
    }

    fn inbound_handshake() -> Vec<Event> {
        vec![
            connected(Direction::Inbound),
            Event::Received {
                peer: P,
                message: version(),
            },
            Event::Sent {
                peer: P,
                message: version(),
            },
            Event::Sent {
                peer: P,
                message: other("verack"),
            },
            done(9),
        ]
    }

    #[test]
    fn a_well_ordered_handshake_and_sync_break_no_rule() {
        let mut events = inbound_handshake();
        events.push(Event::SyncPeer { peer: Some(P) });
        events.push(Event::Sent {
            peer: P,
            message: other("sendheaders"),
        });
        for profile in [Profile::Btcd, Profile::Core] {
            assert_eq!(breaches(profile, &events), Vec::<&str>::new());
        }
    }

    #[test]
    fn each_rule_is_broken_by_its_own_misstep() {
        // Version sent on an inbound connection before the peer's.
        let mut early = inbound_handshake();
        early.swap(1, 2);
        assert!(breaches(Profile::Btcd, &early).contains(&HANDSHAKE_ORDER));
        // Something else before the handshake is done.
        let mut chatty = inbound_handshake();
        chatty.insert(
            4,
            Event::Sent {
                peer: P,
                message: other("getheaders"),
            },
        );
        assert!(breaches(Profile::Core, &chatty).contains(&HANDSHAKE_ORDER));
        // A reject under Core.
        let mut reject = inbound_handshake();
        reject.push(Event::Sent {
            peer: P,
            message: other("reject"),
        });
        assert_eq!(breaches(Profile::Core, &reject), vec![NO_REJECT_UNDER_CORE]);
        assert_eq!(breaches(Profile::Btcd, &reject), Vec::<&str>::new());
        // A filterload under Core must end the connection; under btcd nothing is due.
        let mut filter = inbound_handshake();
        filter.push(Event::Received {
            peer: P,
            message: other("filterload"),
        });
        assert_eq!(
            breaches(Profile::Core, &filter),
            vec![UNSERVED_REQUESTS_DISCONNECT]
        );
        assert_eq!(breaches(Profile::Btcd, &filter), Vec::<&str>::new());
        filter.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::NoBloomService {
                command: "filterload",
            },
        });
        assert_eq!(breaches(Profile::Core, &filter), Vec::<&str>::new());
        // A sync peer that serves no blocks.
        let mut client = inbound_handshake();
        client[4] = done(0);
        client.push(Event::SyncPeer { peer: Some(P) });
        assert_eq!(breaches(Profile::Btcd, &client), vec![SYNC_PEER_ELIGIBLE]);
    }

    #[test]
    fn a_duplicate_version_is_rejected_and_closed_under_btcd_and_set_aside_under_core() {
        let mut events = inbound_handshake();
        events.push(Event::Received {
            peer: P,
            message: version(),
        });
        // Under Core: set aside, nothing due.
        assert_eq!(breaches(Profile::Core, &events), Vec::<&str>::new());
        // Under btcd: a reject, then the close.
        assert_eq!(
            breaches(Profile::Btcd, &events),
            vec![DUPLICATE_HANDSHAKE_MESSAGES]
        );
        let close = Event::Disconnected {
            peer: P,
            reason: DisconnectReason::DuplicateVersion,
        };
        let mut without_reject = events.clone();
        without_reject.push(close.clone());
        assert_eq!(
            breaches(Profile::Btcd, &without_reject),
            vec![DUPLICATE_HANDSHAKE_MESSAGES]
        );
        events.push(Event::Sent {
            peer: P,
            message: other("reject"),
        });
        events.push(close);
        assert_eq!(breaches(Profile::Btcd, &events), Vec::<&str>::new());
    }

    #[test]
    fn a_version_with_the_nodes_own_nonce_must_close_the_connection() {
        // An outbound connection: the node sends version nonce 7 (as `version()` has), and the
        // peer answers with the same nonce.
        let mut events = vec![
            connected(Direction::Outbound(node::protocol::TargetId(0))),
            Event::Sent {
                peer: P,
                message: version(),
            },
            Event::Received {
                peer: P,
                message: version(),
            },
        ];
        // btcd remembers every nonce it sent: the connection must go at once.
        assert_eq!(
            breaches(Profile::Btcd, &events),
            vec![SELF_CONNECTIONS_REFUSED]
        );
        // Core checks inbound connections only.
        assert_eq!(breaches(Profile::Core, &events), Vec::<&str>::new());
        events.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::SelfConnection { nonce: 7 },
        });
        assert_eq!(breaches(Profile::Btcd, &events), Vec::<&str>::new());
        // A self-connection with a nonce the node never sent is a wrong refusal.
        let wrong = vec![
            connected(Direction::Inbound),
            Event::Disconnected {
                peer: P,
                reason: DisconnectReason::SelfConnection { nonce: 9 },
            },
        ];
        assert_eq!(
            breaches(Profile::Btcd, &wrong),
            vec![SELF_CONNECTIONS_REFUSED]
        );
    }

    #[test]
    fn frames_are_refused_as_too_large_only_above_the_profiles_limit() {
        use node::wire::DecodeError;
        let too_large = |command: &str, length_bytes: u64, max: u64| Event::Disconnected {
            peer: P,
            reason: DisconnectReason::Frame(DecodeError::CommandPayloadTooLarge {
                command: command.into(),
                length_bytes,
                length_bytes_max: max,
            }),
        };
        let events = |e: Event| vec![connected(Direction::Inbound), e];
        // btcd's getheaders limit is 16,045 bytes, whatever limit the node reports.
        assert_eq!(
            breaches(Profile::Btcd, &events(too_large("getheaders", 16_045, 28))),
            vec![FRAME_LIMITS_KEPT]
        );
        assert_eq!(
            breaches(
                Profile::Btcd,
                &events(too_large("getheaders", 16_046, 16_045))
            ),
            Vec::<&str>::new()
        );
        let core = |length_bytes| Event::Disconnected {
            peer: P,
            reason: DisconnectReason::Frame(DecodeError::PayloadTooLarge {
                command: "junk".into(),
                length_bytes,
            }),
        };
        assert_eq!(
            breaches(Profile::Core, &events(core(4_000_000))),
            vec![FRAME_LIMITS_KEPT]
        );
        assert_eq!(
            breaches(Profile::Core, &events(core(4_000_001))),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn the_inbound_limit_refuses_only_a_connection_over_it() {
        let second = |reason: Option<DisconnectReason>| {
            let mut events = inbound_handshake();
            events.push(Event::Connected {
                peer: PeerId(2),
                addr: "q:8333".into(),
                direction: Direction::Inbound,
                connection: ConnectionType::Inbound,
            });
            if let Some(reason) = reason {
                events.push(Event::Disconnected {
                    peer: PeerId(2),
                    reason,
                });
            }
            events
        };
        // With one slot, the second inbound connection must go, and may go for that reason.
        assert_eq!(
            breaches(Profile::Core, &second(None)),
            vec![INBOUND_LIMIT_KEPT]
        );
        assert_eq!(
            breaches(
                Profile::Core,
                &second(Some(DisconnectReason::TooManyInbound))
            ),
            Vec::<&str>::new()
        );
        // The first may not be refused for it.
        let mut first = vec![connected(Direction::Inbound)];
        first.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::TooManyInbound,
        });
        assert_eq!(breaches(Profile::Btcd, &first), vec![INBOUND_LIMIT_KEPT]);
    }

    #[test]
    fn bans_are_enforced_per_profile_and_refusals_need_a_ban() {
        let ban = Event::Banned {
            host: "p".into(),
            duration_s: 600,
        };
        let mut banned = vec![ban.clone()];
        banned.extend(inbound_handshake());
        // Core refuses before the handshake; btcd right after it.
        assert_eq!(breaches(Profile::Core, &banned), vec![BANNED_HOSTS_REFUSED]);
        assert_eq!(breaches(Profile::Btcd, &banned), vec![BANNED_HOSTS_REFUSED]);
        banned.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::StillBanned {
                host: "p".into(),
                remaining_s: 590,
            },
        });
        assert_eq!(breaches(Profile::Btcd, &banned), Vec::<&str>::new());
        // A restart forgets btcd's bans.
        let mut restarted = vec![
            ban,
            Event::Started {
                tip_height: 0,
                tip_hash: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).block_hash(),
                chainwork: bitcoin::pow::Work::from_be_bytes([0; 32]),
            },
        ];
        restarted.extend(inbound_handshake());
        assert_eq!(breaches(Profile::Btcd, &restarted), Vec::<&str>::new());
        // Refused as banned without a ban.
        let mut refused = vec![connected(Direction::Inbound)];
        refused.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::InboundBanned { host: "p".into() },
        });
        assert_eq!(
            breaches(Profile::Core, &refused),
            vec![BANNED_HOSTS_REFUSED]
        );
    }
}

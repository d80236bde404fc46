use super::*;
use bitcoin::hashes::Hash as _;
use bitcoin::p2p::message::CommandString;
use node::protocol::peer::Direction;
use node::protocol::ConnectionType;

const P: PeerId = PeerId(1);

fn other(command: &'static str) -> MessageSummary {
    MessageSummary::Other {
        command: CommandString::try_from_static(command).expect("a command"),
        payload_digest: 0,
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

/// The rules each event of `events` breaks, then those the end breaks (also used by the
/// rule modules' own tests). [`FEATURES_BY_VERSION`] is left out: the handshakes written here
/// omit the feature messages before `verack`, which that rule's own tests cover
/// (`rules/features.rs`).
pub(super) fn breaches(profile: Profile, events: &[Event]) -> Vec<&'static str> {
    let mut rules = Rules::new(profile, Vec::new(), 1);
    let mut found: Vec<&'static str> = events
        .iter()
        .enumerate()
        .flat_map(|(i, e)| rules.event(i as u64 * 100, e))
        .map(|b| b.rule)
        .filter(|rule| *rule != FEATURES_BY_VERSION)
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
    // A payload read and refused for bytes left over must have been within the limit.
    let left_over = |payload_bytes| Event::Disconnected {
        peer: P,
        reason: DisconnectReason::Frame(DecodeError::BtcdPayload {
            command: "getheaders".into(),
            error: BtcdReadError::BytesLeft {
                payload_bytes,
                left_bytes: 1,
            },
        }),
    };
    assert_eq!(
        breaches(Profile::Btcd, &events(left_over(16_045))),
        Vec::<&str>::new()
    );
    assert_eq!(
        breaches(Profile::Btcd, &events(left_over(16_046))),
        vec![FRAME_LIMITS_KEPT]
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
    let refused = |remaining_s| {
        let mut events = banned.clone();
        events.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::StillBanned {
                host: "p".into(),
                remaining_s,
            },
        });
        events
    };
    assert_eq!(breaches(Profile::Btcd, &refused(600)), Vec::<&str>::new());
    // The time left btcd names must be the ban's, to the second.
    assert_eq!(
        breaches(Profile::Btcd, &refused(300)),
        vec![BANNED_HOSTS_REFUSED]
    );
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

#[test]
fn btcd_rejects_a_known_first_message_closes_on_an_unknown_one_and_ends_negotiation_early() {
    let received = |command| Event::Received {
        peer: P,
        message: other(command),
    };
    let sent = |command| Event::Sent {
        peer: P,
        message: other(command),
    };
    let closed = Event::Disconnected {
        peer: P,
        reason: DisconnectReason::FirstMessageNotVersion {
            command: "ping".into(),
        },
    };
    let outbound = |events: Vec<Event>| {
        let mut all = vec![
            connected(Direction::Outbound(node::protocol::TargetId(0))),
            sent("version"),
        ];
        all.extend(events);
        all
    };
    // A ping first: btcd knows it, so a reject, then the close.
    let answered = outbound(vec![received("ping"), sent("reject"), closed.clone()]);
    assert_eq!(breaches(Profile::Btcd, &answered), Vec::<&str>::new());
    let unanswered = outbound(vec![received("ping"), closed.clone()]);
    assert_eq!(
        breaches(Profile::Btcd, &unanswered),
        vec![MESSAGES_BEFORE_HANDSHAKE]
    );
    let kept = outbound(vec![received("ping")]);
    assert_eq!(
        breaches(Profile::Btcd, &kept),
        vec![MESSAGES_BEFORE_HANDSHAKE]
    );
    // wtxidrelay first: btcd v0.24 does not know it, so the close with no reject.
    let silent = outbound(vec![received("wtxidrelay"), closed.clone()]);
    assert_eq!(breaches(Profile::Btcd, &silent), Vec::<&str>::new());
    let rejected = outbound(vec![received("wtxidrelay"), sent("reject"), closed.clone()]);
    assert_eq!(
        breaches(Profile::Btcd, &rejected),
        vec![MESSAGES_BEFORE_HANDSHAKE]
    );
    // Between version and verack: a known command closes, an unknown one is skipped.
    let mut negotiating = outbound(vec![Event::Received {
        peer: P,
        message: version(),
    }]);
    negotiating.push(sent("verack"));
    let mut ping = negotiating.clone();
    ping.extend([received("ping"), closed.clone()]);
    assert_eq!(breaches(Profile::Btcd, &ping), Vec::<&str>::new());
    let mut ping_kept = negotiating.clone();
    ping_kept.extend([received("ping"), received("verack")]);
    assert_eq!(
        breaches(Profile::Btcd, &ping_kept),
        vec![MESSAGES_BEFORE_HANDSHAKE]
    );
    let mut skipped = negotiating.clone();
    skipped.extend([
        received("wtxidrelay"),
        received("sendaddrv2"),
        received("verack"),
    ]);
    assert_eq!(breaches(Profile::Btcd, &skipped), Vec::<&str>::new());
    // Core sets every early message aside: the rule is btcd's.
    let mut core = outbound(vec![received("ping")]);
    core.extend(negotiating[2..].iter().cloned());
    core.push(received("ping"));
    assert_eq!(breaches(Profile::Core, &core), Vec::<&str>::new());
}

#[test]
fn btcd_asks_only_its_sync_peer_for_headers_until_its_best_header_is_recent() {
    let getheaders = Event::Sent {
        peer: P,
        message: MessageSummary::GetHeaders {
            locator_heights: vec![Some(0)],
            first_locator: None,
            stop_hash: bitcoin::hashes::Hash::all_zeros(),
        },
    };
    let run = |profile, sync_peer: bool, recent: bool| {
        let mut rules = Rules::new(profile, Vec::new(), 1);
        let mut events = inbound_handshake();
        if sync_peer {
            events.push(Event::SyncPeer { peer: Some(P) });
        }
        events.push(getheaders.clone());
        rules.best_header_recent(recent);
        events
            .iter()
            .flat_map(|e| rules.event(0, e))
            .map(|b| b.rule)
            .filter(|rule| *rule != FEATURES_BY_VERSION)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(Profile::Btcd, true, false), Vec::<&str>::new());
    assert_eq!(run(Profile::Btcd, false, true), Vec::<&str>::new());
    assert_eq!(
        run(Profile::Btcd, false, false),
        vec![GETHEADERS_TO_SYNC_PEER]
    );
    // Core asks any peer that announces a block (its inv-triggered getheaders).
    assert_eq!(run(Profile::Core, false, false), Vec::<&str>::new());
}

#[test]
fn core_stores_no_chain_below_the_minimum_work_unless_noban_or_from_a_full_redownload_buffer() {
    use bitcoin::pow::Work;
    use node::protocol::headers_presync::PresyncNote;
    use node::protocol::HeadersSyncStep;
    let work = |n: u8| {
        let mut bytes = [0; 32];
        bytes[31] = n;
        Work::from_be_bytes(bytes)
    };
    let events = |headers: usize, chainwork: u8| {
        let mut events = inbound_handshake();
        events.push(Event::HeadersSync {
            peer: P,
            step: HeadersSyncStep::Note(PresyncNote::ReachedSufficientWork {
                height: 4000,
                redownload_from_height: 0,
            }),
        });
        events.push(Event::Received {
            peer: P,
            message: MessageSummary::Headers {
                count: headers,
                ends: None,
            },
        });
        events.push(Event::TipChanged {
            height: 2000,
            hash: bitcoin::hashes::Hash::all_zeros(),
            chainwork: work(chainwork),
            reorg_depth: 0,
        });
        events.push(Event::HeadersImported {
            peer: P,
            received: 2000,
            accepted: 2000,
            tip_height: 2000,
        });
        events
    };
    let run = |profile, noban: bool, events: Vec<Event>| {
        let noban = if noban {
            vec!["p".to_string()]
        } else {
            Vec::new()
        };
        let mut rules = Rules::new(profile, noban, 1).with_minimum_chain_work(work(100));
        events
            .iter()
            .flat_map(|e| rules.event(0, e))
            .map(|b| b.rule)
            .filter(|rule| *rule != FEATURES_BY_VERSION)
            .collect::<Vec<_>>()
    };
    // Released before the work is proven, from a buffer of 2,000: a breach.
    assert_eq!(
        run(Profile::Core, false, events(2000, 50)),
        vec![LOW_WORK_CHAINS_HELD_BACK]
    );
    // At the minimum, from a NoBan peer, from a buffer past 14,441, or under btcd: none.
    assert_eq!(
        run(Profile::Core, false, events(2000, 100)),
        Vec::<&str>::new()
    );
    assert_eq!(
        run(Profile::Core, true, events(2000, 50)),
        Vec::<&str>::new()
    );
    assert_eq!(
        run(Profile::Core, false, events(14_442, 50)),
        Vec::<&str>::new()
    );
    assert_eq!(
        run(Profile::Btcd, false, events(2000, 50)),
        Vec::<&str>::new()
    );
}

#[test]
fn core_loads_the_bans_in_force_after_a_clean_stop_with_their_time_left() {
    let started = || Event::Started {
        tip_height: 0,
        tip_hash: bitcoin::hashes::Hash::all_zeros(),
        chainwork: bitcoin::pow::Work::from_be_bytes([0; 32]),
    };
    let loaded = |remaining_s| Event::BanLoaded {
        host: "p".into(),
        remaining_s,
    };
    // A one-hour ban at 0 s; the node restarts at 100 s: 3,500 s are left.
    let run = |profile, crash: bool, after: Vec<Event>| {
        let mut rules = Rules::new(profile, Vec::new(), 1);
        let mut found = Vec::new();
        found.extend(rules.event(0, &started()));
        found.extend(rules.event(
            0,
            &Event::Banned {
                host: "p".into(),
                duration_s: 3600,
            },
        ));
        if crash {
            rules.node_stopped();
        }
        found.extend(rules.event(100_000, &started()));
        for e in &after {
            found.extend(rules.event(100_000, e));
        }
        found.extend(rules.event(100_000, &connected(Direction::Inbound)));
        found.into_iter().map(|b| b.rule).collect::<Vec<_>>()
    };
    assert_eq!(
        run(Profile::Core, false, vec![loaded(3500)]),
        Vec::<&str>::new()
    );
    assert_eq!(
        run(Profile::Core, false, vec![loaded(10)]),
        vec![BANS_KEPT_ACROSS_RESTARTS]
    );
    assert_eq!(
        run(Profile::Core, false, vec![]),
        vec![BANS_KEPT_ACROSS_RESTARTS]
    );
    // After a crash Core may have lost the ban, but one it loads keeps its time.
    assert_eq!(run(Profile::Core, true, vec![]), Vec::<&str>::new());
    assert_eq!(
        run(Profile::Core, true, vec![loaded(10)]),
        vec![BANS_KEPT_ACROSS_RESTARTS]
    );
    // btcd keeps no bans across a restart.
    assert_eq!(run(Profile::Btcd, false, vec![]), Vec::<&str>::new());
}

#[test]
fn core_sends_sendheaders_once_the_peers_headers_lead_above_the_minimum_work() {
    let hash = |n: u8| bitcoin::BlockHash::from_byte_array([n; 32]);
    let work = |n: u8| {
        let mut bytes = [0; 32];
        bytes[31] = n;
        bitcoin::pow::Work::from_be_bytes(bytes)
    };
    let sync = |tip: u8| {
        let mut events = inbound_handshake();
        events.push(Event::Received {
            peer: P,
            message: MessageSummary::Headers {
                count: 1,
                ends: Some((hash(1), hash(1))),
            },
        });
        events.push(Event::TipChanged {
            height: 1,
            hash: hash(tip),
            chainwork: work(10),
            reorg_depth: 0,
        });
        events.push(Event::HeadersImported {
            peer: P,
            received: 1,
            accepted: 1,
            tip_height: 1,
        });
        events
    };
    let sendheaders = Event::Sent {
        peer: P,
        message: other("sendheaders"),
    };
    let mut sent = sync(1);
    sent.push(sendheaders.clone());
    assert_eq!(breaches(Profile::Core, &sent), Vec::<&str>::new());
    // Owed and never sent, or sent twice.
    assert_eq!(
        breaches(Profile::Core, &sync(1)),
        vec![SENDHEADERS_ONCE_SYNCED]
    );
    let mut twice = sent.clone();
    twice.push(sendheaders);
    assert_eq!(
        breaches(Profile::Core, &twice),
        vec![SENDHEADERS_ONCE_SYNCED]
    );
    // Headers that did not become the best header owe nothing; btcd is not judged.
    assert_eq!(breaches(Profile::Core, &sync(2)), Vec::<&str>::new());
    assert_eq!(breaches(Profile::Btcd, &sync(1)), Vec::<&str>::new());
}

#[test]
fn btcd_refuses_a_message_as_too_new_exactly_below_its_gate() {
    // A peer of protocol version `peer_version` after its handshake, then `last`.
    let at = |peer_version: u32, last: Event| {
        let mut events = inbound_handshake();
        if let Event::Received {
            message: MessageSummary::Version { version, .. },
            ..
        } = &mut events[1]
        {
            *version = peer_version;
        }
        events.push(last);
        events
    };
    let read = |command| Event::Received {
        peer: P,
        message: other(command),
    };
    let refused = |command: &str, pver| Event::Disconnected {
        peer: P,
        reason: DisconnectReason::Frame(DecodeError::BtcdPayload {
            command: command.into(),
            error: BtcdReadError::TooOld {
                command: command.into(),
                pver,
            },
        }),
    };
    let none = Vec::<&str>::new();
    // At 70016 every gated command is read; refusing one breaks the rule.
    assert_eq!(
        breaches(Profile::Btcd, &at(70_016, read("sendheaders"))),
        none
    );
    assert_eq!(
        breaches(Profile::Btcd, &at(70_016, refused("pong", 70_016))),
        vec![VERSION_GATES_KEPT]
    );
    // Below sendheaders' 70012 it must be refused, at the connection's version.
    assert_eq!(
        breaches(Profile::Btcd, &at(70_011, read("sendheaders"))),
        vec![VERSION_GATES_KEPT]
    );
    assert_eq!(
        breaches(Profile::Btcd, &at(70_011, refused("sendheaders", 70_011))),
        none
    );
    assert_eq!(
        breaches(Profile::Btcd, &at(70_011, refused("sendheaders", 70_016))),
        vec![VERSION_GATES_KEPT]
    );
    // A command without a gate is never too new; pong's gate is above 60000.
    assert_eq!(
        breaches(Profile::Btcd, &at(209, refused("headers", 209))),
        vec![VERSION_GATES_KEPT]
    );
    assert_eq!(
        breaches(Profile::Btcd, &at(60_000, refused("pong", 60_000))),
        none
    );
    assert_eq!(breaches(Profile::Btcd, &at(60_001, read("pong"))), none);
    // Core has no such gates.
    assert_eq!(
        breaches(Profile::Core, &at(70_011, read("sendheaders"))),
        none
    );
}

#[test]
fn btcd_never_refuses_a_command_it_knows_as_unknown() {
    let unknown = |command: &str| {
        let mut events = inbound_handshake();
        events.push(Event::Disconnected {
            peer: P,
            reason: DisconnectReason::Frame(DecodeError::BtcdPayload {
                command: command.into(),
                error: BtcdReadError::UnknownCommand {
                    command: command.into(),
                },
            }),
        });
        events
    };
    assert_eq!(
        breaches(Profile::Btcd, &unknown("filteradd")),
        vec![BTCD_COMMANDS_READ]
    );
    assert_eq!(
        breaches(Profile::Btcd, &unknown("sendcmpct")),
        Vec::<&str>::new()
    );
}

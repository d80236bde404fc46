//! Script-like tests of the sans-IO [`Node`]: feed inputs with explicit times, read outputs.

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use super::header_chain::{HeaderChain, HeaderError};
use super::*;
use crate::config::{Config, Profile};
use crate::wire::btcd_payload::BtcdReadError;
use crate::wire::{
    self, Address, DecodeError, GetHeadersMessage, NetworkMessage, ServiceFlags, VersionMessage,
};

mod bans;
mod connection_types;
mod getheaders;
mod summaries;
mod wire_rules;

const REGTEST: bitcoin::Network = bitcoin::Network::Regtest;

fn new_node(connect: &[&str]) -> Node {
    let mut config = Config::new(REGTEST, std::path::PathBuf::from("unused"));
    config.connect = connect.iter().map(|s| s.to_string()).collect();
    config.seed = 11;
    Node::new(config, HeaderChain::new(REGTEST), 0)
}

fn drain(node: &mut Node) -> Vec<Output> {
    std::iter::from_fn(|| node.poll_output()).collect()
}

/// Commands sent to `peer` among `outputs`, in order.
fn sent_to(outputs: &[Output], peer: PeerId) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { peer: p, message } if *p == peer => Some(wire::command_name(message)),
            _ => None,
        })
        .collect()
}

fn disconnect_of(outputs: &[Output], peer: PeerId) -> Option<DisconnectReason> {
    outputs.iter().find_map(|o| match o {
        Output::Disconnect { peer: p, reason } if *p == peer => Some(reason.clone()),
        _ => None,
    })
}

fn their_version(start_height: i32, services: ServiceFlags, nonce: u64) -> NetworkMessage {
    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut v = VersionMessage::new(
        services,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, services),
        nonce,
        "/btcd:0.26.0/".to_string(),
        start_height,
    );
    v.version = 70016;
    NetworkMessage::Version(v)
}

/// Dials the first target, completes btcd's handshake at `at_ms`, returns the peer id.
fn handshake(node: &mut Node, target: usize, start_height: i32, at_ms: u64) -> PeerId {
    let addr = node
        .connections
        .addr(TargetId(target))
        .unwrap_or("x:1")
        .to_string();
    let peer = node.handle_connected(addr, Direction::Outbound(TargetId(target)), at_ms);
    node.handle_message(
        peer,
        their_version(start_height, ServiceFlags::NETWORK, 77 + target as u64),
        at_ms,
    );
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    peer
}

/// Runs every timer up to and including `until_ms`; returns the outputs.
///
/// Panics if a tick leaves a wake-up time at or before itself: the runtime would spin on it.
fn run_timers(node: &mut Node, until_ms: u64) -> Vec<(u64, Output)> {
    let mut out = Vec::new();
    let mut last = None;
    while let Some(at) = node.poll_timeout().filter(|t| *t <= until_ms) {
        assert!(
            last.is_none_or(|l| at > l),
            "poll_timeout did not move past {at} ms after a tick"
        );
        last = Some(at);
        node.handle_tick(at);
        out.extend(drain(node).into_iter().map(|o| (at, o)));
    }
    out
}

#[test]
fn outbound_handshake_follows_btcd_order_and_then_asks_for_headers_from_genesis() {
    let mut node = new_node(&["peer:8333"]);
    let outputs = drain(&mut node);
    assert!(outputs
        .iter()
        .any(|o| matches!(o, Output::Dial { addr, .. } if addr == "peer:8333")));

    let peer = node.handle_connected("peer:8333".into(), Direction::Outbound(TargetId(0)), 10);
    let outputs = drain(&mut node);
    assert_eq!(
        sent_to(&outputs, peer),
        ["version"],
        "only our version before theirs"
    );
    let Some(Output::Send {
        message: NetworkMessage::Version(ours),
        ..
    }) = outputs.iter().find(|o| matches!(o, Output::Send { .. }))
    else {
        panic!("no version")
    };
    assert_eq!(
        (ours.version, ours.start_height, ours.relay),
        (70016, 0, false)
    );
    assert_eq!(ours.nonce >> 63, 0, "btcd's nonce is rand.Int63");

    node.handle_message(peer, their_version(500, ServiceFlags::NETWORK, 5), 20);
    assert_eq!(sent_to(&drain(&mut node), peer), ["sendaddrv2", "verack"]);
    // Commands btcd does not know are skipped during the negotiation.
    node.handle_message(peer, NetworkMessage::WtxidRelay, 21);
    node.handle_message(
        peer,
        NetworkMessage::SendCmpct(wire::SendCmpct {
            send_compact: false,
            version: 2,
        }),
        21,
    );
    assert!(
        drain(&mut node)
            .iter()
            .all(|o| !matches!(o, Output::Disconnect { .. })),
        "tolerated"
    );
    node.handle_message(peer, NetworkMessage::Verack, 22);
    let outputs = drain(&mut node);
    let getheaders = outputs.iter().find_map(|o| match o {
        Output::Send {
            message: NetworkMessage::GetHeaders(g),
            ..
        } => Some(g.clone()),
        _ => None,
    });
    let getheaders = getheaders.expect("getheaders after the handshake");
    assert_eq!(getheaders.locator_hashes, vec![node.chain().tip_hash()]);
    assert_eq!(getheaders.stop_hash, BlockHash::all_zeros());
    assert_eq!(node.sync_peer(), Some(peer));
}

#[test]
fn stall_disconnect_lands_in_90_to_105_seconds_after_getheaders_for_every_tick_phase() {
    for phase_ms in (0..15_000).step_by(997) {
        let mut node = new_node(&["a:1", "b:1"]);
        let a = handshake(&mut node, 0, 10, 0);
        drain(&mut node);
        assert_eq!(node.sync_peer(), Some(a));
        // B's stall ticker is phased from its own handshake at 1 s.
        let b = handshake(&mut node, 1, 10, 1_000);
        drain(&mut node);
        // A leaves; B becomes the sync peer and gets getheaders at 1 s + phase.
        let sent_at = 1_000 + phase_ms;
        node.handle_disconnected(a, None, sent_at);
        let outputs = drain(&mut node);
        assert_eq!(sent_to(&outputs, b), ["getheaders"], "phase {phase_ms}");
        let timed = run_timers(&mut node, sent_at + 200_000);
        let (at, reason) = timed
            .iter()
            .find_map(|(at, o)| match o {
                Output::Disconnect { peer, reason } if *peer == b => Some((*at, reason.clone())),
                _ => None,
            })
            .expect("B is disconnected");
        let waited = at - sent_at;
        assert!(
            (90_000..105_000).contains(&waited),
            "phase {phase_ms}: disconnected {waited} ms after getheaders"
        );
        assert!(
            matches!(
                reason,
                DisconnectReason::Stalled {
                    command: "headers",
                    ..
                }
            ),
            "{reason:?}"
        );
    }
}

#[test]
fn any_headers_reply_even_empty_clears_the_stall_deadline() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 10, 0);
    drain(&mut node);
    // The stall ticker runs up to the reply (time never goes backwards), then on.
    run_timers(&mut node, 50_000);
    node.handle_message(a, NetworkMessage::Headers(vec![]), 50_000);
    let timed = run_timers(&mut node, 200_000);
    assert!(
        timed
            .iter()
            .all(|(_, o)| !matches!(o, Output::Disconnect { .. })),
        "{timed:?}"
    );
}

#[test]
fn a_silent_peer_is_pinged_every_two_minutes_and_dropped_after_five_idle_minutes() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 0, 1_000);
    drain(&mut node);
    let timed = run_timers(&mut node, 400_000);
    let pings: Vec<u64> = timed
        .iter()
        .filter(|(_, o)| {
            matches!(
                o,
                Output::Send {
                    message: NetworkMessage::Ping(_),
                    ..
                }
            )
        })
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(pings, [121_000, 241_000]);
    let (at, reason) = timed
        .iter()
        .find_map(|(at, o)| match o {
            Output::Disconnect { peer, reason } if *peer == a => Some((*at, reason.clone())),
            _ => None,
        })
        .expect("idle disconnect");
    assert_eq!(
        (at, reason),
        (
            301_000,
            DisconnectReason::Idle {
                timeout_ms: 300_000
            }
        )
    );
}

#[test]
fn a_matching_pong_records_the_round_trip_and_any_message_resets_the_idle_timer() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 0, 0);
    drain(&mut node);
    let timed = run_timers(&mut node, 120_000);
    let nonce = timed
        .iter()
        .find_map(|(_, o)| match o {
            Output::Send {
                message: NetworkMessage::Ping(n),
                ..
            } => Some(*n),
            _ => None,
        })
        .expect("a ping at 120 s");
    node.handle_message(a, NetworkMessage::Pong(nonce ^ 1), 120_100);
    assert!(
        node.peers[&a].ping_in_flight().is_some(),
        "a wrong nonce is ignored"
    );
    node.handle_message(a, NetworkMessage::Pong(nonce), 120_250);
    assert_eq!(node.peers[&a].last_rtt_ms(), Some(250));
    let timed = run_timers(&mut node, 420_249);
    assert!(disconnect_of(&timed.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(), a).is_none());
    assert!(disconnect_of(
        &run_timers(&mut node, 420_250)
            .into_iter()
            .map(|(_, o)| o)
            .collect::<Vec<_>>(),
        a
    )
    .is_some());
}

#[test]
fn handshake_faults_disconnect_with_their_reasons() {
    // First message not version: btcd's reject(version, malformed), no pong, disconnect.
    let mut node = new_node(&[]);
    let p = node.handle_connected("in".into(), Direction::Inbound, 0);
    node.handle_message(p, NetworkMessage::Ping(1), 1);
    let out = drain(&mut node);
    assert_eq!(sent_to(&out, p), ["reject"], "a reject, no pong");
    assert!(matches!(
        disconnect_of(&out, p),
        Some(DisconnectReason::FirstMessageNotVersion { .. })
    ));

    // An outbound peer without NODE_NETWORK gets reject(nonstandard).
    let mut node = new_node(&["a:1"]);
    let p = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    node.handle_message(p, their_version(10, ServiceFlags::WITNESS, 9), 1);
    let out = drain(&mut node);
    assert_eq!(sent_to(&out, p), ["version", "reject"]);
    assert_eq!(
        disconnect_of(&out, p),
        Some(DisconnectReason::MissingServices {
            services: 8,
            expected: 1
        })
    );

    // Our own nonce coming back is a self-connection.
    let mut node = new_node(&["a:1"]);
    let out_peer = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    let ours = drain(&mut node)
        .into_iter()
        .find_map(|o| match o {
            Output::Send {
                message: NetworkMessage::Version(v),
                ..
            } => Some(v.nonce),
            _ => None,
        })
        .expect("our version");
    let in_peer = node.handle_connected("a".into(), Direction::Inbound, 1);
    node.handle_message(in_peer, their_version(0, ServiceFlags::NETWORK, ours), 2);
    assert_eq!(
        disconnect_of(&drain(&mut node), in_peer),
        Some(DisconnectReason::SelfConnection { nonce: ours })
    );
    assert!(node.peers.contains_key(&out_peer));

    // A user agent over 256 bytes (btcd MaxUserAgentLen) ends the negotiation.
    let mut node = new_node(&["a:1"]);
    let p = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    let NetworkMessage::Version(mut long) = their_version(0, ServiceFlags::NETWORK, 3) else {
        unreachable!()
    };
    long.user_agent = "x".repeat(257);
    node.handle_message(p, NetworkMessage::Version(long), 1);
    assert_eq!(
        disconnect_of(&drain(&mut node), p),
        Some(DisconnectReason::UserAgentTooLong { length_bytes: 257 })
    );

    // The negotiation is bounded by 30 s.
    let mut node = new_node(&["a:1"]);
    let p = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 500);
    drain(&mut node);
    let timed = run_timers(&mut node, 31_000);
    assert!(timed.iter().any(|(at, o)| *at == 30_500
        && matches!(o, Output::Disconnect { peer, reason: DisconnectReason::HandshakeTimeout { .. } } if *peer == p)));
}

#[test]
fn more_than_2000_headers_disconnect_before_any_is_looked_at() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 5000, 0);
    drain(&mut node);
    // 2001 distinct headers; without the count check they would reach validation (and be
    // rejected there for other reasons, with a `HeadersImported` event and another reason).
    let genesis = node.chain().tip_header();
    let junk: Vec<_> = (0..2001u32)
        .map(|nonce| bitcoin::block::Header { nonce, ..genesis })
        .collect();
    node.handle_message(a, NetworkMessage::Headers(junk), 10);
    let out = drain(&mut node);
    assert_eq!(
        disconnect_of(&out, a),
        Some(DisconnectReason::TooManyHeaders { count: 2001 })
    );
    assert!(!out.iter().any(|o| matches!(
        o,
        Output::Event(Event::HeadersImported { .. }) | Output::Persist(_)
    )));
    assert_eq!(node.chain().len(), 1);
}

#[test]
fn a_disconnected_permanent_peer_is_redialled_with_growing_backoff() {
    let mut node = new_node(&["a:1"]);
    drain(&mut node);
    node.handle_dial_failed(TargetId(0), "refused".into(), 0);
    let dials: Vec<u64> = run_timers(&mut node, 16_000)
        .into_iter()
        .filter(|(_, o)| matches!(o, Output::Dial { .. }))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(dials, [5_000]);
    node.handle_dial_failed(TargetId(0), "refused".into(), 5_000);
    let dials: Vec<u64> = run_timers(&mut node, 40_000)
        .into_iter()
        .filter(|(_, o)| matches!(o, Output::Dial { .. }))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(dials, [15_000]);
}

// ---- profiles: the same inputs under btcd and Core rules ----

/// 2023-11-14, after every mined regtest header's time, in milliseconds since the Unix epoch.
const T0: u64 = 1_700_000_000_000;

fn new_node_with(profile: Profile, connect: &[&str]) -> Node {
    let mut config = Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(profile);
    config.connect = connect.iter().map(|s| s.to_string()).collect();
    config.seed = 11;
    Node::new(config, HeaderChain::new(REGTEST), 0)
}

/// Dials target `target` and completes the handshake at `at_ms` with a NETWORK|WITNESS peer.
fn handshake_full(node: &mut Node, target: usize, start_height: i32, at_ms: u64) -> PeerId {
    let addr = node
        .connections
        .addr(TargetId(target))
        .unwrap_or("x:1")
        .to_string();
    let peer = node.handle_connected(addr, Direction::Outbound(TargetId(target)), at_ms);
    let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
    node.handle_message(
        peer,
        their_version(start_height, services, 77 + target as u64),
        at_ms,
    );
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    peer
}

/// `count` regtest headers on `prev`, 600 s apart, `time_offset_s` added to the last one.
fn mine(prev: &bitcoin::block::Header, count: usize, branch: u32) -> Vec<bitcoin::block::Header> {
    use bitcoin::hashes::Hash as _;
    let mut out = Vec::new();
    let mut parent = *prev;
    for i in 0..count {
        let mut root = [0u8; 32];
        root[..4].copy_from_slice(&branch.to_le_bytes());
        root[4..8].copy_from_slice(&(i as u32).to_le_bytes());
        let mut header = bitcoin::block::Header {
            version: bitcoin::block::Version::from_consensus(4),
            prev_blockhash: parent.block_hash(),
            merkle_root: bitcoin::TxMerkleNode::from_byte_array(root),
            time: parent.time + 600,
            bits: parent.bits,
            nonce: 0,
        };
        while !header.target().is_met_by(header.block_hash()) {
            header.nonce += 1;
        }
        out.push(header);
        parent = header;
    }
    out
}

fn getheaders_to(outputs: &[Output], peer: PeerId) -> Vec<GetHeadersMessage> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                peer: p,
                message: NetworkMessage::GetHeaders(g),
            } if *p == peer => Some(g.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn core_handshake_sends_wtxidrelay_then_pings_at_once_and_asks_whatever_the_peer_advertises() {
    let mut node = new_node_with(Profile::Core, &["p:1"]);
    drain(&mut node);
    let peer = node.handle_connected("p:1".into(), Direction::Outbound(TargetId(0)), 0);
    let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
    node.handle_message(peer, their_version(0, services, 5), 10);
    node.handle_message(peer, NetworkMessage::Verack, 20);
    let outputs = drain(&mut node);
    assert_eq!(
        sent_to(&outputs, peer),
        [
            "version",
            "wtxidrelay",
            "sendaddrv2",
            "verack",
            "ping",
            "getheaders"
        ]
    );
    assert_eq!(
        getheaders_to(&outputs, peer)[0].locator_hashes,
        vec![node.chain().tip_hash()],
        "genesis alone"
    );
}

#[test]
fn core_ignores_what_btcd_punishes_during_the_handshake_and_times_out_after_60_s() {
    let mut node = new_node_with(Profile::Core, &[]);
    let peer = node.handle_connected("in".into(), Direction::Inbound, 0);
    node.handle_message(peer, NetworkMessage::Ping(1), 5);
    let outputs = drain(&mut node);
    assert!(
        sent_to(&outputs, peer).is_empty(),
        "no pong, no reject: {:?}",
        sent_to(&outputs, peer)
    );
    assert_eq!(disconnect_of(&outputs, peer), None);
    let timed = run_timers(&mut node, 70_000);
    let (at, reason) = timed
        .iter()
        .find_map(|(at, o)| match o {
            Output::Disconnect { reason, .. } => Some((*at, reason.clone())),
            _ => None,
        })
        .expect("timed out");
    assert_eq!(at, 60_001, "Core's strict `>` on the 60-s peer timeout");
    assert!(
        matches!(
            reason,
            DisconnectReason::NoMessageAtStart {
                never_received: false,
                never_sent: true,
                ..
            }
        ),
        "{reason:?}"
    );
}

#[test]
fn a_bad_checksum_is_dropped_by_core_and_disconnects_under_btcd() {
    for profile in Profile::ALL {
        let mut node = new_node_with(profile, &["p:1"]);
        let peer = handshake_full(&mut node, 0, 0, 0);
        drain(&mut node);
        let error = DecodeError::BadChecksum {
            command: "ping".into(),
            expected: [1, 2, 3, 4],
            got: [0xff; 4],
        };
        node.handle_frame_error(peer, error, 100);
        let outputs = drain(&mut node);
        match profile {
            Profile::Btcd => {
                assert_eq!(sent_to(&outputs, peer), ["reject"]);
                assert!(matches!(
                    disconnect_of(&outputs, peer),
                    Some(DisconnectReason::Frame(_))
                ));
            }
            Profile::Core => {
                assert!(sent_to(&outputs, peer).is_empty());
                assert_eq!(disconnect_of(&outputs, peer), None);
                assert_eq!(node.ready_peer_count(), 1);
            }
        }
    }
}

#[test]
fn an_unconnecting_header_disconnects_under_btcd_and_gets_a_full_locator_getheaders_under_core() {
    let genesis = bitcoin::constants::genesis_block(REGTEST).header;
    let chain = mine(&genesis, 30, 1);
    for profile in Profile::ALL {
        let mut node = new_node_with(profile, &["p:1"]);
        let peer = handshake_full(&mut node, 0, 20, T0);
        drain(&mut node);
        node.handle_message(
            peer,
            NetworkMessage::Headers(chain[..20].to_vec()),
            T0 + 1_000,
        );
        drain(&mut node);
        assert_eq!(node.chain().tip_height(), 20);
        // Header 22 alone: its parent 21 is unknown.
        node.handle_message(peer, NetworkMessage::Headers(vec![chain[21]]), T0 + 2_000);
        let outputs = drain(&mut node);
        match profile {
            Profile::Btcd => assert!(matches!(
                disconnect_of(&outputs, peer),
                Some(DisconnectReason::InvalidHeader(
                    HeaderError::PrevNotFound { .. }
                ))
            )),
            Profile::Core => {
                assert_eq!(disconnect_of(&outputs, peer), None);
                let requests = getheaders_to(&outputs, peer);
                assert_eq!(requests.len(), 1, "one getheaders for the gap");
                assert_eq!(
                    requests[0].locator_hashes,
                    node.chain().locator(),
                    "full locator of the best header"
                );
                node.handle_message(
                    peer,
                    NetworkMessage::Headers(chain[20..22].to_vec()),
                    T0 + 2_100,
                );
                drain(&mut node);
                assert_eq!(node.chain().tip_height(), 22);
            }
        }
    }
}

#[test]
fn a_time_too_new_header_is_punished_by_btcd_only() {
    let genesis = bitcoin::constants::genesis_block(REGTEST).header;
    // The clock reads genesis + 3000 s; header h has time genesis + 600·h, so headers from 18
    // on lie more than 7200 s ahead.
    let now_ms = (u64::from(genesis.time) + 3_000) * 1000;
    let chain = mine(&genesis, 20, 2);
    for profile in Profile::ALL {
        let mut node = new_node_with(profile, &["p:1"]);
        let peer = handshake_full(&mut node, 0, 20, now_ms);
        drain(&mut node);
        node.handle_message(peer, NetworkMessage::Headers(chain.clone()), now_ms);
        let outputs = drain(&mut node);
        let reason = disconnect_of(&outputs, peer);
        match profile {
            Profile::Btcd => assert!(
                matches!(
                    reason,
                    Some(DisconnectReason::InvalidHeader(
                        HeaderError::TimeTooNew { .. }
                    ))
                ),
                "{reason:?}"
            ),
            Profile::Core => assert_eq!(reason, None, "Core: BLOCK_TIME_FUTURE is not punished"),
        }
        assert_eq!(
            node.chain().tip_height(),
            17,
            "{profile}: the headers before the first one from the future stay"
        );
    }
}

#[test]
fn core_pings_again_only_after_the_pong_and_drops_a_peer_whose_ping_goes_unanswered_20_min() {
    let mut node = new_node_with(Profile::Core, &["p:1"]);
    let peer = handshake_full(&mut node, 0, 0, 0);
    let first = drain(&mut node);
    let nonce = first
        .iter()
        .find_map(|o| match o {
            Output::Send {
                message: NetworkMessage::Ping(n),
                ..
            } => Some(*n),
            _ => None,
        })
        .expect("a ping at the handshake");
    assert_ne!(nonce, 0);
    node.handle_message(peer, NetworkMessage::Pong(nonce), 50);
    // The next ping goes out 2 min + 1 ms after the first; it is never answered (the peer's
    // own pings, answered by us, keep both socket timers fresh), so 20 min + 1 ms later the
    // peer is dropped.
    let mut timed = Vec::new();
    for t in (60_000..1_600_000).step_by(60_000) {
        timed.extend(run_timers(&mut node, t));
        node.handle_message(peer, NetworkMessage::Ping(t), t);
        drain(&mut node);
    }
    let pings: Vec<u64> = timed
        .iter()
        .filter(|(_, o)| {
            matches!(
                o,
                Output::Send {
                    message: NetworkMessage::Ping(_),
                    ..
                }
            )
        })
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(pings, [120_001], "no second ping while one is outstanding");
    let dropped = timed.iter().find_map(|(at, o)| match o {
        Output::Disconnect {
            reason: DisconnectReason::PingTimeout { .. },
            ..
        } => Some(*at),
        _ => None,
    });
    assert_eq!(dropped, Some(120_001 + 1_200_001));
}

#[test]
fn an_overdue_core_headers_sync_deadline_with_no_alternative_peer_does_not_keep_waking_the_node() {
    let mut config =
        Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(Profile::Core);
    config.connect = vec!["p:1".to_string(), "q:1".to_string()];
    config.seed = 11;
    // The silent peer would otherwise be evicted for its old chain after 22 min (S09).
    config.timing.chain_sync_timeout = std::time::Duration::from_secs(24 * 60 * 60);
    let mut node = Node::new(config, HeaderChain::new(REGTEST), 0);
    let peer = handshake_full(&mut node, 0, 100, T0);
    for output in drain(&mut node) {
        if let Output::Send {
            message: NetworkMessage::Ping(nonce),
            ..
        } = output
        {
            node.handle_message(peer, NetworkMessage::Pong(nonce), T0 + 20);
        }
    }
    // The sync never progresses and there is no other peer yet: the deadline (15 min + 1 ms
    // per 600 s since the 2011 genesis, about 26 min) passes without a disconnect. The peer
    // answers every ping, so nothing else ends it, and every later wake-up lies ahead.
    let until = T0 + 3_000_000;
    let mut at = T0;
    while let Some(next) = node.poll_timeout().filter(|t| *t <= until) {
        assert!(next > at || at == T0, "poll_timeout did not move past {at}");
        at = next;
        node.handle_tick(next);
        for output in drain(&mut node) {
            match output {
                Output::Send {
                    message: NetworkMessage::Ping(nonce),
                    ..
                } => node.handle_message(peer, NetworkMessage::Pong(nonce), next + 20),
                Output::Disconnect { reason, .. } => panic!("disconnected: {reason}"),
                _ => {}
            }
        }
    }
    assert!(node.poll_timeout().is_some_and(|t| t > until));
    // A second outbound peer makes the overdue sync peer replaceable: it goes at once, and the
    // sync moves to the new peer.
    let second = handshake_full(&mut node, 1, 100, until + 100_000);
    let outputs = drain(&mut node);
    assert!(
        matches!(
            disconnect_of(&outputs, peer),
            Some(DisconnectReason::HeadersSyncTimeout { .. })
        ),
        "{outputs:?}"
    );
    assert_eq!(getheaders_to(&outputs, second).len(), 1);
}

#[test]
#[should_panic(expected = "time went backwards: an input at 999 ms after one at 1000 ms")]
fn an_input_earlier_than_the_previous_one_panics() {
    let mut node = new_node(&["a:1"]);
    node.handle_tick(1_000);
    node.handle_tick(999);
}

/// An inbound peer labelled `host` connects at `at_ms` and completes its handshake.
fn inbound_handshake(node: &mut Node, host: &str, at_ms: u64) -> PeerId {
    let peer = node.handle_connected(host.to_string(), Direction::Inbound, at_ms);
    node.handle_message(
        peer,
        their_version(0, ServiceFlags::NETWORK | ServiceFlags::WITNESS, 5),
        at_ms,
    );
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    peer
}

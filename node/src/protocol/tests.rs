//! Script-like tests of the sans-IO [`Node`]: feed inputs with explicit times, read outputs.

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use super::*;
use crate::config::Config;

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
    let addr = node.connections.addr(TargetId(target)).unwrap_or("x:1").to_string();
    let peer = node.handle_connected(addr, Direction::Outbound(TargetId(target)), at_ms);
    node.handle_message(peer, their_version(start_height, ServiceFlags::NETWORK, 77 + target as u64), at_ms);
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    peer
}

/// Runs every timer up to and including `until_ms`; returns the outputs.
fn run_timers(node: &mut Node, until_ms: u64) -> Vec<(u64, Output)> {
    let mut out = Vec::new();
    while let Some(at) = node.poll_timeout().filter(|t| *t <= until_ms) {
        node.handle_tick(at);
        out.extend(drain(node).into_iter().map(|o| (at, o)));
    }
    out
}

#[test]
fn outbound_handshake_follows_btcd_order_and_then_asks_for_headers_from_genesis() {
    let mut node = new_node(&["peer:8333"]);
    let outputs = drain(&mut node);
    assert!(outputs.iter().any(|o| matches!(o, Output::Dial { addr, .. } if addr == "peer:8333")));

    let peer = node.handle_connected("peer:8333".into(), Direction::Outbound(TargetId(0)), 10);
    let outputs = drain(&mut node);
    assert_eq!(sent_to(&outputs, peer), ["version"], "only our version before theirs");
    let Some(Output::Send { message: NetworkMessage::Version(ours), .. }) =
        outputs.iter().find(|o| matches!(o, Output::Send { .. }))
    else {
        panic!("no version")
    };
    assert_eq!((ours.version, ours.start_height, ours.relay), (70016, 0, false));
    assert_eq!(ours.nonce >> 63, 0, "btcd's nonce is rand.Int63");

    node.handle_message(peer, their_version(500, ServiceFlags::NETWORK, 5), 20);
    assert_eq!(sent_to(&drain(&mut node), peer), ["sendaddrv2", "verack"]);
    node.handle_message(peer, NetworkMessage::WtxidRelay, 21);
    node.handle_message(peer, NetworkMessage::SendHeaders, 21);
    assert!(drain(&mut node).iter().all(|o| !matches!(o, Output::Disconnect { .. })), "tolerated");
    node.handle_message(peer, NetworkMessage::Verack, 22);
    let outputs = drain(&mut node);
    let getheaders = outputs.iter().find_map(|o| match o {
        Output::Send { message: NetworkMessage::GetHeaders(g), .. } => Some(g.clone()),
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
        assert!((90_000..105_000).contains(&waited), "phase {phase_ms}: disconnected {waited} ms after getheaders");
        assert!(matches!(reason, DisconnectReason::Stalled { command: "headers", .. }), "{reason:?}");
    }
}

#[test]
fn any_headers_reply_even_empty_clears_the_stall_deadline() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 10, 0);
    drain(&mut node);
    node.handle_message(a, NetworkMessage::Headers(vec![]), 50_000);
    let timed = run_timers(&mut node, 200_000);
    assert!(timed.iter().all(|(_, o)| !matches!(o, Output::Disconnect { .. })), "{timed:?}");
}

#[test]
fn a_silent_peer_is_pinged_every_two_minutes_and_dropped_after_five_idle_minutes() {
    let mut node = new_node(&["a:1"]);
    let a = handshake(&mut node, 0, 0, 1_000);
    drain(&mut node);
    let timed = run_timers(&mut node, 400_000);
    let pings: Vec<u64> = timed
        .iter()
        .filter(|(_, o)| matches!(o, Output::Send { message: NetworkMessage::Ping(_), .. }))
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
    assert_eq!((at, reason), (301_000, DisconnectReason::Idle { timeout_ms: 300_000 }));
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
            Output::Send { message: NetworkMessage::Ping(n), .. } => Some(*n),
            _ => None,
        })
        .expect("a ping at 120 s");
    node.handle_message(a, NetworkMessage::Pong(nonce ^ 1), 120_100);
    assert!(node.peers[&a].ping_in_flight.is_some(), "a wrong nonce is ignored");
    node.handle_message(a, NetworkMessage::Pong(nonce), 120_250);
    assert_eq!(node.peers[&a].last_rtt_ms, Some(250));
    let timed = run_timers(&mut node, 420_249);
    assert!(disconnect_of(&timed.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(), a).is_none());
    assert!(disconnect_of(&run_timers(&mut node, 420_250).into_iter().map(|(_, o)| o).collect::<Vec<_>>(), a).is_some());
}

#[test]
fn handshake_faults_disconnect_with_their_reasons() {
    // First message not version: btcd's reject(version, malformed), no pong, disconnect.
    let mut node = new_node(&[]);
    let p = node.handle_connected("in".into(), Direction::Inbound, 0);
    node.handle_message(p, NetworkMessage::Ping(1), 1);
    let out = drain(&mut node);
    assert_eq!(sent_to(&out, p), ["reject"], "a reject, no pong");
    assert!(matches!(disconnect_of(&out, p), Some(DisconnectReason::FirstMessageNotVersion { .. })));

    // An outbound peer without NODE_NETWORK gets reject(nonstandard).
    let mut node = new_node(&["a:1"]);
    let p = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    node.handle_message(p, their_version(10, ServiceFlags::WITNESS, 9), 1);
    let out = drain(&mut node);
    assert_eq!(sent_to(&out, p), ["version", "reject"]);
    assert_eq!(disconnect_of(&out, p), Some(DisconnectReason::MissingServices { services: 8 }));

    // Our own nonce coming back is a self-connection.
    let mut node = new_node(&["a:1"]);
    let out_peer = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    let ours = drain(&mut node)
        .into_iter()
        .find_map(|o| match o {
            Output::Send { message: NetworkMessage::Version(v), .. } => Some(v.nonce),
            _ => None,
        })
        .expect("our version");
    let in_peer = node.handle_connected("a".into(), Direction::Inbound, 1);
    node.handle_message(in_peer, their_version(0, ServiceFlags::NETWORK, ours), 2);
    assert_eq!(disconnect_of(&drain(&mut node), in_peer), Some(DisconnectReason::SelfConnection { nonce: ours }));
    assert!(node.peers.contains_key(&out_peer));

    // A user agent over 256 bytes (btcd MaxUserAgentLen) ends the negotiation.
    let mut node = new_node(&["a:1"]);
    let p = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(0)), 0);
    let NetworkMessage::Version(mut long) = their_version(0, ServiceFlags::NETWORK, 3) else { unreachable!() };
    long.user_agent = "x".repeat(257);
    node.handle_message(p, NetworkMessage::Version(long), 1);
    assert_eq!(disconnect_of(&drain(&mut node), p), Some(DisconnectReason::UserAgentTooLong { length_bytes: 257 }));

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
    let junk: Vec<_> = (0..2001u32).map(|nonce| bitcoin::block::Header { nonce, ..genesis }).collect();
    node.handle_message(a, NetworkMessage::Headers(junk), 10);
    let out = drain(&mut node);
    assert_eq!(disconnect_of(&out, a), Some(DisconnectReason::TooManyHeaders { count: 2001 }));
    assert!(!out.iter().any(|o| matches!(o, Output::Event(Event::HeadersImported { .. }) | Output::Persist(_))));
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
    let dials: Vec<u64> =
        run_timers(&mut node, 40_000).into_iter().filter(|(_, o)| matches!(o, Output::Dial { .. })).map(|(at, _)| at).collect();
    assert_eq!(dials, [15_000]);
}

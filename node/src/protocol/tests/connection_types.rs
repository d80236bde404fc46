//! Connection types ([`ConnectionType`]) and the Core profile's exemptions for manual peers,
//! one test per rule (`docs/node.md`, "Connection types").

use super::*;
use crate::protocol::peer::Peer;

/// A node of `profile` started at `T0` with manual targets `connect` (numbered first) and
/// once targets `automatic` (numbered after them); Core's ping and inactivity timeouts are
/// raised to a day so that only the rule under test can end a connection.
fn node_with_types(profile: Profile, connect: &[&str], automatic: &[&str]) -> Node {
    node_at(profile, connect, automatic, T0)
}

/// [`node_with_types`] started at `start_ms`.
fn node_at(profile: Profile, connect: &[&str], automatic: &[&str], start_ms: u64) -> Node {
    let mut config = Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(profile);
    config.connect = connect.iter().map(|s| s.to_string()).collect();
    config.automatic = automatic.iter().map(|s| s.to_string()).collect();
    config.seed = 11;
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    config.timing.ping_timeout = day;
    config.timing.idle_timeout = day;
    Node::new(config, HeaderChain::new(REGTEST), start_ms)
}

/// Dials target `target` and completes the handshake at `at_ms` with a peer offering
/// `services`.
fn handshake_with(node: &mut Node, target: usize, services: ServiceFlags, at_ms: u64) -> PeerId {
    let addr = node
        .connections
        .addr(TargetId(target))
        .unwrap_or("x:1")
        .to_string();
    let peer = node.handle_connected(addr, Direction::Outbound(TargetId(target)), at_ms);
    node.handle_message(peer, their_version(0, services, 90 + target as u64), at_ms);
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    peer
}

fn full_services() -> ServiceFlags {
    ServiceFlags::NETWORK | ServiceFlags::WITNESS
}

/// 2001 distinct headers: more than a `headers` message may hold.
fn too_many_headers(node: &Node) -> NetworkMessage {
    let genesis = node.chain().tip_header();
    NetworkMessage::Headers(
        (0..2001u32)
            .map(|nonce| bitcoin::block::Header { nonce, ..genesis })
            .collect(),
    )
}

/// One header on the tip whose hash misses its target.
fn bad_pow_header(node: &Node) -> NetworkMessage {
    let mut header = mine(&node.chain().tip_header(), 1, 7)[0];
    while header.target().is_met_by(header.block_hash()) {
        header.nonce += 1;
    }
    NetworkMessage::Headers(vec![header])
}

fn discouraged_events(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Discouraged { addr, .. }) => Some(addr.clone()),
            _ => None,
        })
        .collect()
}

fn not_punished_manual(out: &[Output], peer: PeerId) -> Option<DisconnectReason> {
    out.iter().find_map(|o| match o {
        Output::Event(Event::Dropped {
            peer: p,
            reason: DropReason::ManualNotPunished(reason),
        }) if *p == peer => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn every_connection_knows_its_type_from_its_target() {
    let mut node = node_with_types(Profile::Core, &["m:1"], &["a:1"]);
    let dialing: Vec<(String, TargetKind)> = drain(&mut node)
        .into_iter()
        .filter_map(|o| match o {
            Output::Event(Event::Dialing { addr, kind }) => Some((addr, kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        dialing,
        [
            ("m:1".to_string(), TargetKind::Permanent),
            ("a:1".to_string(), TargetKind::Once)
        ]
    );
    let m = node.handle_connected("m:1".into(), Direction::Outbound(TargetId(0)), T0);
    let a = node.handle_connected("a:1".into(), Direction::Outbound(TargetId(1)), T0);
    let i = node.handle_connected("i".into(), Direction::Inbound, T0);
    let connected: Vec<(PeerId, ConnectionType)> = drain(&mut node)
        .into_iter()
        .filter_map(|o| match o {
            Output::Event(Event::Connected {
                peer, connection, ..
            }) => Some((peer, connection)),
            _ => None,
        })
        .collect();
    assert_eq!(
        connected,
        [
            (m, ConnectionType::Manual),
            (a, ConnectionType::OutboundFullRelay),
            (i, ConnectionType::Inbound)
        ]
    );
    assert_eq!(
        node.connection_type(a),
        Some(ConnectionType::OutboundFullRelay)
    );
    let rendered = Event::Connected {
        peer: m,
        addr: "m:1".into(),
        direction: Direction::Outbound(TargetId(0)),
        connection: ConnectionType::Manual,
    }
    .to_string();
    assert_eq!(
        rendered, "connected peer=1 addr=m:1 outbound",
        "the trace text names the direction only"
    );
}

#[test]
fn a_once_target_is_not_redialled_after_a_failed_dial_or_a_disconnect() {
    for profile in Profile::ALL {
        let mut node = node_with_types(profile, &[], &["a:1", "b:1"]);
        drain(&mut node);
        node.handle_dial_failed(TargetId(0), "refused".into(), T0);
        let out = drain(&mut node);
        assert!(
            out.iter().any(|o| matches!(
                o,
                Output::Event(Event::DialFailed {
                    retry_in_ms: None,
                    failed_attempts: None,
                    ..
                })
            )),
            "{profile}: {out:?}"
        );
        let b = handshake_with(&mut node, 1, full_services(), T0);
        node.handle_disconnected(b, None, T0 + 1_000);
        let out = drain(&mut node);
        assert!(
            !out.iter()
                .any(|o| matches!(o, Output::Event(Event::Reconnecting { .. }))),
            "{profile}: {out:?}"
        );
        let redials = run_timers(&mut node, T0 + 3_600_000)
            .into_iter()
            .filter(|(_, o)| matches!(o, Output::Dial { .. }))
            .count();
        assert_eq!(redials, 0, "{profile}");
    }
}

#[test]
fn core_requires_services_of_automatic_peers_only_and_btcd_of_every_outbound_peer() {
    for profile in Profile::ALL {
        let mut node = node_with_types(profile, &["m:1"], &["a:1"]);
        drain(&mut node);
        // Core wants NETWORK|WITNESS of an outbound peer far from the tip; btcd NETWORK.
        let services = match profile {
            Profile::Btcd => ServiceFlags::WITNESS,
            Profile::Core => ServiceFlags::NETWORK,
        };
        let m = handshake_with(&mut node, 0, services, T0);
        let a = handshake_with(&mut node, 1, services, T0);
        let i = node.handle_connected("i".into(), Direction::Inbound, T0);
        node.handle_message(i, their_version(0, ServiceFlags::NONE, 5), T0);
        let out = drain(&mut node);
        let missing = |peer| {
            matches!(
                disconnect_of(&out, peer),
                Some(DisconnectReason::MissingServices { .. })
            )
        };
        assert!(missing(a), "{profile}: an automatic peer is checked");
        assert!(!missing(i), "{profile}: an inbound peer is never checked");
        match profile {
            Profile::Btcd => assert!(missing(m), "btcd checks permanent peers too (OnVersion)"),
            Profile::Core => {
                assert_eq!(disconnect_of(&out, m), None, "ExpectServicesFromConn");
                assert!(node.peers.get(&m).is_some_and(Peer::is_ready));
            }
        }
    }
}

#[test]
fn core_evicts_a_lagging_automatic_peer_but_never_a_manual_one() {
    // The best header (genesis) is recent, so both peers' header syncs start at once and
    // their chain-sync timers run from the handshake.
    let genesis_s = u64::from(bitcoin::constants::genesis_block(REGTEST).header.time);
    let start_ms = (genesis_s + 6_000) * 1000;
    let mut node = node_at(Profile::Core, &["m:1"], &["a:1"], start_ms);
    drain(&mut node);
    let m = handshake_with(&mut node, 0, full_services(), start_ms);
    let a = handshake_with(&mut node, 1, full_services(), start_ms);
    assert!(node.peers.values().all(Peer::sync_started));
    drain(&mut node);
    let out: Vec<Output> = run_timers(&mut node, start_ms + 23 * 60 * 1000)
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(
        disconnect_of(&out, a),
        Some(DisconnectReason::OldChain {
            best_known_height: None
        })
    );
    assert_eq!(disconnect_of(&out, m), None);
    assert_eq!(getheaders_to(&out, m).len(), 0, "no last-chance getheaders");
    assert!(!node.peers[&m].chain_sync_applies());
    assert_eq!(node.peers[&m].chain_sync().timeout_s, None);
}

#[test]
fn core_protects_automatic_peers_only() {
    let mut node = node_with_types(Profile::Core, &["m:1"], &["a:1"]);
    drain(&mut node);
    let m = handshake_with(&mut node, 0, full_services(), T0);
    let a = handshake_with(&mut node, 1, full_services(), T0);
    let headers = mine(&node.chain().tip_header(), 3, 1);
    node.handle_message(m, NetworkMessage::Headers(headers.clone()), T0 + 10);
    node.handle_message(a, NetworkMessage::Headers(headers), T0 + 20);
    assert!(!node.peers[&m].chain_sync().protect);
    assert!(node.peers[&a].chain_sync().protect);
    assert_eq!(node.protected_outbound_peers, 1);
}

#[test]
fn core_does_not_punish_a_misbehaving_manual_peer_but_disconnects_and_discourages_an_automatic_one()
{
    let mut node = node_with_types(Profile::Core, &["m:1"], &["a:1"]);
    drain(&mut node);
    let m = handshake_with(&mut node, 0, full_services(), T0);
    let a = handshake_with(&mut node, 1, full_services(), T0);
    drain(&mut node);
    for (i, message) in [too_many_headers(&node), bad_pow_header(&node)]
        .into_iter()
        .enumerate()
    {
        node.handle_message(m, message, T0 + 10 + i as u64);
        let out = drain(&mut node);
        assert!(not_punished_manual(&out, m).is_some(), "{out:?}");
        assert_eq!(disconnect_of(&out, m), None);
        assert!(discouraged_events(&out).is_empty());
    }
    assert!(node.discouraged.is_empty());
    node.handle_message(a, too_many_headers(&node), T0 + 20);
    let out = drain(&mut node);
    assert_eq!(
        disconnect_of(&out, a),
        Some(DisconnectReason::TooManyHeaders { count: 2001 })
    );
    assert_eq!(discouraged_events(&out), ["a"]);
    // A fault Core answers with `fDisconnect` (not `Misbehaving`) ends a manual connection too,
    // and the manual target is redialled.
    let locator = vec![BlockHash::all_zeros(); 102];
    let request = GetHeadersMessage::new(locator, BlockHash::all_zeros());
    node.handle_message(m, NetworkMessage::GetHeaders(request), T0 + 30);
    let out = drain(&mut node);
    assert_eq!(
        disconnect_of(&out, m),
        Some(DisconnectReason::TooManyLocatorHashes {
            count: 102,
            max: 101
        })
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Event(Event::Reconnecting { addr, .. }) if addr == "m:1"
    )));
}

#[test]
fn core_disconnects_a_misbehaving_local_inbound_peer_without_discouraging_it() {
    let mut node = node_with_types(Profile::Core, &[], &[]);
    let local = inbound_handshake(&mut node, "127.0.0.1", T0);
    let remote = inbound_handshake(&mut node, "10.0.0.1", T0);
    drain(&mut node);
    node.handle_message(local, too_many_headers(&node), T0 + 10);
    let out = drain(&mut node);
    assert_eq!(
        disconnect_of(&out, local),
        Some(DisconnectReason::TooManyHeaders { count: 2001 })
    );
    assert!(discouraged_events(&out).is_empty(), "{out:?}");
    assert!(node.discouraged.is_empty());
    node.handle_message(remote, too_many_headers(&node), T0 + 20);
    let out = drain(&mut node);
    assert!(disconnect_of(&out, remote).is_some());
    assert_eq!(discouraged_events(&out), ["10.0.0.1"]);
}

#[test]
fn btcd_punishes_permanent_and_automatic_peers_alike() {
    let mut node = node_with_types(Profile::Btcd, &["m:1"], &["a:1"]);
    drain(&mut node);
    let m = handshake_with(&mut node, 0, full_services(), T0);
    let a = handshake_with(&mut node, 1, full_services(), T0);
    drain(&mut node);
    for peer in [m, a] {
        node.handle_message(peer, bad_pow_header(&node), T0 + 10);
        let out = drain(&mut node);
        assert!(
            matches!(
                disconnect_of(&out, peer),
                Some(DisconnectReason::InvalidHeader(
                    HeaderError::HighHash { .. }
                ))
            ),
            "{out:?}"
        );
    }
}

#[test]
fn core_disconnects_an_automatic_peer_with_too_little_work_during_initial_sync_but_not_a_manual_one(
) {
    let mut config =
        Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(Profile::Core);
    config.connect = vec!["m:1".into()];
    config.automatic = vec!["a:1".into()];
    // NoBan skips the anti-DoS check, so the low-work headers are stored and the work rule of
    // `UpdatePeerStateForReceivedHeaders` is what remains.
    config.noban = vec!["m".into(), "a".into()];
    config.minimum_chain_work = bitcoin::pow::Work::from_be_bytes({
        let mut bytes = [0; 32];
        bytes[31] = 0xff;
        bytes
    });
    let mut node = Node::new(config, HeaderChain::new(REGTEST), T0);
    drain(&mut node);
    let m = handshake_with(&mut node, 0, full_services(), T0);
    let a = handshake_with(&mut node, 1, full_services(), T0);
    drain(&mut node);
    let headers = mine(&node.chain().tip_header(), 5, 3);
    node.handle_message(m, NetworkMessage::Headers(headers.clone()), T0 + 10);
    node.handle_message(a, NetworkMessage::Headers(headers), T0 + 20);
    let out = drain(&mut node);
    assert_eq!(node.chain().tip_height(), 5);
    assert_eq!(disconnect_of(&out, m), None);
    assert_eq!(
        disconnect_of(&out, a),
        Some(DisconnectReason::InsufficientWork {
            best_known_height: 5
        })
    );
}

/// Core `IsInitialBlockDownload` for a header-only node: true while the best chain has less
/// than the minimum chain work *or* its tip is older than `max_tip_age` (either alone is
/// enough), false once neither holds, and false from then on.
#[test]
fn core_initial_block_download_holds_while_work_is_low_or_the_tip_is_old() {
    let genesis_ms = u64::from(HeaderChain::new(REGTEST).tip_header().time) * 1000;
    let node_with_min_work = |min_work_byte: u8, start_ms: u64| {
        let mut config =
            Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(Profile::Core);
        config.minimum_chain_work = bitcoin::pow::Work::from_be_bytes({
            let mut bytes = [0; 32];
            bytes[31] = min_work_byte;
            bytes
        });
        Node::new(config, HeaderChain::new(REGTEST), start_ms)
    };
    // Enough work (genesis has 2), but the tip is years old.
    let mut old = node_with_min_work(0, T0);
    assert!(old.core_is_initial_block_download(T0));
    // A tip of a second ago, but less work than the minimum.
    let mut low_work = node_with_min_work(0xff, genesis_ms + 1000);
    assert!(low_work.core_is_initial_block_download(genesis_ms + 1000));
    // Neither: done, and done for good even once the tip grows old.
    let mut synced = node_with_min_work(0, genesis_ms + 1000);
    assert!(!synced.core_is_initial_block_download(genesis_ms + 1000));
    assert!(!synced.core_is_initial_block_download(T0));
}

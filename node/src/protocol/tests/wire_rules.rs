//! What each profile does with messages and frame errors on the wire: Core's disconnects for
//! messages a header-only node otherwise ignores (found by `sim wire-fuzz` against bitcoind),
//! and btcd's answer to each kind of read error (`docs/btcd-wire.md`).

use super::*;

/// Core disconnects for messages a header-only node otherwise ignores (found by `sim
/// wire-fuzz` against a real bitcoind); btcd ignores them.
#[test]
fn core_disconnects_for_bloom_and_filter_requests_and_oversized_vectors() {
    let inv = |n: usize| vec![wire::Inventory::Block(BlockHash::all_zeros()); n];
    let ip = std::net::Ipv4Addr::new(10, 0, 0, 9);
    let addr = |n: usize| {
        let entry = bitcoin::p2p::Address::new(
            &std::net::SocketAddr::from((ip, 8333)),
            ServiceFlags::NETWORK,
        );
        vec![(0u32, entry); n]
    };
    let addr_v2 = |n: usize| {
        let entry = bitcoin::p2p::address::AddrV2Message {
            time: 0,
            services: ServiceFlags::NETWORK,
            addr: bitcoin::p2p::address::AddrV2::Ipv4(ip),
            port: 8333,
        };
        vec![entry; n]
    };
    let cases: Vec<(NetworkMessage, Option<DisconnectReason>)> = vec![
        (
            NetworkMessage::Inv(inv(50_001)),
            Some(DisconnectReason::TooManyInventory {
                command: "inv",
                count: 50_001,
            }),
        ),
        (
            NetworkMessage::GetData(inv(50_001)),
            Some(DisconnectReason::TooManyInventory {
                command: "getdata",
                count: 50_001,
            }),
        ),
        (NetworkMessage::GetData(inv(50_000)), None),
        (
            NetworkMessage::Addr(addr(1001)),
            Some(DisconnectReason::TooManyAddresses {
                command: "addr",
                count: 1001,
            }),
        ),
        (NetworkMessage::Addr(addr(1000)), None),
        (
            NetworkMessage::AddrV2(addr_v2(1001)),
            Some(DisconnectReason::TooManyAddresses {
                command: "addrv2",
                count: 1001,
            }),
        ),
        (NetworkMessage::AddrV2(addr_v2(1000)), None),
        (
            NetworkMessage::FilterClear,
            Some(DisconnectReason::NoBloomService {
                command: "filterclear",
            }),
        ),
        (
            NetworkMessage::MemPool,
            Some(DisconnectReason::NoBloomService { command: "mempool" }),
        ),
        (
            NetworkMessage::Unknown {
                command: wire::CommandString::try_from_static("filterload").expect("valid"),
                payload: vec![0xff],
            },
            Some(DisconnectReason::NoBloomService {
                command: "filterload",
            }),
        ),
    ];
    for (message, expected) in cases {
        for (profile, manual) in [
            (Profile::Btcd, false),
            (Profile::Core, false),
            (Profile::Core, true),
        ] {
            let mut node = if manual {
                new_node_with(profile, &["p:1"])
            } else {
                new_automatic_node(profile)
            };
            let peer = handshake_full(&mut node, 0, 0, 0);
            drain(&mut node);
            let command = message.command();
            node.handle_message(peer, message.clone(), 100);
            let outputs = drain(&mut node);
            // Oversized vectors are `Misbehaving`, which spares a manual peer; the bloom and
            // filter requests are a plain `fDisconnect`, for every peer.
            let misbehaviour = matches!(
                expected,
                Some(
                    DisconnectReason::TooManyInventory { .. }
                        | DisconnectReason::TooManyAddresses { .. }
                )
            );
            let want = match profile {
                Profile::Btcd => None,
                Profile::Core if manual && misbehaviour => None,
                Profile::Core => expected.clone(),
            };
            assert_eq!(
                disconnect_of(&outputs, peer),
                want,
                "{profile} (manual: {manual}) after `{command}`"
            );
        }
    }
}

/// A node whose one peer, `p:1`, is an automatic outbound connection (`Config::automatic`).
fn new_automatic_node(profile: Profile) -> Node {
    let mut config = Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(profile);
    config.automatic = vec!["p:1".to_string()];
    config.seed = 11;
    Node::new(config, HeaderChain::new(REGTEST), 0)
}

/// Core refuses `headers` from its count, as misbehaviour; the frame decoder reports it.
#[test]
fn a_headers_count_above_2000_from_the_core_decoder_is_misbehaviour() {
    let mut node = new_automatic_node(Profile::Core);
    let peer = handshake_full(&mut node, 0, 0, 0);
    drain(&mut node);
    node.handle_frame_error(peer, DecodeError::TooManyHeaders { count: 2001 }, 100);
    let outputs = drain(&mut node);
    assert_eq!(
        disconnect_of(&outputs, peer),
        Some(DisconnectReason::TooManyHeaders { count: 2001 })
    );
}

/// The `reject`s sent to `peer` among `outputs`: (message, code, reason).
fn rejects_to(outputs: &[Output], peer: PeerId) -> Vec<(String, wire::RejectReason, String)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                peer: p,
                message: NetworkMessage::Reject(r),
            } if *p == peer => Some((r.message.to_string(), r.ccode, r.reason.to_string())),
            _ => None,
        })
        .collect()
}

/// A btcd node on `network` dialling `addr`, its handshake done at 0; returns the peer.
fn btcd_peer_at(network: bitcoin::Network, addr: &str) -> (Node, PeerId) {
    let mut config = Config::new(network, std::path::PathBuf::from("unused"));
    config.connect = vec![addr.to_string()];
    config.seed = 11;
    let mut node = Node::new(config, HeaderChain::new(network), 0);
    let peer = handshake_full(&mut node, 0, 0, 0);
    drain(&mut node);
    (node, peer)
}

fn btcd_payload_error(command: &str, error: BtcdReadError) -> DecodeError {
    DecodeError::BtcdPayload {
        command: command.into(),
        error,
    }
}

/// One of each `*wire.MessageError` btcd's reading of a frame can return.
fn btcd_message_errors() -> Vec<DecodeError> {
    vec![
        DecodeError::PayloadTooLarge {
            command: "ping".into(),
            length_bytes: 4_000_001,
        },
        DecodeError::WrongMagic {
            got: [0xf9, 0xbe, 0xb4, 0xd9],
            expected: [0xfa, 0xbf, 0xb5, 0xda],
        },
        DecodeError::CommandNotUtf8 { raw: [0xff; 12] },
        DecodeError::CommandPayloadTooLarge {
            command: "ping".into(),
            length_bytes: 9,
            length_bytes_max: 8,
        },
        DecodeError::BadChecksum {
            command: "ping".into(),
            expected: [1, 2, 3, 4],
            got: [0xff; 4],
        },
        btcd_payload_error(
            "headers",
            BtcdReadError::MessageError("block headers may not contain transactions".into()),
        ),
    ]
}

#[test]
fn btcd_closes_without_a_reject_when_a_payload_ends_where_a_field_starts() {
    let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
    node.handle_frame_error(peer, btcd_payload_error("ping", BtcdReadError::Eof), 100);
    let outputs = drain(&mut node);
    assert!(sent_to(&outputs, peer).is_empty(), "io.EOF: no reject");
    assert!(matches!(
        disconnect_of(&outputs, peer),
        Some(DisconnectReason::Frame(_))
    ));
}

#[test]
fn btcd_rejects_malformed_and_closes_when_a_payload_ends_inside_a_field() {
    for error in [
        BtcdReadError::UnexpectedEof,
        BtcdReadError::Other("invalid address size".into()),
    ] {
        let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
        node.handle_frame_error(peer, btcd_payload_error("ping", error.clone()), 100);
        let outputs = drain(&mut node);
        let rejects = rejects_to(&outputs, peer);
        assert_eq!(rejects.len(), 1, "{error:?}");
        assert_eq!(
            (rejects[0].0.as_str(), rejects[0].1),
            ("malformed", wire::RejectReason::Malformed)
        );
        assert!(
            rejects[0].2.starts_with("Can't read message from p:1: "),
            "{}",
            rejects[0].2
        );
        assert!(disconnect_of(&outputs, peer).is_some());
    }
}

#[test]
fn btcd_rejects_malformed_and_closes_on_every_message_error() {
    for error in btcd_message_errors() {
        let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
        node.handle_frame_error(peer, error.clone(), 100);
        let outputs = drain(&mut node);
        assert_eq!(sent_to(&outputs, peer), ["reject"], "{error}");
        assert_eq!(
            disconnect_of(&outputs, peer),
            Some(DisconnectReason::Frame(error))
        );
    }
}

/// btcd's `isAllowedReadError` (regtest, host `127.0.0.1` or `localhost`) is not modelled: the
/// node answers a `MessageError` from a loopback peer on regtest as from any other.
#[test]
fn btcd_rejects_a_message_error_from_loopback_on_regtest_too() {
    for addr in ["127.0.0.1:18444", "localhost:18444", "[::1]:18444"] {
        for error in btcd_message_errors() {
            let (mut node, peer) = btcd_peer_at(REGTEST, addr);
            node.handle_frame_error(peer, error.clone(), 100);
            let outputs = drain(&mut node);
            assert_eq!(sent_to(&outputs, peer), ["reject"], "{addr}: {error}");
            assert!(disconnect_of(&outputs, peer).is_some(), "{addr}: {error}");
        }
    }
}

#[test]
fn btcd_closes_without_a_reject_on_a_read_error_during_the_handshake() {
    for error in btcd_message_errors()
        .into_iter()
        .chain([btcd_payload_error("version", BtcdReadError::UnexpectedEof)])
    {
        let mut node = new_node_with(Profile::Btcd, &["p:1"]);
        let peer = node.handle_connected("p:1".into(), Direction::Outbound(TargetId(0)), 0);
        drain(&mut node);
        node.handle_frame_error(peer, error.clone(), 10);
        let outputs = drain(&mut node);
        assert!(sent_to(&outputs, peer).is_empty(), "{error}");
        assert_eq!(
            disconnect_of(&outputs, peer),
            Some(DisconnectReason::Frame(error))
        );
    }
}

#[test]
fn btcd_sends_no_reject_below_protocol_version_70002_but_still_closes() {
    let mut node = new_node_with(Profile::Btcd, &["p:1"]);
    let peer = node.handle_connected("p:1".into(), Direction::Outbound(TargetId(0)), 0);
    let NetworkMessage::Version(mut old) = their_version(0, ServiceFlags::NETWORK, 5) else {
        unreachable!()
    };
    old.version = 70_001;
    node.handle_message(peer, NetworkMessage::Version(old), 1);
    node.handle_message(peer, NetworkMessage::Verack, 2);
    drain(&mut node);
    let cut = btcd_payload_error("ping", BtcdReadError::UnexpectedEof);
    node.handle_frame_error(peer, cut, 10);
    let outputs = drain(&mut node);
    assert!(sent_to(&outputs, peer).is_empty());
    assert!(disconnect_of(&outputs, peer).is_some());
}

#[test]
fn btcd_closes_without_a_reject_when_the_first_message_is_a_command_it_does_not_know() {
    for message in [
        NetworkMessage::WtxidRelay,
        NetworkMessage::Unknown {
            command: wire::CommandString::try_from("pi\0ng").expect("short"),
            payload: vec![],
        },
    ] {
        let mut node = new_node_with(Profile::Btcd, &[]);
        let peer = node.handle_connected("in:1".into(), Direction::Inbound, 0);
        let command = wire::command_name(&message);
        node.handle_message(peer, message, 1);
        let outputs = drain(&mut node);
        assert!(sent_to(&outputs, peer).is_empty(), "{command:?}");
        assert_eq!(
            disconnect_of(&outputs, peer),
            Some(DisconnectReason::UnknownBeforeVersion { command })
        );
    }
}

#[test]
fn btcd_skips_unknown_commands_before_verack_and_ends_the_negotiation_at_other_known_ones() {
    for (late, command) in [
        (NetworkMessage::SendHeaders, "sendheaders"),
        (NetworkMessage::FeeFilter(1000), "feefilter"),
        (NetworkMessage::Ping(1), "ping"),
    ] {
        let mut node = new_node_with(Profile::Btcd, &["p:1"]);
        let peer = node.handle_connected("p:1".into(), Direction::Outbound(TargetId(0)), 0);
        node.handle_message(peer, their_version(0, ServiceFlags::NETWORK, 5), 1);
        drain(&mut node);
        for skipped in [
            NetworkMessage::WtxidRelay,
            NetworkMessage::Unknown {
                command: wire::CommandString::try_from("foo").expect("short"),
                payload: vec![1],
            },
        ] {
            node.handle_message(peer, skipped, 2);
        }
        assert_eq!(disconnect_of(&drain(&mut node), peer), None);
        node.handle_message(peer, late, 3);
        let outputs = drain(&mut node);
        assert!(sent_to(&outputs, peer).is_empty(), "{command}: no reject");
        assert_eq!(
            disconnect_of(&outputs, peer),
            Some(DisconnectReason::UnexpectedBeforeVerack {
                command: command.into()
            })
        );
    }
}

#[test]
fn btcd_answers_a_duplicate_version_or_verack_with_reject_duplicate_and_closes() {
    for (message, command) in [
        (their_version(0, ServiceFlags::NETWORK, 9), "version"),
        (NetworkMessage::Verack, "verack"),
    ] {
        let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
        node.handle_message(peer, message, 10);
        let outputs = drain(&mut node);
        let rejects = rejects_to(&outputs, peer);
        assert_eq!(rejects.len(), 1);
        assert_eq!(
            (rejects[0].0.as_str(), rejects[0].1),
            (command, wire::RejectReason::Duplicate)
        );
        assert!(disconnect_of(&outputs, peer).is_some());
    }
}

#[test]
fn btcd_closes_without_a_reject_at_sendaddrv2_after_verack_and_ignores_wtxidrelay() {
    let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
    node.handle_message(peer, NetworkMessage::WtxidRelay, 10);
    node.handle_message(peer, NetworkMessage::Ping(3), 11);
    let outputs = drain(&mut node);
    assert_eq!(sent_to(&outputs, peer), ["pong"]);
    assert_eq!(disconnect_of(&outputs, peer), None);
    node.handle_message(peer, NetworkMessage::SendAddrV2, 12);
    let outputs = drain(&mut node);
    assert!(sent_to(&outputs, peer).is_empty());
    assert_eq!(
        disconnect_of(&outputs, peer),
        Some(DisconnectReason::SendAddrV2AfterHandshake)
    );
}

#[test]
fn btcd_closes_on_a_feefilter_below_zero_or_above_21_million_btc() {
    for (fee_rate, closes) in [
        (-1, true),
        (0, false),
        (btcd::FEE_FILTER_SATOSHIS_MAX, false),
        (btcd::FEE_FILTER_SATOSHIS_MAX + 1, true),
    ] {
        let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
        node.handle_message(peer, NetworkMessage::FeeFilter(fee_rate), 10);
        let outputs = drain(&mut node);
        assert!(sent_to(&outputs, peer).is_empty());
        assert_eq!(
            disconnect_of(&outputs, peer),
            closes.then_some(DisconnectReason::InvalidFeeFilter { fee_rate }),
            "{fee_rate}"
        );
    }
}

/// Bytes through btcd's frame decoder into the node, as the runtime passes them.
fn feed_btcd(node: &mut Node, peer: PeerId, bytes: &[u8], now_ms: u64) {
    let mut decoder = wire::FrameDecoder::with_dialect(wire::Magic::REGTEST, wire::Dialect::Btcd);
    // The handshake's version sets the reading version; ours is 70016 already.
    decoder.extend(bytes);
    loop {
        match decoder.decode_next() {
            Ok(Some(message)) => node.handle_message(peer, message, now_ms),
            Ok(None) => break,
            Err(error) => node.handle_frame_error(peer, error, now_ms),
        }
    }
}

#[test]
fn btcd_ignores_a_frame_whose_command_has_an_inner_nul_and_answers_the_next_ping() {
    let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
    let mut bytes = wire::encode_raw(wire::Magic::REGTEST, "ping", &7u64.to_le_bytes());
    bytes[4..16].copy_from_slice(b"pi\0ng\0\0\0\0\0\0\0");
    bytes.extend(wire::encode(wire::Magic::REGTEST, NetworkMessage::Ping(8)));
    feed_btcd(&mut node, peer, &bytes, 10);
    let outputs = drain(&mut node);
    assert_eq!(sent_to(&outputs, peer), ["pong"]);
    assert_eq!(disconnect_of(&outputs, peer), None);
}

#[test]
fn btcd_rejects_a_ping_of_nine_bytes_as_longer_than_its_maximum() {
    let (mut node, peer) = btcd_peer_at(REGTEST, "p:1");
    let bytes = wire::encode_raw(wire::Magic::REGTEST, "ping", &[0; 9]);
    feed_btcd(&mut node, peer, &bytes, 10);
    let outputs = drain(&mut node);
    assert_eq!(sent_to(&outputs, peer), ["reject"]);
    assert!(matches!(
        disconnect_of(&outputs, peer),
        Some(DisconnectReason::Frame(
            DecodeError::CommandPayloadTooLarge { .. }
        ))
    ));
}

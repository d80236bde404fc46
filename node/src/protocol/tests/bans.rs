//! Manual bans under both profiles: disconnecting a banned host, Core dropping it at accept and
//! restoring persisted bans, btcd after the handshake; automatic connections skipping banned
//! hosts.

use super::*;

#[test]
fn a_manual_ban_disconnects_the_host_then_core_drops_it_at_accept_and_btcd_after_the_handshake() {
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    for profile in Profile::ALL {
        let mut node = new_node_with(profile, &[]);
        let p = inbound_handshake(&mut node, "p", T0);
        let other = inbound_handshake(&mut node, "q", T0);
        drain(&mut node);
        node.ban("p", day, T0 + 1_000);
        let out = drain(&mut node);
        assert_eq!(
            disconnect_of(&out, p),
            Some(DisconnectReason::Banned { duration_s: 86_400 }),
            "{profile}"
        );
        assert_eq!(
            disconnect_of(&out, other),
            None,
            "{profile}: only the banned host goes"
        );
        let persisted: Vec<&Ban> = out
            .iter()
            .filter_map(|o| {
                if let Output::PersistBan(b) = o {
                    Some(b)
                } else {
                    None
                }
            })
            .collect();
        match profile {
            Profile::Core => assert_eq!(
                persisted,
                [&Ban {
                    host: "p".into(),
                    ban_until_ms: T0 + 1_000 + 86_400_000
                }]
            ),
            Profile::Btcd => assert!(persisted.is_empty(), "btcd keeps bans in memory only"),
        }

        // P comes back ten seconds later.
        let again = node.handle_connected("p".into(), Direction::Inbound, T0 + 11_000);
        let at_accept = drain(&mut node);
        let again_done = inbound_handshake_rest(&mut node, again, T0 + 11_000);
        match profile {
            Profile::Core => {
                let expected = DisconnectReason::InboundBanned { host: "p".into() };
                assert_eq!(disconnect_of(&at_accept, again), Some(expected));
                assert!(
                    again_done.is_empty(),
                    "nothing is read from a dropped connection"
                );
            }
            Profile::Btcd => {
                assert_eq!(
                    disconnect_of(&at_accept, again),
                    None,
                    "btcd accepts the socket"
                );
                let reason =
                    disconnect_of(&again_done, again).expect("dropped once the handshake is done");
                assert_eq!(
                    reason,
                    DisconnectReason::StillBanned {
                        host: "p".into(),
                        remaining_s: 86_390
                    }
                );
                assert!(
                    reason.to_string().contains("is banned for another 86390 s"),
                    "{reason}"
                );
            }
        }

        // Once the ban is over P is served again.
        let later = inbound_handshake(&mut node, "p", T0 + 1_000 + 86_400_000);
        assert_eq!(disconnect_of(&drain(&mut node), later), None, "{profile}");
    }
}

/// Completes an inbound handshake already accepted as `peer`; returns the outputs.
fn inbound_handshake_rest(node: &mut Node, peer: PeerId, at_ms: u64) -> Vec<Output> {
    node.handle_message(
        peer,
        their_version(0, ServiceFlags::NETWORK | ServiceFlags::WITNESS, 6),
        at_ms,
    );
    node.handle_message(peer, NetworkMessage::Verack, at_ms);
    drain(node)
}

#[test]
fn core_restores_running_persisted_bans_and_btcd_starts_without_them() {
    let bans = vec![
        Ban {
            host: "p".into(),
            ban_until_ms: T0 + 60_000,
        },
        Ban {
            host: "old".into(),
            ban_until_ms: T0,
        },
    ];
    for profile in Profile::ALL {
        let config = Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(profile);
        let mut node = Node::with_bans(config, HeaderChain::new(REGTEST), bans.clone(), T0);
        let loaded: Vec<Event> = drain(&mut node)
            .into_iter()
            .filter_map(|o| match o {
                Output::Event(e @ Event::BanLoaded { .. }) => Some(e),
                _ => None,
            })
            .collect();
        let p = inbound_handshake(&mut node, "p", T0 + 1_000);
        let old = inbound_handshake(&mut node, "old", T0 + 1_000);
        let out = drain(&mut node);
        assert_eq!(
            disconnect_of(&out, old),
            None,
            "{profile}: an expired ban is not restored"
        );
        match profile {
            Profile::Core => {
                assert_eq!(
                    loaded,
                    [Event::BanLoaded {
                        host: "p".into(),
                        remaining_s: 60
                    }]
                );
                assert_eq!(
                    disconnect_of(&out, p),
                    Some(DisconnectReason::InboundBanned { host: "p".into() })
                );
            }
            Profile::Btcd => {
                assert!(loaded.is_empty());
                assert_eq!(
                    disconnect_of(&out, p),
                    None,
                    "btcd lost the ban with the restart"
                );
            }
        }
    }
}

#[test]
fn automatic_connections_skip_banned_hosts_and_report_failures_with_the_shared_counter() {
    let mut config = Config::new(REGTEST, std::path::PathBuf::from("unused"));
    config.addresses = vec!["a:8333".into(), "b:8333".into(), "c:8333".into()];
    config.target_outbound = 2;
    let mut node = Node::new(config, HeaderChain::new(REGTEST), 0);
    let dials = |out: &[Output]| -> Vec<(TargetId, String)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Dial { target, addr } => Some((*target, addr.clone())),
                _ => None,
            })
            .collect()
    };
    let first = dials(&drain(&mut node));
    assert_eq!(
        first.iter().map(|(_, a)| a.as_str()).collect::<Vec<_>>(),
        ["a:8333", "b:8333"]
    );
    node.ban("c", std::time::Duration::from_secs(60), 0);
    node.handle_dial_failed(first[0].0, "refused".into(), 0);
    let out = drain(&mut node);
    assert!(
        out.iter().any(|o| matches!(
            o,
            Output::Event(Event::DialFailed {
                retry_in_ms: Some(0),
                failed_attempts: Some(1),
                ..
            })
        )),
        "{out:?}"
    );
    node.handle_tick(0);
    // `c` is banned and `b` is being dialled, so the only address left is `a` again.
    assert_eq!(
        dials(&drain(&mut node)),
        [(first[0].0, "a:8333".to_string())]
    );
}

//! The `getheaders` a peer's `headers` lead to: btcd's one-hash follow-up below the advertised
//! height, Core's after a full batch, and btcd's filter of a request equal to the last one.

use super::*;

#[test]
fn btcd_asks_again_below_the_advertised_height_with_a_one_hash_locator_and_core_after_a_full_batch()
{
    let genesis = bitcoin::constants::genesis_block(REGTEST).header;
    let chain = mine(&genesis, 2000, 3);
    for (profile, advertised, expect_more) in [
        (Profile::Btcd, 2000, false),
        (Profile::Btcd, 2500, true),
        (Profile::Core, 2000, true),
    ] {
        let mut node = new_node_with(profile, &["p:1"]);
        let peer = handshake_full(&mut node, 0, advertised, T0);
        drain(&mut node);
        node.handle_message(peer, NetworkMessage::Headers(chain.clone()), T0 + 1_000);
        let requests = getheaders_to(&drain(&mut node), peer);
        assert_eq!(
            requests.len(),
            usize::from(expect_more),
            "{profile} advertising {advertised}"
        );
        if let Some(request) = requests.first() {
            let expected = match profile {
                Profile::Btcd => vec![node.chain().tip_hash()],
                Profile::Core => node.chain().locator_from(&chain[1999].block_hash()),
            };
            assert_eq!(request.locator_hashes, expected, "{profile}");
        }
    }
}

/// btcd `PushGetHeadersMsg` filters a `getheaders` whose first locator hash and stop equal
/// the previous one's: a peer that keeps answering a short batch below its advertised height
/// with the same headers gets the one-hash follow-up once, not again and again.
#[test]
fn btcd_does_not_repeat_a_getheaders_equal_to_the_last_one() {
    let genesis = bitcoin::constants::genesis_block(REGTEST).header;
    let chain = mine(&genesis, 5, 4);
    let mut node = new_node_with(Profile::Btcd, &["p:1"]);
    let peer = handshake_full(&mut node, 0, 10, T0);
    drain(&mut node);
    node.handle_message(peer, NetworkMessage::Headers(chain.clone()), T0 + 1_000);
    let first = getheaders_to(&drain(&mut node), peer);
    assert_eq!(first.len(), 1, "the follow-up below the advertised height");
    assert_eq!(first[0].locator_hashes, vec![chain[4].block_hash()]);
    // The same headers again: the follow-up would be the same request, so none goes out.
    node.handle_message(peer, NetworkMessage::Headers(chain), T0 + 2_000);
    assert_eq!(getheaders_to(&drain(&mut node), peer), Vec::new());
}

/// The `headers` messages sent to `peer` among `outputs`, as their sizes.
fn headers_sent_to(outputs: &[Output], peer: PeerId) -> Vec<usize> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                peer: p,
                message: NetworkMessage::Headers(h),
            } if *p == peer => Some(h.len()),
            _ => None,
        })
        .collect()
}

/// D28, serving a peer's `getheaders`: btcd answers only while current (`OnGetHeaders`: the
/// best header younger than `max_tip_age`), Core with an empty `headers` while its best chain
/// is below the minimum chain work, unless the peer has NoBan (which carries Download).
#[test]
fn btcd_serves_getheaders_only_while_current_and_core_only_above_the_minimum_work() {
    let genesis = bitcoin::constants::genesis_block(REGTEST).header;
    let chain = mine(&genesis, 10, 6);
    let tip_ms = u64::from(chain[9].time) * 1000;
    let request = NetworkMessage::GetHeaders(GetHeadersMessage {
        version: 70016,
        locator_hashes: vec![genesis.block_hash()],
        stop_hash: BlockHash::all_zeros(),
    });
    // (profile, minimum chain work above the chain, the asker has NoBan, now, sizes served)
    let day_ms = 24 * 3600 * 1000;
    let cases = [
        (
            Profile::Btcd,
            false,
            false,
            tip_ms + day_ms - 1_000,
            vec![10],
        ),
        (Profile::Btcd, false, false, tip_ms + day_ms + 2_000, vec![]),
        (Profile::Core, false, false, T0, vec![10]),
        (Profile::Core, true, false, T0, vec![0]),
        // NoBan carries Download: served from the best chain, which is still genesis.
        (Profile::Core, true, true, T0, vec![0]),
    ];
    for (profile, above, noban, now_ms, expected) in cases {
        let mut config =
            Config::new(REGTEST, std::path::PathBuf::from("unused")).with_profile(profile);
        config.connect = vec!["p:1".into()];
        config.seed = 11;
        config.noban = vec!["asker".into()];
        if above {
            config.minimum_chain_work = bitcoin::pow::Work::from_be_bytes([0xff; 32]);
        }
        let mut node = Node::new(config, HeaderChain::new(REGTEST), 0);
        let sync = handshake_full(&mut node, 0, 10, now_ms - 2_000);
        node.handle_message(sync, NetworkMessage::Headers(chain.clone()), now_ms - 1_500);
        let asker = inbound_handshake(
            &mut node,
            if noban { "asker" } else { "other" },
            now_ms - 1_000,
        );
        drain(&mut node);
        node.handle_message(asker, request.clone(), now_ms);
        let outputs = drain(&mut node);
        let case = format!("{profile} above={above} noban={noban} at {now_ms}");
        assert_eq!(headers_sent_to(&outputs, asker), expected, "{case}");
        let held_back = outputs.iter().any(|o| {
            matches!(
                o,
                Output::Event(Event::Dropped {
                    reason: DropReason::GetHeadersNotCurrent | DropReason::GetHeadersTooLittleWork,
                    ..
                })
            )
        });
        assert_eq!(held_back, expected != vec![10] && !noban, "{case}");
        assert_eq!(disconnect_of(&outputs, asker), None, "{case}");
    }
}

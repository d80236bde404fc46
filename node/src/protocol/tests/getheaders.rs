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

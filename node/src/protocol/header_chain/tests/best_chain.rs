//! Best-chain selection and reorgs, serving `getheaders`, and loading from the store.

use super::*;

/// A regtest chain of 300 and, ready to send, a side branch of `side_len` forking at 250.
fn chain_and_fork(side_len: usize) -> (HeaderChain, Vec<Header>, Vec<Header>) {
    let (chain, all) = regtest_chain(300);
    let side = mine_chain(&all[250], side_len, 2);
    (chain, all, side)
}

#[test]
fn fork_with_more_work_reorganises_with_an_update_from_above_the_fork() {
    let (mut chain, all, side) = chain_and_fork(60); // side heights 251..=310
    let old_work = chain.tip_chainwork();
    let import = chain.accept_headers(&side, NOW_S);
    assert_eq!(import.error, None);
    assert_eq!(import.accepted, 60);
    assert_eq!(import.update, Some(ChainUpdate::new(251, side.clone())));
    assert_eq!(import.reorg_depth, 50);
    assert_eq!(chain.tip_height(), 310);
    assert_eq!(chain.tip_hash(), side[59].block_hash());
    assert!(chain.tip_chainwork() > old_work);
    assert_eq!(chain.active_height_of(&all[300].block_hash()), None);
    assert_eq!(
        chain.get(&all[300].block_hash()).map(|e| e.height),
        Some(300)
    );
    assert_eq!(chain.active_hash_at(250), Some(all[250].block_hash()));
    assert_eq!(chain.active_hash_at(251), Some(side[0].block_hash()));
    assert_eq!(chain.len(), 301 + 60);

    // Extending the new tip is a plain extension again.
    let more = mine_chain(&side[59], 3, 3);
    let import = chain.accept_headers(&more, NOW_S);
    assert_eq!(import.update, Some(ChainUpdate::new(311, more)));
    assert_eq!(import.reorg_depth, 0);
}

#[test]
fn fork_with_less_work_changes_nothing_but_is_indexed() {
    let (mut chain, all, side) = chain_and_fork(40);
    let import = chain.accept_headers(&side, NOW_S);
    assert_eq!(
        (
            import.error,
            import.accepted,
            import.update,
            import.reorg_depth
        ),
        (None, 40, None, 0)
    );
    assert_eq!(chain.tip_hash(), all[300].block_hash());
    assert_eq!(
        chain.get(&side[39].block_hash()).map(|e| e.height),
        Some(290)
    );
    assert_eq!(chain.active_height_of(&side[39].block_hash()), None);
}

#[test]
fn fork_with_equal_work_keeps_the_first_seen_tip_until_it_gets_ahead() {
    let (mut chain, all, side) = chain_and_fork(51);
    let import = chain.accept_headers(&side[..50], NOW_S); // heights 251..=300
    assert_eq!((import.accepted, import.update), (50, None));
    assert_eq!(
        chain.get(&side[49].block_hash()).map(|e| e.chainwork),
        Some(chain.tip_chainwork())
    );
    assert_eq!(chain.tip_hash(), all[300].block_hash());

    let import = chain.accept_headers(&side[50..], NOW_S);
    assert_eq!(import.update, Some(ChainUpdate::new(251, side.clone())));
    assert_eq!(import.reorg_depth, 50);
    assert_eq!(chain.tip_hash(), side[50].block_hash());
}

#[test]
fn headers_after_locator_start_above_the_first_locator_hash_on_the_best_chain() {
    let (mut chain, all, side) = chain_and_fork(60);
    let stale_tip = all[300].block_hash();
    chain.accept_headers(&side, NOW_S);
    let side_hashes: Vec<BlockHash> = side.iter().map(Header::block_hash).collect();

    // A stale locator: the old branch first, then the fork point and genesis.
    let locator = [
        stale_tip,
        all[290].block_hash(),
        all[260].block_hash(),
        all[250].block_hash(),
        all[0].block_hash(),
    ];
    let served = chain.headers_after_locator(&locator, BlockHash::all_zeros(), 2000);
    assert_eq!(served, side);

    // Stop at (and include) hash_stop; respect max.
    let served = chain.headers_after_locator(&locator, side_hashes[4], 2000);
    assert_eq!(served, side[..5].to_vec());
    let served = chain.headers_after_locator(&locator, side_hashes[40], 3);
    assert_eq!(served, side[..3].to_vec());
    assert!(chain
        .headers_after_locator(&locator, side_hashes[4], 0)
        .is_empty());

    // The node's own stale locator: the first best-chain entry is height 227.
    let stale_locator = chain.locator_from(&stale_tip);
    let served = chain.headers_after_locator(&stale_locator, BlockHash::all_zeros(), 2000);
    assert_eq!(served.len(), 310 - 227);
    assert_eq!(served[0], all[228]);

    // No known locator hash: start after genesis.
    let served = chain.headers_after_locator(&[BlockHash::all_zeros()], BlockHash::all_zeros(), 10);
    assert_eq!(served, all[1..=10].to_vec());

    // Up to date: nothing to serve.
    assert!(chain
        .headers_after_locator(&chain.locator(), BlockHash::all_zeros(), 2000)
        .is_empty());

    // An empty locator asks for hash_stop alone, if it is on the best chain.
    assert_eq!(
        chain.headers_after_locator(&[], all[7].block_hash(), 2000),
        vec![all[7]]
    );
    assert!(chain.headers_after_locator(&[], stale_tip, 2000).is_empty());
}

// ----- loading from the store -----

fn best_chain_headers(chain: &HeaderChain) -> Vec<Header> {
    (0..=chain.tip_height())
        .map(|h| {
            chain
                .get(&chain.active_hash_at(h).expect("on the best chain"))
                .expect("indexed")
                .header
        })
        .collect()
}

#[test]
fn from_stored_round_trip_rebuilds_tip_chainwork_and_locator() {
    let (mut chain, _, side) = chain_and_fork(60);
    chain.accept_headers(&side, NOW_S);
    let stored = best_chain_headers(&chain);
    let loaded = HeaderChain::from_stored(Network::Regtest, stored).expect("a valid stored chain");
    assert_eq!(loaded.tip_height(), chain.tip_height());
    assert_eq!(loaded.tip_hash(), chain.tip_hash());
    assert_eq!(loaded.tip_chainwork(), chain.tip_chainwork());
    assert_eq!(loaded.locator(), chain.locator());
    assert_eq!(loaded.len(), 311, "side branches are not stored");

    let empty = HeaderChain::from_stored(Network::Regtest, Vec::new()).expect("genesis only");
    assert_eq!(
        (empty.tip_height(), empty.tip_hash()),
        (0, regtest_genesis().block_hash())
    );
}

#[test]
fn from_stored_reports_the_height_of_a_broken_link_or_bad_proof_of_work() {
    let (chain, all) = regtest_chain(200);
    let mut stored = best_chain_headers(&chain);
    stored[150].prev_blockhash = all[148].block_hash();
    assert_eq!(
        HeaderChain::from_stored(Network::Regtest, stored.clone()).map(|_| ()),
        Err(LoadError::BrokenLink {
            height: 150,
            hash: stored[150].block_hash(),
            prev: all[148].block_hash(),
            expected: all[149].block_hash(),
        })
    );

    let mut stored = best_chain_headers(&chain);
    let target = stored[200].target();
    while target.is_met_by(stored[200].block_hash()) {
        stored[200].nonce = stored[200].nonce.wrapping_add(1);
    }
    assert!(matches!(
        HeaderChain::from_stored(Network::Regtest, stored),
        Err(LoadError::HighHash { height: 200, .. })
    ));

    let mut stored = best_chain_headers(&chain);
    stored[0] = genesis_block(Network::Bitcoin).header;
    let error = HeaderChain::from_stored(Network::Regtest, stored)
        .map(|_| ())
        .expect_err("wrong genesis");
    assert!(matches!(error, LoadError::WrongGenesis { .. }), "{error}");
}

#[test]
fn from_stored_loads_real_mainnet_headers_with_the_same_chainwork() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut synced = HeaderChain::new(Network::Bitcoin);
    feed_in_batches(&mut synced, &headers[1..]);
    let loaded = HeaderChain::from_stored(Network::Bitcoin, headers).expect("real headers load");
    assert_eq!(loaded.tip_height(), 10_236);
    assert_eq!(loaded.tip_chainwork(), synced.tip_chainwork());
    assert_eq!(loaded.locator(), synced.locator());
}

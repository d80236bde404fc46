//! Error messages and their Core reject reasons, what each order of checks keeps after a failure, and checkpoints.

use super::*;

#[test]
fn every_error_message_starts_with_its_core_reject_reason() {
    let hash = BlockHash::all_zeros();
    let errors = [
        HeaderError::HighHash {
            index: 0,
            hash,
            bits: 1,
        },
        HeaderError::NonContinuous {
            index: 1,
            hash,
            prev: hash,
        },
        HeaderError::PrevNotFound { hash, prev: hash },
        HeaderError::BadDiffBits {
            height: 1,
            hash,
            expected: 1,
            got: 2,
        },
        HeaderError::TimeTooOld {
            height: 1,
            hash,
            time: 1,
            median_time_past: 1,
        },
        HeaderError::TimeTooNew {
            height: 1,
            hash,
            time: 1,
            limit: 0,
        },
        HeaderError::TimewarpAttack {
            height: 2016,
            hash,
            time: 1,
            parent_time: 602,
        },
        HeaderError::BadVersion {
            height: 1,
            hash,
            version: -1,
        },
        HeaderError::UnsupportedNetwork {
            network: Network::Bitcoin,
            height: 1,
            hash,
        },
    ];
    let reasons: BTreeSet<&str> = errors.iter().map(HeaderError::reject_reason).collect();
    assert_eq!(reasons.len(), errors.len(), "one reason per variant");
    for error in &errors {
        let message = error.to_string();
        assert!(message.starts_with(error.reject_reason()), "{message}");
    }
    // Core's exact form for a version: bad-version(0x%08x), two's complement when negative.
    assert!(
        errors[7]
            .to_string()
            .starts_with("bad-version(0xffffffff): "),
        "{}",
        errors[7]
    );
}

#[test]
fn btcd_order_keeps_the_prefix_before_a_bad_proof_of_work_or_a_gap_where_core_keeps_nothing() {
    let (_, all) = regtest_chain(0);
    let headers = mine_chain(&all[0], 10, 77);
    let mut spoiled = headers.clone();
    let target = spoiled[6].target();
    while target.is_met_by(spoiled[6].block_hash()) {
        spoiled[6].nonce = spoiled[6].nonce.wrapping_add(1);
    }
    let mut gap = headers.clone();
    gap.remove(4);
    for (message, in_order_accepted, in_order_error) in
        [(&spoiled, 6, "high-hash"), (&gap, 4, "prev-blk-not-found")]
    {
        let mut core = HeaderChain::new(Network::Regtest);
        let import = core.accept_headers(message, u64::MAX / 2);
        assert_eq!(import.accepted, 0, "Core refuses the whole message");
        assert_eq!(core.tip_height(), 0);
        let mut btcd = HeaderChain::new(Network::Regtest);
        let import = btcd.accept_headers_in_order(message, u64::MAX / 2);
        assert_eq!(import.accepted, in_order_accepted);
        assert_eq!(
            btcd.tip_height(),
            in_order_accepted as u32,
            "the prefix becomes the best chain"
        );
        let error = import.error.expect("the bad header fails").to_string();
        assert!(error.starts_with(in_order_error), "{error}");
    }
}

/// btcd checks a header's proof of work (`checkBlockHeaderSanity`) before its contextual rules
/// (`checkBlockHeaderContext`): a header that breaks both is refused for its hash, in either
/// order of checks, never for its `bits`.
#[test]
fn a_header_with_wrong_bits_and_too_high_a_hash_is_refused_for_its_hash_in_both_orders() {
    let genesis = regtest_genesis();
    // Mainnet's proof-of-work limit is far below regtest's, so it is the wrong `bits` at height
    // 1, and at nonce 0 the hash is above it (but for one chance in about 2^32, refused below).
    let mut header = mine_chain(&genesis, 1, 5)[0];
    header.bits = CompactTarget::from_consensus(0x1d00_ffff);
    header.nonce = 0;
    while header.target().is_met_by(header.block_hash()) {
        header.nonce += 1;
    }
    for in_order in [false, true] {
        let mut chain = HeaderChain::new(Network::Regtest);
        let import = if in_order {
            chain.accept_headers_in_order(&[header], u64::MAX / 2)
        } else {
            chain.accept_headers(&[header], u64::MAX / 2)
        };
        assert_eq!(import.accepted, 0);
        assert!(
            matches!(import.error, Some(HeaderError::HighHash { index: 0, .. })),
            "in order: {in_order}: {:?}",
            import.error
        );
    }
}

#[test]
fn checkpoints_refuse_another_header_at_their_height_and_forks_below_the_latest_passed() {
    let (_, all) = regtest_chain(0);
    let main = mine_chain(&all[0], 60, 1);
    let side = mine_chain(&main[19], 40, 2); // forks after height 20
    let mut chain = HeaderChain::new(Network::Regtest);
    chain.set_checkpoints([(50, main[49].block_hash())]);
    // A branch whose header 50 is not the checkpoint: the headers before it stay.
    let mut with_side = main[..20].to_vec();
    with_side.extend_from_slice(&side);
    let import = chain.accept_headers_in_order(&with_side, u64::MAX / 2);
    assert_eq!(import.accepted, 49);
    assert!(
        matches!(
            import.error,
            Some(HeaderError::BadCheckpoint { height: 50, .. })
        ),
        "{:?}",
        import.error
    );
    // The real chain passes the checkpoint; a fork from below it is then too old.
    let import = chain.accept_headers_in_order(&main, u64::MAX / 2);
    assert_eq!(import.error, None);
    assert_eq!(chain.tip_height(), 60);
    let low_fork = mine_chain(&main[9], 3, 3);
    let import = chain.accept_headers_in_order(&low_fork, u64::MAX / 2);
    assert!(
        matches!(
            import.error,
            Some(HeaderError::ForkTooOld {
                height: 11,
                checkpoint_height: 50,
                ..
            })
        ),
        "{:?}",
        import.error
    );
    assert_eq!(import.accepted, 0);
}

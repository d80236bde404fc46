//! Contextual checks on mined regtest headers: bits, median time past, the future limit, bits decoding.

use super::*;

#[test]
fn bits_changed_mid_batch_fail_bad_diffbits_and_keep_the_prefix() {
    let genesis = regtest_genesis();
    let prefix = mine_chain(&genesis, 9, 1); // heights 1..=9
    let tail = &prefix[8];
    let odd = mine_on(tail, 99, tail.time + 600, 0x207f_fffe); // height 10, harder bits
    let rest = mine_chain(&odd, 10, 2);
    let batch: Vec<Header> = prefix.iter().chain([&odd]).chain(&rest).copied().collect();

    let mut chain = HeaderChain::new(Network::Regtest);
    let import = chain.accept_headers(&batch, NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::BadDiffBits {
            height: 10,
            hash: odd.block_hash(),
            expected: REGTEST_BITS,
            got: 0x207f_fffe,
        })
    );
    assert_eq!(import.accepted, 9);
    assert_eq!(import.update, Some(ChainUpdate::new(1, prefix.clone())));
    assert_eq!(import.reorg_depth, 0);
    assert_eq!(chain.tip_hash(), prefix[8].block_hash());
    assert!(!chain.contains(&odd.block_hash()));
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("bad-diffbits"));
}

#[test]
fn time_equal_to_the_median_time_past_is_time_too_old() {
    let (mut chain, all) = regtest_chain(20);
    // Heights 10..=20 are 600 s apart: the median is height 15's time.
    let median_time_past = all[15].time;
    let tip = &all[20];
    let equal = mine_on(tip, 7, median_time_past, REGTEST_BITS);
    let import = chain.accept_headers(&[equal], NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::TimeTooOld {
            height: 21,
            hash: equal.block_hash(),
            time: median_time_past,
            median_time_past
        })
    );
    assert_eq!((import.accepted, import.update), (0, None));
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("time-too-old"));

    let later = mine_on(tip, 8, median_time_past + 1, REGTEST_BITS);
    assert_eq!(chain.accept_headers(&[later], NOW_S).accepted, 1);
}

#[test]
fn median_time_past_near_genesis_is_the_upper_middle_of_the_times_that_exist() {
    let genesis = regtest_genesis();
    let mut chain = HeaderChain::new(Network::Regtest);
    let same_as_genesis = mine_on(&genesis, 1, genesis.time, REGTEST_BITS);
    assert!(matches!(
        chain.accept_headers(&[same_as_genesis], NOW_S).error,
        Some(HeaderError::TimeTooOld { height: 1, .. })
    ));
    let first = mine_on(&genesis, 2, genesis.time + 600, REGTEST_BITS);
    assert_eq!(chain.accept_headers(&[first], NOW_S).accepted, 1);
    // Two times exist (genesis, +600): Core takes the upper one, so +600 is too old.
    let second = mine_on(&first, 3, genesis.time + 600, REGTEST_BITS);
    assert_eq!(
        chain.accept_headers(&[second], NOW_S).error,
        Some(HeaderError::TimeTooOld {
            height: 2,
            hash: second.block_hash(),
            time: genesis.time + 600,
            median_time_past: genesis.time + 600,
        })
    );
    let second = mine_on(&first, 4, genesis.time + 601, REGTEST_BITS);
    assert_eq!(chain.accept_headers(&[second], NOW_S).accepted, 1);
}

#[test]
fn time_more_than_two_hours_ahead_is_time_too_new_and_exactly_two_hours_is_accepted() {
    let genesis = regtest_genesis();
    let mut chain = HeaderChain::new(Network::Regtest);
    let now_s = u64::from(genesis.time) + 86_400;
    let limit = now_s + FUTURE_BLOCK_TIME_S_MAX;
    let limit_time = u32::try_from(limit).expect("fits");

    let too_new = mine_on(&genesis, 1, limit_time + 1, REGTEST_BITS);
    let import = chain.accept_headers(&[too_new], now_s);
    assert_eq!(
        import.error,
        Some(HeaderError::TimeTooNew {
            height: 1,
            hash: too_new.block_hash(),
            time: limit_time + 1,
            limit
        })
    );
    assert_eq!((import.accepted, chain.len()), (0, 1));
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("time-too-new"));

    let at_limit = mine_on(&genesis, 2, limit_time, REGTEST_BITS);
    let import = chain.accept_headers(&[at_limit], now_s);
    assert_eq!((import.error, import.accepted), (None, 1));
}

#[test]
fn bits_that_overflow_are_high_hash_although_rust_bitcoin_wraps_them() {
    // rust-bitcoin masks the 256-bit shift to 8 bits: 0x3c00ffff decodes like 0x1c00ffff,
    // while Core's SetCompact flags it as overflowing.
    let overflowing = CompactTarget::from_consensus(0x3c00_ffff);
    assert_eq!(
        Target::from_compact(overflowing),
        Target::from_compact(CompactTarget::from_consensus(0x1c00_ffff))
    );
    let mainnet_limit = Params::MAINNET.max_attainable_target;
    assert_eq!(decode_bits(overflowing, mainnet_limit), None);
    // Negative (sign bit set), zero, and above-limit bits are invalid.
    for bits in [
        0x1d80_ffffu32,
        0x1cff_ffff,
        0x1d00_0000,
        0x1d01_0000,
        0x0380_0001,
        0x0100_0000,
    ] {
        assert_eq!(
            decode_bits(CompactTarget::from_consensus(bits), mainnet_limit),
            None,
            "{bits:#x}"
        );
    }
    // The largest mantissa one exponent down is valid (and below the limit).
    let below = CompactTarget::from_consensus(0x1c7f_ffff);
    assert_eq!(
        decode_bits(below, mainnet_limit),
        Some(Target::from_compact(below))
    );
    let limit = CompactTarget::from_consensus(DIFFICULTY_1_BITS);
    assert_eq!(decode_bits(limit, mainnet_limit), Some(mainnet_limit));
    // Small exponents shift the mantissa right, as Core does.
    let tiny = CompactTarget::from_consensus(0x0200_8000);
    assert_eq!(
        decode_bits(tiny, mainnet_limit),
        Some(Target::from_be_bytes({
            let mut bytes = [0u8; 32];
            bytes[31] = 0x80;
            bytes
        }))
    );

    // End to end: 0x407fffff wraps to the regtest limit in rust-bitcoin, so this header
    // "meets" it, but Core rejects the bits before anything else.
    let genesis = regtest_genesis();
    let wrapped = mine_on(&genesis, 1, genesis.time + 600, 0x407f_ffff);
    let mut chain = HeaderChain::new(Network::Regtest);
    assert_eq!(
        chain.accept_headers(&[wrapped], NOW_S).error,
        Some(HeaderError::HighHash {
            index: 0,
            hash: wrapped.block_hash(),
            bits: 0x407f_ffff
        })
    );
}

//! A chain based on a trusted start: sync, retargets, median-time-past bound, locators, loading.

use super::*;

/// Index in the 822528.. file of the header at `height`.
fn at(height: u32) -> usize {
    (height - 822_528) as usize
}

#[test]
fn mainnet_822528_to_830592_sync_from_the_trusted_822527_in_2000_header_batches() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let mut chain =
        HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("a valid trusted start");
    assert_eq!(
        (chain.base_height(), chain.tip_height()),
        (822_527, 822_527)
    );
    assert_eq!(
        (chain.base_hash(), chain.tip_hash()),
        (start.hash(), start.hash())
    );
    assert_eq!(chain.tip_chainwork(), start.chainwork);
    assert_eq!(chain.locator(), vec![start.hash()]);
    assert_eq!(chain.active_hash_at(822_526), None);

    let mut start_height = 822_528;
    for batch in headers.chunks(2000) {
        let import = chain.accept_headers(batch, NOW_S);
        assert_eq!(import.error, None, "batch from {start_height}");
        assert_eq!((import.accepted, import.reorg_depth), (batch.len(), 0));
        assert_eq!(
            import.update,
            Some(ChainUpdate::new(start_height, batch.to_vec()))
        );
        start_height += batch.len() as u32;
    }
    assert_eq!(chain.tip_height(), 830_592);
    assert_eq!(chain.tip_hash(), headers[at(830_592)].block_hash());
    assert_eq!(chain.active_hash_at(822_527), Some(start.hash()));
    assert_eq!(
        chain.active_height_of(&headers[at(826_000)].block_hash()),
        Some(826_000)
    );
    assert_eq!(chain.len(), 8066);

    // Five retargets in the range (822528 itself, from the trusted period-first time, then
    // 824544, 826560, 828576, 830592), each one changing the bits.
    let retargets: Vec<u32> = (822_528..=830_592).filter(|h| h % 2016 == 0).collect();
    assert_eq!(retargets, [822_528, 824_544, 826_560, 828_576, 830_592]);
    for height in retargets {
        let (header, parent) = (
            headers[at(height)],
            chain
                .get(&headers[at(height)].prev_blockhash)
                .expect("indexed"),
        );
        assert_ne!(
            header.bits, parent.header.bits,
            "the retarget at {height} changes the bits"
        );
    }

    // Chainwork, header by header from the trusted value, equals the boundary sum at the
    // end of the last full period (830591): the two computations agree.
    let records = crate::trusted_start::parse_retarget_boundaries(
        &read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin").expect("read above"),
    )
    .expect("parses");
    let at_830591 = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 830_591)
        .expect("derivable");
    assert_eq!(
        chain.get(&at_830591.hash()).map(|e| e.chainwork),
        Some(at_830591.chainwork)
    );
    assert_eq!(
        chain.get(&at_830591.hash()).map(|e| e.height),
        Some(830_591)
    );

    // The locator ends at the trusted header, not at genesis.
    let locator = chain.locator();
    assert_eq!(locator.last(), Some(&start.hash()));
    assert_eq!(
        heights(&chain, &locator[..14]),
        [
            830_592, 830_591, 830_590, 830_589, 830_588, 830_587, 830_586, 830_585, 830_584,
            830_583, 830_582, 830_581, 830_579, 830_575
        ]
    );
    assert!(heights(&chain, &locator).windows(2).all(|w| w[0] > w[1]));
}

#[test]
fn each_retarget_above_the_trusted_start_requires_its_real_bits() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    for height in [822_528u32, 824_544, 826_560, 828_576, 830_592] {
        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        feed_in_batches(&mut chain, &headers[..at(height)]);
        let real = headers[at(height)];
        let parent = *chain.get(&real.prev_blockhash).expect("parent indexed");
        assert_eq!(
            chain.required_bits(&parent, &real, real.block_hash()),
            Ok(real.bits),
            "at {height}"
        );
        // The parent's bits (no retarget) are wrong at a retarget height.
        let mut mutated = real;
        mutated.bits = parent.header.bits;
        assert_eq!(
            chain
                .check_contextual(0, &mutated, mutated.block_hash(), NOW_S)
                .map(|_| ()),
            Err(HeaderError::BadDiffBits {
                height,
                hash: mutated.block_hash(),
                expected: real.bits.to_consensus(),
                got: parent.header.bits.to_consensus(),
            }),
            "at {height}"
        );
        // Through accept_headers the changed header first fails its own proof of work.
        assert!(matches!(
            chain.accept_headers(&[mutated], NOW_S).error,
            Some(HeaderError::HighHash { .. })
        ));
        assert_eq!(chain.accept_headers(&[real], NOW_S).error, None);
    }
}

/// The retarget at 822528 measures the period from the trusted start's period-first time:
/// a different one gives other bits, and the real, fully valid header 822528 is then
/// bad-diffbits.
#[test]
fn the_first_retarget_uses_the_trusted_period_first_time() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let skewed = TrustedStart {
        period_first_time: start.period_first_time - 3 * 24 * 3600,
        ..start
    };
    let mut chain =
        HeaderChain::with_trusted_start(Network::Bitcoin, skewed).expect("still consistent");
    let import = chain.accept_headers(&headers[..10], NOW_S);
    assert_eq!(import.accepted, 0);
    assert!(
        matches!(import.error, Some(HeaderError::BadDiffBits { height: 822_528, got, .. }) if got == headers[0].bits.to_consensus()),
        "{:?}",
        import.error
    );
    assert_eq!(chain.tip_height(), 822_527);
}

#[test]
fn the_stale_823226_is_an_equal_work_branch_and_the_first_seen_tip_stays() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let Some(stale) = read_headers("headers/mainnet_stale_823226.bin") else {
        return;
    };
    let stale = stale[0];
    assert_eq!(
        stale.prev_blockhash,
        headers[at(823_225)].block_hash(),
        "the stale header builds on 823225"
    );
    let main = headers[at(823_226)];
    assert_ne!(stale.block_hash(), main.block_hash());

    let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
    feed_in_batches(&mut chain, &headers[..=at(823_226)]);
    assert_eq!(chain.tip_hash(), main.block_hash());

    let import = chain.accept_headers(&[stale], NOW_S);
    assert_eq!(
        (
            import.error,
            import.accepted,
            import.update,
            import.reorg_depth
        ),
        (None, 1, None, 0)
    );
    let entry = *chain
        .get(&stale.block_hash())
        .expect("the stale header is indexed");
    assert_eq!(entry.height, 823_226);
    assert_eq!(
        entry.chainwork,
        chain.tip_chainwork(),
        "equal work: same bits, same parent"
    );
    assert_eq!(
        chain.tip_hash(),
        main.block_hash(),
        "the first seen tip stays"
    );
    assert_eq!(chain.active_height_of(&stale.block_hash()), None);
    // Its locator walks its own branch, then the best chain, down to the trusted header.
    let locator = chain.locator_from(&stale.block_hash());
    assert_eq!(
        (locator[0], locator[1]),
        (stale.block_hash(), headers[at(823_225)].block_hash())
    );
    assert_eq!(locator.last(), Some(&start.hash()));

    // The main chain continues on its own tip: a plain extension.
    let import = chain.accept_headers(&headers[at(823_227)..at(825_000)], NOW_S);
    assert_eq!(import.error, None);
    assert_eq!(import.reorg_depth, 0);
    assert_eq!(import.update.map(|u| u.start_height()), Some(823_227));
    assert_eq!(chain.tip_height(), 824_999);
    assert!(chain.contains(&stale.block_hash()));
}

#[test]
fn a_fork_below_the_trusted_start_does_not_connect() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
    // 822529 builds on 822528, which is unknown until synced.
    let import = chain.accept_headers(&headers[1..3], NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::PrevNotFound {
            hash: headers[1].block_hash(),
            prev: headers[0].block_hash()
        })
    );
    // A header that builds on the trusted header's parent (a fork below the trusted
    // height) is just as unknown.
    let mut below = start.header;
    below.nonce = below.nonce.wrapping_add(1);
    assert_eq!(
        chain
            .check_contextual(0, &below, below.block_hash(), NOW_S)
            .map(|_| ()),
        Err(HeaderError::PrevNotFound {
            hash: below.block_hash(),
            prev: start.header.prev_blockhash
        })
    );
}

#[test]
fn serving_from_a_trusted_start_starts_after_the_base_for_an_unknown_locator() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
    assert!(chain
        .headers_after_locator(&[BlockHash::all_zeros()], BlockHash::all_zeros(), 10)
        .is_empty());
    feed_in_batches(&mut chain, &headers[..100]);
    let genesis = genesis_block(Network::Bitcoin).header.block_hash();
    assert_eq!(
        chain.headers_after_locator(&[genesis], BlockHash::all_zeros(), 10),
        headers[..10].to_vec()
    );
    assert_eq!(
        chain.headers_after_locator(&[start.hash()], BlockHash::all_zeros(), 2000),
        headers[..100].to_vec()
    );
    assert_eq!(
        chain.headers_after_locator(
            &[headers[49].block_hash(), genesis],
            headers[59].block_hash(),
            2000
        ),
        headers[50..60].to_vec()
    );
    assert!(chain
        .headers_after_locator(&chain.locator(), BlockHash::all_zeros(), 2000)
        .is_empty());
}

/// Just above a trusted base, median time past is the least the real median can be: no
/// bound with 5 known times or fewer, then the (k - 5)-th smallest of k known times, and the
/// real median from 11 known times on.
#[test]
fn median_time_past_above_a_trusted_start_is_a_lower_bound_from_the_known_times() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
    assert_eq!(
        chain.median_time_past(&start.hash()),
        None,
        "one known time"
    );
    feed_in_batches(&mut chain, &headers[..20]);
    let mut times = vec![start.header.time];
    times.extend(headers[..20].iter().map(|h| h.time));
    for (offset, header) in headers[..20].iter().enumerate() {
        let known = (offset + 2).min(11);
        let mut window = times[offset + 2 - known..offset + 2].to_vec();
        window.sort_unstable();
        let expected = match known {
            11 => Some(window[5]),
            k if k <= 5 => None,
            k => Some(window[k - 6]),
        };
        assert_eq!(
            chain.median_time_past(&header.block_hash()),
            expected,
            "{known} known times"
        );
    }
}

/// The bound is enforced where it exists and never rejects what Core would accept; with too
/// few known times a header far in the past passes (the documented weakening).
#[test]
fn a_header_above_a_trusted_start_is_checked_against_the_median_time_past_bound() {
    let (full, all) = regtest_chain(30);
    let start = |height: usize| TrustedStart {
        height: height as u32,
        header: all[height],
        period_first_time: all[0].time,
        period_first_bits: all[0].bits,
        chainwork: full
            .get(&all[height].block_hash())
            .expect("indexed")
            .chainwork,
    };
    // Base 10 and 11..=15 known: six times, the bound is the smallest (all[10].time).
    let mut chain = HeaderChain::with_trusted_start(Network::Regtest, start(10)).expect("valid");
    feed_in_batches(&mut chain, &all[11..=15]);
    let at_bound = mine_on(&all[15], 90, all[10].time, REGTEST_BITS);
    assert_eq!(
        chain.accept_headers(&[at_bound], NOW_S).error,
        Some(HeaderError::TimeTooOld {
            height: 16,
            hash: at_bound.block_hash(),
            time: all[10].time,
            median_time_past: all[10].time
        })
    );
    let above = mine_on(&all[15], 91, all[10].time + 1, REGTEST_BITS);
    assert_eq!(chain.accept_headers(&[above], NOW_S).error, None);

    // Base 10 and 11..=12 known: no bound, so a header older than the real median passes,
    // which the chain from genesis rejects.
    let old = mine_on(&all[12], 92, all[5].time, REGTEST_BITS);
    let mut chain = HeaderChain::with_trusted_start(Network::Regtest, start(10)).expect("valid");
    feed_in_batches(&mut chain, &all[11..=12]);
    assert_eq!(chain.accept_headers(&[old], NOW_S).error, None);
    let mut from_genesis = full.clone();
    assert!(matches!(
        from_genesis.accept_headers(&[old], NOW_S).error,
        Some(HeaderError::TimeTooOld { .. })
    ));
}

#[test]
fn from_stored_with_a_trusted_start_checks_the_base_and_rebuilds_the_chain() {
    let Some((start, headers)) = mainnet_822527_start() else {
        return;
    };
    let mut synced = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
    feed_in_batches(&mut synced, &headers[..3000]);
    let mut stored = vec![start.header];
    stored.extend_from_slice(&headers[..3000]);
    let loaded = HeaderChain::from_stored_with(Network::Bitcoin, Some(start), stored.clone())
        .expect("loads");
    assert_eq!(
        (
            loaded.tip_height(),
            loaded.tip_hash(),
            loaded.tip_chainwork(),
            loaded.locator()
        ),
        (
            synced.tip_height(),
            synced.tip_hash(),
            synced.tip_chainwork(),
            synced.locator()
        )
    );
    assert_eq!(loaded.trusted_start(), Some(&start));

    assert_eq!(
        HeaderChain::from_stored_with(Network::Bitcoin, Some(start), stored[1..].to_vec())
            .map(|_| ()),
        Err(LoadError::WrongBase {
            height: 822_527,
            expected: start.hash(),
            got: headers[0].block_hash()
        })
    );
    let mut broken = stored.clone();
    broken.remove(100);
    assert!(matches!(
        HeaderChain::from_stored_with(Network::Bitcoin, Some(start), broken),
        Err(LoadError::BrokenLink {
            height: 822_627,
            ..
        })
    ));
    let zero = TrustedStart { height: 0, ..start };
    assert_eq!(
        HeaderChain::from_stored_with(Network::Bitcoin, Some(zero), stored).map(|_| ()),
        Err(LoadError::TrustedStart(TrustedStartError::HeightZero))
    );
}

/// testnet3 from a trusted start at 4208, a minimum-difficulty header: 4209 came within
/// 20 minutes, so its bits are found by walking back over minimum-difficulty headers, which
/// stops at the base and takes the trusted period-first bits (those of 4032). The retarget
/// at 6048 measures from the trusted period-first time.
#[test]
fn testnet3_from_a_trusted_minimum_difficulty_header_walks_back_to_the_period_first_bits() {
    let Some(headers) = read_headers("headers/testnet3_0-9999.bin") else {
        return;
    };
    let base = 4208;
    assert_eq!(headers[base].bits.to_consensus(), DIFFICULTY_1_BITS);
    assert!(headers[base + 1].time <= headers[base].time + 1200);
    assert_eq!(headers[base + 1].bits, headers[4032].bits);
    let chainwork = headers[1..=base]
        .iter()
        .fold(headers[0].work(), |sum, h| sum + h.work());
    let start = TrustedStart {
        height: base as u32,
        header: headers[base],
        period_first_time: headers[4032].time,
        period_first_bits: headers[4032].bits,
        chainwork,
    };
    let mut chain = HeaderChain::with_trusted_start(Network::Testnet, start).expect("valid");
    feed_in_batches(&mut chain, &headers[base + 1..]);
    assert_eq!(chain.tip_hash(), headers[9999].block_hash());
    let mut full = HeaderChain::new(Network::Testnet);
    feed_in_batches(&mut full, &headers[1..]);
    assert_eq!(chain.tip_chainwork(), full.tip_chainwork());

    // Other period-first bits: header 4209 no longer has the required bits.
    let other = TrustedStart {
        period_first_bits: CompactTarget::from_consensus(0x1c7f_ffc0),
        ..start
    };
    let mut chain = HeaderChain::with_trusted_start(Network::Testnet, other).expect("valid");
    assert!(matches!(
        chain
            .accept_headers(&headers[base + 1..base + 5], NOW_S)
            .error,
        Some(HeaderError::BadDiffBits {
            height: 4209,
            expected: 0x1c7f_ffc0,
            ..
        })
    ));
}

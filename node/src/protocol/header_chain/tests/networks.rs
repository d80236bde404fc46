//! Other networks (testnet3, signet, testnet4) and the BIP34/66/65 version floor.

use super::*;

#[test]
fn testnet3_headers_0_to_9999_pass_the_minimum_difficulty_rule_and_real_retargets() {
    let Some(headers) = read_headers("headers/testnet3_0-9999.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Testnet);
    assert_eq!(chain.tip_hash(), headers[0].block_hash());
    feed_in_batches(&mut chain, &headers[1..]);
    assert_eq!(chain.tip_height(), 9999);
    assert_eq!(chain.tip_hash(), headers[9999].block_hash());

    // The 4x clamp at 4032 is a real change: the parent's bits are now wrong there.
    let parent = *chain.get(&headers[4031].block_hash()).expect("indexed");
    let mut with_parent_bits = headers[4032];
    assert_ne!(with_parent_bits.bits, parent.header.bits);
    with_parent_bits.bits = parent.header.bits;
    let mut fresh = HeaderChain::new(Network::Testnet);
    feed_in_batches(&mut fresh, &headers[1..=4031]);
    assert!(matches!(
        fresh.check_contextual(0, &with_parent_bits, with_parent_bits.block_hash(), NOW_S),
        Err(HeaderError::BadDiffBits {
            height: 4032,
            expected: 0x1c3f_ffc0,
            got: DIFFICULTY_1_BITS,
            ..
        })
    ));
    // Min-difficulty headers after the retarget exercised the 20-minute rule.
    let exceptions = headers[4033..6048]
        .iter()
        .filter(|h| h.bits.to_consensus() == DIFFICULTY_1_BITS)
        .count();
    assert!(exceptions > 0);
}

#[test]
fn signet_headers_0_to_2015_sync() {
    let Some(headers) = read_headers("headers/signet_0-2015.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Signet);
    assert_eq!(chain.tip_hash(), headers[0].block_hash());
    feed_in_batches(&mut chain, &headers[1..]);
    assert_eq!(chain.tip_hash(), headers[2015].block_hash());
}

/// BIP94: the retarget at 4032 scales the bits of the period's first header (2016), not
/// those of its last (4031, a minimum-difficulty header), unlike testnet3.
#[test]
fn testnet4_retargets_from_the_first_header_of_the_period() {
    let period_bits = CompactTarget::from_consensus(0x1c7f_ffff);
    let limit_bits = CompactTarget::from_consensus(DIFFICULTY_1_BITS);
    for (network, expected_base) in [
        (Network::Testnet4, period_bits),
        (Network::Testnet, limit_bits),
    ] {
        let mut chain = HeaderChain::new(network);
        let genesis = chain.tip_header();
        let mut parent = genesis;
        // Synthetic headers (no proof of work; only `required_bits` reads them).
        for height in 1..4032u32 {
            let bits = match height {
                2016..=4030 => period_bits,
                _ => limit_bits,
            };
            let header = Header {
                version: Version::from_consensus(0x2000_0000),
                prev_blockhash: parent.block_hash(),
                merkle_root: TxMerkleNode::all_zeros(),
                time: genesis.time + height * 600,
                bits,
                nonce: height,
            };
            let chainwork = chain.tip_chainwork() + Target::from_compact(bits).to_work();
            chain.index.insert(
                header.block_hash(),
                IndexEntry {
                    header,
                    height,
                    chainwork,
                },
            );
            chain.active.push(header.block_hash());
            parent = header;
        }
        let last = *chain.get(&parent.block_hash()).expect("height 4031");
        let child = Header {
            prev_blockhash: parent.block_hash(),
            time: parent.time + 600,
            ..parent
        };
        let first_time = genesis.time + 2016 * 600;
        let expected = retarget_bits(expected_base, parent.time, first_time, &Params::TESTNET4);
        assert_eq!(
            chain.required_bits(&last, &child, child.block_hash()),
            Ok(expected),
            "{network:?}"
        );
    }
}

#[test]
fn testnet4_rejects_a_period_start_more_than_600_s_before_its_parent() {
    let hash = BlockHash::all_zeros();
    assert_eq!(
        check_timewarp(4032, 1_000_000 - 600, 1_000_000, hash),
        Ok(())
    );
    assert_eq!(
        check_timewarp(4032, 1_000_000 - 601, 1_000_000, hash),
        Err(HeaderError::TimewarpAttack {
            height: 4032,
            hash,
            time: 999_399,
            parent_time: 1_000_000
        })
    );
    // Only at retarget heights.
    assert_eq!(check_timewarp(4033, 1, 1_000_000, hash), Ok(()));
}

// ----- versions (BIP34, BIP66, BIP65) -----

#[test]
fn versions_below_2_3_4_fail_from_the_bip34_bip66_bip65_activation_heights() {
    let hash = BlockHash::all_zeros();
    let heights = |network: Network| version_heights(network, network.params());
    let mainnet = heights(Network::Bitcoin);
    let bad = |height, version| {
        Err(HeaderError::BadVersion {
            height,
            hash,
            version,
        })
    };
    // Mainnet: BIP34 at 227931, BIP66 at 363725, BIP65 at 388381 (Core chainparams.cpp).
    assert_eq!(check_version(227_930, 1, mainnet, hash), Ok(()));
    assert_eq!(check_version(227_931, 1, mainnet, hash), bad(227_931, 1));
    assert_eq!(check_version(227_931, 2, mainnet, hash), Ok(()));
    assert_eq!(check_version(363_724, 2, mainnet, hash), Ok(()));
    assert_eq!(check_version(363_725, 2, mainnet, hash), bad(363_725, 2));
    assert_eq!(check_version(363_725, 3, mainnet, hash), Ok(()));
    assert_eq!(check_version(388_380, 3, mainnet, hash), Ok(()));
    assert_eq!(check_version(388_381, 3, mainnet, hash), bad(388_381, 3));
    assert_eq!(check_version(388_381, 4, mainnet, hash), Ok(()));
    assert_eq!(check_version(900_000, 0x2000_0000, mainnet, hash), Ok(()));
    // Signed as Core's nVersion: the top bit makes a version negative, hence too low.
    let negative = 0xe000_0000_u32 as i32;
    assert_eq!(check_version(227_930, negative, mainnet, hash), Ok(()));
    assert_eq!(
        check_version(227_931, negative, mainnet, hash),
        bad(227_931, negative)
    );
    // Signet and testnet4 activate all three at height 1; testnet3 has its own heights.
    assert_eq!(
        check_version(1, 3, heights(Network::Signet), hash),
        bad(1, 3)
    );
    assert_eq!(
        check_version(1, 3, heights(Network::Testnet4), hash),
        bad(1, 3)
    );
    assert_eq!(check_version(1, 4, heights(Network::Signet), hash), Ok(()));
    assert_eq!(heights(Network::Testnet), [21_111, 330_776, 581_885]);
}

/// Core 23.0+ activates BIP34/66/65 at height 1 on regtest, unlike rust-bitcoin 0.32's
/// regtest `Params` (found by the kernel oracle's differential test).
#[test]
fn regtest_requires_version_4_from_height_1_as_core_does() {
    assert_eq!(
        Network::Regtest.params().bip34_height,
        100_000_000,
        "rust-bitcoin's value, overridden"
    );
    assert_eq!(
        version_heights(Network::Regtest, Network::Regtest.params()),
        [1, 1, 1]
    );
    let genesis = regtest_genesis();
    for version in [1, 2, 3, 4, 0x2000_0000] {
        let mut header = mine_on(&genesis, 9, genesis.time + 600, REGTEST_BITS);
        header.version = Version::from_consensus(version);
        while !header.target().is_met_by(header.block_hash()) {
            header.nonce += 1;
        }
        let mut chain = HeaderChain::new(Network::Regtest);
        let expected = (version < 4).then(|| HeaderError::BadVersion {
            height: 1,
            hash: header.block_hash(),
            version,
        });
        assert_eq!(
            chain.accept_headers(&[header], NOW_S).error,
            expected,
            "version {version}"
        );
    }
}

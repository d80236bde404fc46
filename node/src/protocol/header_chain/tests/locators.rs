//! Block locators: dense then doubling, on the best chain and on side branches.

use super::*;

#[test]
fn locator_lists_twelve_consecutive_heights_then_doubling_steps_and_ends_at_genesis() {
    let (chain, all) = regtest_chain(4000);
    let cases: Vec<(usize, Vec<u32>)> = vec![
        (0, vec![0]),
        (1, vec![1, 0]),
        (11, (0..=11).rev().collect()),
        (12, (0..=12).rev().collect()),
        (13, (2..=13).rev().chain([0]).collect()),
        (
            100,
            (89..=100).rev().chain([87, 83, 75, 59, 27, 0]).collect(),
        ),
        (
            4000,
            (3989..=4000)
                .rev()
                .chain([
                    3987, 3983, 3975, 3959, 3927, 3863, 3735, 3479, 2967, 1943, 0,
                ])
                .collect(),
        ),
    ];
    for (tip, expected) in cases {
        let locator = chain.locator_from(&all[tip].block_hash());
        assert_eq!(
            heights(&chain, &locator),
            expected,
            "locator of height {tip}"
        );
        for (hash, height) in locator.iter().zip(&expected) {
            assert_eq!(Some(*hash), chain.active_hash_at(*height));
        }
        let distinct: BTreeSet<_> = locator.iter().collect();
        assert_eq!(
            distinct.len(),
            locator.len(),
            "no duplicates at height {tip}"
        );
        assert_eq!(
            locator.last(),
            Some(&all[0].block_hash()),
            "genesis last at height {tip}"
        );
    }
    assert_eq!(chain.locator(), chain.locator_from(&all[4000].block_hash()));
}

#[test]
fn locator_of_a_side_branch_walks_its_own_ancestors_then_the_best_chain() {
    let (mut chain, all) = regtest_chain(100);
    let side = mine_chain(&all[80], 15, 2); // heights 81..=95, less work than the tip
    let import = chain.accept_headers(&side, NOW_S);
    assert_eq!((import.accepted, import.update), (15, None));

    let locator = chain.locator_from(&side[14].block_hash());
    let expected: Vec<u32> = (84..=95).rev().chain([82, 78, 70, 54, 22, 0]).collect();
    assert_eq!(heights(&chain, &locator), expected);
    for (hash, height) in locator.iter().zip(&expected) {
        if *height > 80 {
            assert_eq!(
                *hash,
                side[*height as usize - 81].block_hash(),
                "side hash at {height}"
            );
            assert_eq!(chain.active_height_of(hash), None);
        } else {
            assert_eq!(
                Some(*hash),
                chain.active_hash_at(*height),
                "best-chain hash at {height}"
            );
        }
    }
    assert!(chain.locator_from(&BlockHash::all_zeros()).is_empty());
}

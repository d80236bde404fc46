//! Tests of [`HeaderChain`](super::HeaderChain), one file per topic; the helpers here (real
//! data files, a tiny deterministic regtest miner) serve them all.

mod best_chain;
mod contextual;
mod errors;
mod locators;
mod mainnet;
mod mutations;
mod networks;
mod trusted_start;

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::block::Version;
use bitcoin::hashes::Hash;
use bitcoin::params::Params;
use bitcoin::pow::Target;
use bitcoin::TxMerkleNode;

use super::difficulty::retarget_bits;
use super::*;
use crate::test_data::{decode_header, read_data, read_headers};
use crate::trusted_start::mainnet_822527_start;

/// A fixed "now" (2033-05-18) for every test: later than all real and mined header times.
const NOW_S: u64 = 2_000_000_000;
/// Regtest proof-of-work limit bits (Core `powLimit` 7fff…ff in compact form).
const REGTEST_BITS: u32 = 0x207f_ffff;
/// Mainnet difficulty-1 bits.
const DIFFICULTY_1_BITS: u32 = 0x1d00_ffff;

// ----- real data files -----

fn hash(hex: &str) -> BlockHash {
    hex.parse().expect("a block hash in hex")
}

fn feed_in_batches(chain: &mut HeaderChain, headers: &[Header]) {
    for batch in headers.chunks(2000) {
        let import = chain.accept_headers(batch, NOW_S);
        assert_eq!(import.error, None);
        assert_eq!(import.accepted, batch.len());
    }
}

// ----- a tiny deterministic regtest miner -----

/// A header on `prev` whose merkle root is the counter `seed`, ground until its hash meets
/// the target rust-bitcoin derives from `bits`.
fn mine_on(prev: &Header, seed: u64, time: u32, bits: u32) -> Header {
    let bits = CompactTarget::from_consensus(bits);
    let target = Target::from_compact(bits);
    let mut root = [0u8; 32];
    root[..8].copy_from_slice(&seed.to_le_bytes());
    let mut header = Header {
        version: Version::from_consensus(4),
        prev_blockhash: prev.block_hash(),
        merkle_root: TxMerkleNode::from_byte_array(root),
        time,
        bits,
        nonce: 0,
    };
    while !target.is_met_by(header.block_hash()) {
        header.nonce = header.nonce.checked_add(1).expect("nonce space exhausted");
    }
    header
}

/// `count` regtest headers on `parent`, 600 s apart; `branch` keeps branches distinct.
fn mine_chain(parent: &Header, count: usize, branch: u64) -> Vec<Header> {
    let mut headers = Vec::with_capacity(count);
    let mut prev = *parent;
    for i in 0..count {
        let header = mine_on(
            &prev,
            branch << 32 | i as u64,
            prev.time + 600,
            REGTEST_BITS,
        );
        headers.push(header);
        prev = header;
    }
    headers
}

fn regtest_genesis() -> Header {
    genesis_block(Network::Regtest).header
}

/// A regtest chain of `tip_height` mined headers; `all[h]` is the header at height `h`.
fn regtest_chain(tip_height: usize) -> (HeaderChain, Vec<Header>) {
    let genesis = regtest_genesis();
    let mut all = vec![genesis];
    all.extend(mine_chain(&genesis, tip_height, 1));
    let mut chain = HeaderChain::new(Network::Regtest);
    feed_in_batches(&mut chain, &all[1..]);
    assert_eq!(chain.tip_height() as usize, tip_height);
    (chain, all)
}

fn heights(chain: &HeaderChain, locator: &[BlockHash]) -> Vec<u32> {
    locator
        .iter()
        .map(|hash| chain.get(hash).expect("locator hashes are known").height)
        .collect()
}

//! Chain fixtures for fake peers: the real mainnet headers 0..=1111 carried in the repository,
//! and regtest chains of any length mined deterministically from a seed with real regtest
//! proof of work, with forks.

use bitcoin::block::{Header, Version};
use bitcoin::consensus::deserialize;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{
    Amount, Block, CompactTarget, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};
use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Real mainnet headers 1..=1111 (see `sim/fixtures/README.md` for the source).
pub const MAINNET_1_1111: &[u8] = include_bytes!("../../fixtures/mainnet_1-1111.bin");

/// SHA-256 of [`MAINNET_1_1111`], as published with the source package.
pub const MAINNET_1_1111_SHA256: &str =
    "19c786983e643f71596582f98bee0f8c2c9365c086a15ad2aa73018808dee3c1";

/// Regtest's fixed proof-of-work bits (`powLimit`, Bitcoin Core `kernel/chainparams.cpp`).
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// Seconds between consecutive mined regtest headers.
pub const REGTEST_SPACING_S: u32 = 600;

/// Which chain a fake peer serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ChainSpec {
    /// Real mainnet headers from genesis up to `height_max` (at most 1111).
    Mainnet {
        /// Last height served (default 1111).
        #[serde(default)]
        height_max: Option<u32>,
    },
    /// A regtest chain of `height` headers above genesis mined from `seed`. With `fork`, the
    /// chain shares the chain mined from `fork.seed` up to `fork.height` and continues with
    /// its own headers from there.
    Regtest {
        /// Tip height.
        height: u32,
        /// Seed of this chain's own headers.
        seed: u64,
        /// Where this chain branches off another one.
        #[serde(default)]
        fork: Option<ForkSpec>,
    },
    /// Real headers from a file of raw 80-byte headers back to back (the format of
    /// `../shared/data/headers/*.bin`), checked against its SHA-256 before use: genesis first,
    /// or the header at `first_height` first for a file from the middle of the chain.
    File {
        /// The chain the headers belong to.
        network: FileNetwork,
        /// The file; a relative path is taken from the working directory (the repository
        /// root for `sim suite` and the tests).
        path: String,
        /// The file's SHA-256 in hex, as `../shared/data/SHA256SUMS` lists it.
        sha256: String,
        /// Last height served (default: the file's last header).
        #[serde(default)]
        height_max: Option<u32>,
        /// Height of the file's first header (default 0: genesis first). Above 0, the first
        /// header's parent is the chain's base: a fake peer treats its hash as known at
        /// `first_height - 1`, like a node started from that trusted header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_height: Option<u32>,
    },
    /// Real headers from several files of raw 80-byte headers, read in order and joined into
    /// one chain whose first header sits at `first_height` (for example a main chain up to
    /// some height, then a stale header on top of it).
    HeaderFiles {
        /// The chain the headers belong to.
        network: FileNetwork,
        /// Height of the first file's first header (default 0: genesis first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_height: Option<u32>,
        /// The files, in chain order (`count` takes only the first headers of one).
        files: Vec<BlockFileSpec>,
    },
    /// Real blocks' headers from block files (records of network magic, `u32` little-endian
    /// length and a serialized block, the format of `../shared/data/blocks/`), the files read
    /// in order and their headers joined into one chain from genesis.
    BlockFiles {
        /// The chain the blocks belong to.
        network: FileNetwork,
        /// The files, in chain order.
        files: Vec<BlockFileSpec>,
    },
}

/// One file of a [`ChainSpec::BlockFiles`] or [`ChainSpec::HeaderFiles`] chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockFileSpec {
    /// The file; a relative path is taken from the working directory.
    pub path: String,
    /// Its SHA-256 in hex, as `../shared/data/SHA256SUMS` lists it.
    pub sha256: String,
    /// Take only the first `count` blocks (or headers) of it (default: all).
    #[serde(default)]
    pub count: Option<usize>,
}

/// Networks a [`ChainSpec::File`] can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileNetwork {
    /// Bitcoin mainnet.
    Mainnet,
    /// testnet3.
    Testnet,
    /// Signet (the default signet challenge).
    Signet,
    /// Regtest.
    Regtest,
}

impl FileNetwork {
    /// The rust-bitcoin network.
    pub fn network(self) -> Network {
        match self {
            FileNetwork::Mainnet => Network::Bitcoin,
            FileNetwork::Testnet => Network::Testnet,
            FileNetwork::Signet => Network::Signet,
            FileNetwork::Regtest => Network::Regtest,
        }
    }
}

/// The shared part of a forked regtest chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkSpec {
    /// Seed of the chain branched from.
    pub seed: u64,
    /// Last height shared with it.
    pub height: u32,
}

/// Regtest chains mined on this thread lately, newest last: a generated scenario's chains
/// are built when it is generated (for its duration), again when it runs, and peers often
/// share one. Mining is pure, so a cached chain is the same chain.
const MINED_CACHE_LEN: usize = 8;
/// Chains longer than this are mined afresh each time rather than kept (the 900,000-header
/// benchmark chain would otherwise stay in memory).
const MINED_CACHE_HEADERS_MAX: u32 = 50_000;

/// A mined chain's key: its height, seed and fork.
type MinedKey = (u32, u64, Option<ForkSpec>);

thread_local! {
    static MINED: std::cell::RefCell<Vec<(MinedKey, Vec<Header>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The regtest chain of `height` headers above genesis mined from `seed`, after `fork`'s
/// shared prefix if any (its height already checked to be at most `height`).
fn mined_regtest(height: u32, seed: u64, fork: Option<&ForkSpec>) -> Vec<Header> {
    let key = (height, seed, fork.cloned());
    if let Some(chain) = MINED.with(|cache| {
        cache
            .borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, chain)| chain.clone())
    }) {
        return chain;
    }
    let mut chain = vec![bitcoin::constants::genesis_block(Network::Regtest).header];
    if let Some(fork) = fork {
        extend_regtest(&mut chain, fork.height, fork.seed);
    }
    extend_regtest(&mut chain, height, seed);
    if height <= MINED_CACHE_HEADERS_MAX {
        MINED.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() == MINED_CACHE_LEN {
                cache.remove(0);
            }
            cache.push((key, chain.clone()));
        });
    }
    chain
}

impl ChainSpec {
    /// The network whose rules the chain follows.
    pub fn network(&self) -> Network {
        match self {
            ChainSpec::Mainnet { .. } => Network::Bitcoin,
            ChainSpec::Regtest { .. } => Network::Regtest,
            ChainSpec::File { network, .. }
            | ChainSpec::HeaderFiles { network, .. }
            | ChainSpec::BlockFiles { network, .. } => network.network(),
        }
    }

    /// Height of the first header [`ChainSpec::build`] returns: 0 (genesis) unless a file
    /// chain says otherwise.
    pub fn first_height(&self) -> u32 {
        match self {
            ChainSpec::File { first_height, .. } | ChainSpec::HeaderFiles { first_height, .. } => {
                first_height.unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Builds the chain: index `i` holds the header at height [`ChainSpec::first_height`]` + i`
    /// (genesis first unless a file chain starts higher).
    ///
    /// # Errors
    /// A corrupt mainnet fixture, a mainnet height above 1111, a fork above the chain's tip, or
    /// a header file that is missing, has another SHA-256, is not whole 80-byte headers, does
    /// not start at the network's genesis (for a chain from height 0), or does not link.
    pub fn build(&self) -> Result<Vec<Header>, SimError> {
        match self {
            ChainSpec::Mainnet { height_max } => {
                let mut chain = mainnet_0_1111()?;
                let last = height_max.unwrap_or(1111);
                if last > 1111 {
                    return Err(SimError::Fixture(format!(
                        "mainnet fixture ends at 1111, asked for {last}"
                    )));
                }
                chain.truncate(last as usize + 1);
                Ok(chain)
            }
            ChainSpec::Regtest { height, seed, fork } => {
                if let Some(fork) = fork {
                    if fork.height > *height {
                        return Err(SimError::Fixture(format!(
                            "fork height {} is above the chain's height {height}",
                            fork.height
                        )));
                    }
                }
                Ok(mined_regtest(*height, *seed, fork.as_ref()))
            }
            ChainSpec::File {
                network,
                path,
                sha256,
                height_max,
                first_height,
            } => {
                let first = first_height.unwrap_or(0);
                let mut chain = headers_from_file_at(path, sha256, network.network(), first)?;
                if let Some(last) = height_max {
                    let end = u64::from(first) + chain.len() as u64 - 1;
                    if *last < first || u64::from(*last) > end {
                        return Err(SimError::Fixture(format!(
                            "{path} holds heights {first}..={end}, asked for {last}"
                        )));
                    }
                    chain.truncate((*last - first) as usize + 1);
                }
                Ok(chain)
            }
            ChainSpec::HeaderFiles {
                network,
                first_height,
                files,
            } => {
                let mut chain = Vec::new();
                for file in files {
                    let mut headers = raw_headers(&file.path, &file.sha256)?;
                    if let Some(count) = file.count {
                        headers.truncate(count);
                    }
                    chain.extend(headers);
                }
                let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                check_chain_at(
                    &names.join(" + "),
                    &chain,
                    network.network(),
                    first_height.unwrap_or(0),
                )?;
                Ok(chain)
            }
            ChainSpec::BlockFiles { network, files } => {
                let mut chain = Vec::new();
                for file in files {
                    let mut headers =
                        headers_from_block_file(&file.path, &file.sha256, network.network())?;
                    if let Some(count) = file.count {
                        headers.truncate(count);
                    }
                    chain.extend(headers);
                }
                let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                check_chain(&names.join(" + "), &chain, network.network())?;
                Ok(chain)
            }
        }
    }
}

impl ChainSpec {
    /// The whole blocks of a [`ChainSpec::Regtest`] chain, genesis first, index `i` at height
    /// `i`: each mined header with its [`regtest_coinbase`], which a real regtest bitcoind
    /// accepts. `None` for the other chains (their blocks are not carried).
    ///
    /// # Errors
    /// As [`ChainSpec::build`].
    pub fn regtest_blocks(&self) -> Result<Option<Vec<Block>>, SimError> {
        let ChainSpec::Regtest { seed, fork, .. } = self else {
            return Ok(None);
        };
        let headers = self.build()?;
        let mut blocks = Vec::with_capacity(headers.len());
        blocks.push(bitcoin::constants::genesis_block(Network::Regtest));
        for (index, header) in headers.iter().enumerate().skip(1) {
            let height = u32::try_from(index).expect("a regtest chain is shorter than 2^32");
            let seed = match fork {
                Some(fork) if height <= fork.height => fork.seed,
                _ => *seed,
            };
            let block = regtest_block(*header, height, seed).ok_or_else(|| {
                SimError::Fixture(format!(
                    "regtest header {height} of seed {seed} does not commit to its coinbase"
                ))
            })?;
            blocks.push(block);
        }
        Ok(Some(blocks))
    }
}

/// Reads `path` and checks its SHA-256 against `sha256_hex`.
pub(crate) fn read_checked(path: &str, sha256_hex: &str) -> Result<Vec<u8>, SimError> {
    let bytes = std::fs::read(path).map_err(|e| {
        SimError::Fixture(format!(
            "{path}: {e} (the real header sets live in ../shared/data beside the repository)"
        ))
    })?;
    let digest = sha256::Hash::hash(&bytes).to_string();
    if digest != sha256_hex.to_ascii_lowercase() {
        return Err(SimError::Fixture(format!(
            "{path} has SHA-256 {digest}, expected {sha256_hex}"
        )));
    }
    Ok(bytes)
}

/// Checks that `chain` starts at `network`'s genesis and that every header links to the one
/// before; `what` names the source in errors.
fn check_chain(what: &str, chain: &[Header], network: Network) -> Result<(), SimError> {
    check_chain_at(what, chain, network, 0)
}

/// [`check_chain`] for a chain whose first header sits at `first_height`: genesis is required
/// only for a chain from 0; errors name heights.
fn check_chain_at(
    what: &str,
    chain: &[Header],
    network: Network,
    first_height: u32,
) -> Result<(), SimError> {
    if chain.is_empty() {
        return Err(SimError::Fixture(format!("{what}: no headers")));
    }
    let genesis = bitcoin::constants::genesis_block(network).header;
    if first_height == 0 && chain[0] != genesis {
        return Err(SimError::Fixture(format!(
            "{what}: header 0 is not {network:?}'s genesis"
        )));
    }
    for (offset, pair) in chain.windows(2).enumerate() {
        if pair[1].prev_blockhash != pair[0].block_hash() {
            let height = u64::from(first_height) + offset as u64;
            return Err(SimError::Fixture(format!(
                "{what}: header {} does not follow header {height}",
                height + 1
            )));
        }
    }
    Ok(())
}

/// The headers of the blocks in a block file (records of magic, `u32` little-endian length,
/// serialized block), each block decoded whole by rust-bitcoin, after checking the file's
/// SHA-256 and every record's magic.
///
/// # Errors
/// [`SimError::Fixture`] naming the file, the record and what is wrong.
pub fn headers_from_block_file(
    path: &str,
    sha256_hex: &str,
    network: Network,
) -> Result<Vec<Header>, SimError> {
    let bytes = read_checked(path, sha256_hex)?;
    let magic = bitcoin::p2p::Magic::from(network).to_bytes();
    let mut headers = Vec::new();
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let record = headers.len();
        if rest.len() < 8 || rest[..4] != magic {
            return Err(SimError::Fixture(format!(
                "{path}: record {record} does not start with {network:?}'s magic"
            )));
        }
        let length = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let Some(block_bytes) = rest.get(8..8 + length) else {
            return Err(SimError::Fixture(format!(
                "{path}: record {record} announces {length} bytes past the end"
            )));
        };
        let block: bitcoin::Block = deserialize(block_bytes).map_err(|e| {
            SimError::Fixture(format!("{path}: record {record} is not a block: {e}"))
        })?;
        headers.push(block.header);
        rest = &rest[8 + length..];
    }
    Ok(headers)
}

/// Reads raw 80-byte headers, genesis first, after checking the file's SHA-256; checks that
/// header 0 is `network`'s genesis and that every header links to the one before.
///
/// # Errors
/// [`SimError::Fixture`] naming the file and what is wrong.
pub fn headers_from_file(
    path: &str,
    sha256_hex: &str,
    network: Network,
) -> Result<Vec<Header>, SimError> {
    headers_from_file_at(path, sha256_hex, network, 0)
}

/// [`headers_from_file`] for a file whose first header sits at `first_height` (genesis is
/// required only when it is 0).
///
/// # Errors
/// [`SimError::Fixture`] naming the file and what is wrong.
pub fn headers_from_file_at(
    path: &str,
    sha256_hex: &str,
    network: Network,
    first_height: u32,
) -> Result<Vec<Header>, SimError> {
    let chain = raw_headers(path, sha256_hex)?;
    check_chain_at(path, &chain, network, first_height)?;
    Ok(chain)
}

/// The raw 80-byte headers of `path`, after checking its SHA-256 (no linkage check).
fn raw_headers(path: &str, sha256_hex: &str) -> Result<Vec<Header>, SimError> {
    let bytes = read_checked(path, sha256_hex)?;
    if bytes.is_empty() || bytes.len() % 80 != 0 {
        return Err(SimError::Fixture(format!(
            "{path}: {} bytes is not a whole number of 80-byte headers",
            bytes.len()
        )));
    }
    bytes
        .chunks(80)
        .enumerate()
        .map(|(index, raw)| {
            deserialize(raw).map_err(|e| SimError::Fixture(format!("{path}: header {index}: {e}")))
        })
        .collect()
}

/// Mainnet genesis plus the carried headers 1..=1111, after checking the file's SHA-256 and
/// that header 1 follows genesis.
///
/// # Errors
/// [`SimError::Fixture`] if the bytes are not the published file.
pub fn mainnet_0_1111() -> Result<Vec<Header>, SimError> {
    let digest = sha256::Hash::hash(MAINNET_1_1111).to_string();
    if digest != MAINNET_1_1111_SHA256 {
        return Err(SimError::Fixture(format!(
            "sim/fixtures/mainnet_1-1111.bin has SHA-256 {digest}, expected {MAINNET_1_1111_SHA256}"
        )));
    }
    let mut chain = vec![bitcoin::constants::genesis_block(Network::Bitcoin).header];
    for (index, bytes) in MAINNET_1_1111.chunks(80).enumerate() {
        let header: Header = deserialize(bytes)
            .map_err(|e| SimError::Fixture(format!("mainnet fixture header {}: {e}", index + 1)))?;
        chain.push(header);
    }
    if chain[1].prev_blockhash != chain[0].block_hash() {
        return Err(SimError::Fixture(
            "mainnet fixture header 1 does not follow genesis".into(),
        ));
    }
    Ok(chain)
}

/// The coinbase transaction of the mined regtest block at `height` of the chain mined from
/// `seed`, the block's only transaction: its `scriptSig` pushes the height first (BIP 34, which
/// regtest enforces from height 1) and then the seed's eight little-endian bytes, so chains
/// of different seeds differ; its one output pays nothing to `OP_RETURN`, so no coin is ever
/// created and a coinbase repeated on another branch never meets BIP 30.
pub fn regtest_coinbase(height: u32, seed: u64) -> Transaction {
    let script_sig = bitcoin::script::Builder::new()
        .push_int(i64::from(height))
        .push_slice(seed.to_le_bytes())
        .into_script();
    Transaction {
        version: bitcoin::transaction::Version::ONE,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::new_op_return([]),
        }],
    }
}

/// The whole regtest block whose header `header` is, at `height` of the chain mined from
/// `seed`: the header and [`regtest_coinbase`]. `None` if `header`'s merkle root is not that
/// coinbase's (the header was not mined by [`extend_regtest`] from this seed and height).
pub fn regtest_block(header: Header, height: u32, seed: u64) -> Option<Block> {
    let coinbase = regtest_coinbase(height, seed);
    if header.merkle_root != TxMerkleNode::from_raw_hash(coinbase.compute_txid().to_raw_hash()) {
        return None;
    }
    Some(Block {
        header,
        txdata: vec![coinbase],
    })
}

/// Appends mined regtest headers to `chain` until its tip is at `height`. Each header is the
/// header of a real block: its merkle root is the txid of [`regtest_coinbase`]`(height, seed)`
/// (so different seeds give different branches, and [`regtest_block`] rebuilds the block), its
/// time is the parent's plus [`REGTEST_SPACING_S`], and its nonce is the first that meets the
/// regtest target.
pub fn extend_regtest(chain: &mut Vec<Header>, height: u32, seed: u64) {
    let bits = CompactTarget::from_consensus(REGTEST_BITS);
    let target = bitcoin::Target::from_compact(bits);
    while chain.len() <= height as usize {
        let parent = chain[chain.len() - 1];
        let next_height =
            u32::try_from(chain.len()).expect("a regtest chain is shorter than 2^32 headers");
        let coinbase = regtest_coinbase(next_height, seed);
        let merkle_root = TxMerkleNode::from_raw_hash(coinbase.compute_txid().to_raw_hash());
        let mut header = Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: parent.block_hash(),
            merkle_root,
            time: parent.time + REGTEST_SPACING_S,
            bits,
            nonce: 0,
        };
        while !target.is_met_by(header.block_hash()) {
            header.nonce += 1;
        }
        chain.push(header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_fixture_matches_its_published_digest_and_reaches_block_1111() {
        let chain = mainnet_0_1111().expect("fixture");
        assert_eq!(chain.len(), 1112);
        assert_eq!(
            chain[1].prev_blockhash,
            chain[0].block_hash(),
            "header 1 follows genesis"
        );
        for pair in chain.windows(2) {
            assert_eq!(pair[1].prev_blockhash, pair[0].block_hash());
        }
        assert_eq!(
            chain[1111].block_hash().to_string(),
            "00000000ca59764b4ff11d88ea67e641dba94a17520ebd10f1631b21a18d5805"
        );
    }

    #[test]
    fn regtest_chains_are_deterministic_and_forks_share_their_base() {
        let a = ChainSpec::Regtest {
            height: 50,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let again = ChainSpec::Regtest {
            height: 50,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        assert_eq!(a, again);
        let b = ChainSpec::Regtest {
            height: 60,
            seed: 2,
            fork: Some(ForkSpec {
                seed: 1,
                height: 40,
            }),
        }
        .build()
        .unwrap();
        assert_eq!(a[..=40], b[..=40]);
        assert_ne!(a[41], b[41]);
        let target = bitcoin::Target::from_compact(CompactTarget::from_consensus(REGTEST_BITS));
        for pair in b.windows(2) {
            assert_eq!(pair[1].prev_blockhash, pair[0].block_hash());
            assert!(target.is_met_by(pair[1].block_hash()));
        }
    }

    #[test]
    fn regtest_headers_are_the_headers_of_whole_blocks_on_both_sides_of_a_fork() {
        let spec = ChainSpec::Regtest {
            height: 30,
            seed: 8,
            fork: Some(ForkSpec {
                seed: 7,
                height: 12,
            }),
        };
        let headers = spec.build().unwrap();
        let blocks = spec
            .regtest_blocks()
            .unwrap()
            .expect("a regtest chain has blocks");
        assert_eq!(blocks.len(), headers.len());
        for (height, (block, header)) in blocks.iter().zip(&headers).enumerate() {
            assert_eq!(
                block.header, *header,
                "block {height} carries the chain's header"
            );
            assert!(block.check_merkle_root(), "block {height}'s merkle root");
            if height > 0 {
                assert_eq!(block.txdata.len(), 1);
                // BIP 34 as Core checks it (`CScript() << nHeight`: OP_1..OP_16 up to 16).
                let expect = bitcoin::script::Builder::new()
                    .push_int(height as i64)
                    .into_script();
                let script_sig = block.txdata[0].input[0].script_sig.as_bytes();
                assert!(
                    script_sig.starts_with(expect.as_bytes()),
                    "block {height}: BIP 34"
                );
                if height > 16 {
                    assert_eq!(block.bip34_block_height().ok(), Some(height as u64));
                }
            }
        }
        let base = ChainSpec::Regtest {
            height: 12,
            seed: 7,
            fork: None,
        };
        let base_blocks = base.regtest_blocks().unwrap().unwrap();
        assert_eq!(
            blocks[..=12],
            base_blocks[..],
            "the shared part is the same blocks"
        );
        assert_ne!(
            blocks[13].txdata[0].compute_txid(),
            regtest_coinbase(13, 7).compute_txid(),
            "above the fork the coinbase commits to the fork's own seed"
        );
        assert!(regtest_block(headers[13], 13, 7).is_none());
        let mainnet = ChainSpec::Mainnet {
            height_max: Some(3),
        };
        assert!(mainnet.regtest_blocks().unwrap().is_none());
    }

    #[test]
    fn a_header_file_is_checked_before_use() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("regtest.bin");
        let chain = ChainSpec::Regtest {
            height: 3,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let bytes: Vec<u8> = chain
            .iter()
            .flat_map(bitcoin::consensus::serialize)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let digest = sha256::Hash::hash(&bytes).to_string();
        let spec = |sha256: &str, network: FileNetwork, height_max: Option<u32>| ChainSpec::File {
            network,
            path: path.display().to_string(),
            sha256: sha256.to_string(),
            height_max,
            first_height: None,
        };
        assert_eq!(
            spec(&digest, FileNetwork::Regtest, None).build().unwrap(),
            chain
        );
        assert_eq!(
            spec(&digest, FileNetwork::Regtest, Some(2))
                .build()
                .unwrap(),
            chain[..=2]
        );
        let error = |spec: ChainSpec| spec.build().expect_err("a bad file").to_string();
        assert!(error(spec(&"0".repeat(64), FileNetwork::Regtest, None))
            .contains(&format!("has SHA-256 {digest}")));
        assert!(error(spec(&digest, FileNetwork::Signet, None)).contains("is not Signet's genesis"));
        assert!(error(spec(&digest, FileNetwork::Regtest, Some(4)))
            .contains("holds heights 0..=3, asked for 4"));
        std::fs::write(&path, &bytes[..100]).unwrap();
        let short = sha256::Hash::hash(&bytes[..100]).to_string();
        assert!(error(spec(&short, FileNetwork::Regtest, None))
            .contains("not a whole number of 80-byte headers"));
        let missing = ChainSpec::File {
            network: FileNetwork::Regtest,
            path: "no/such.bin".into(),
            sha256: digest,
            height_max: None,
            first_height: None,
        };
        assert!(error(missing).contains("no/such.bin"));
    }

    #[test]
    fn a_file_from_the_middle_of_the_chain_starts_at_its_first_height() {
        let dir = tempfile::tempdir().expect("temp dir");
        let chain = ChainSpec::Regtest {
            height: 10,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let write = |name: &str, headers: &[Header]| {
            let bytes: Vec<u8> = headers
                .iter()
                .flat_map(bitcoin::consensus::serialize)
                .collect();
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            BlockFileSpec {
                path: path.display().to_string(),
                sha256: sha256::Hash::hash(&bytes).to_string(),
                count: None,
            }
        };
        let middle = write("middle.bin", &chain[4..]);
        let file = |height_max: Option<u32>| ChainSpec::File {
            network: FileNetwork::Regtest,
            path: middle.path.clone(),
            sha256: middle.sha256.clone(),
            height_max,
            first_height: Some(4),
        };
        assert_eq!(file(None).first_height(), 4);
        assert_eq!(file(None).build().unwrap(), chain[4..]);
        assert_eq!(file(Some(6)).build().unwrap(), chain[4..=6]);
        let error = file(Some(3))
            .build()
            .expect_err("below the first height")
            .to_string();
        assert!(
            error.contains("holds heights 4..=10, asked for 3"),
            "{error}"
        );
        // Without first_height the same file must start at genesis.
        let from_zero = ChainSpec::File {
            network: FileNetwork::Regtest,
            path: middle.path.clone(),
            sha256: middle.sha256.clone(),
            height_max: None,
            first_height: None,
        };
        assert!(from_zero
            .build()
            .expect_err("no genesis")
            .to_string()
            .contains("is not Regtest's genesis"));

        // Several files joined, with a count, and a broken join reported by height.
        let head = write("head.bin", &chain[4..]);
        let side = ChainSpec::Regtest {
            height: 8,
            seed: 2,
            fork: Some(ForkSpec { seed: 1, height: 7 }),
        }
        .build()
        .unwrap();
        let tip = write("tip.bin", &side[8..]);
        let joined = |count: usize| ChainSpec::HeaderFiles {
            network: FileNetwork::Regtest,
            first_height: Some(4),
            files: vec![
                BlockFileSpec {
                    count: Some(count),
                    ..head.clone()
                },
                tip.clone(),
            ],
        };
        let mut expected = chain[4..=7].to_vec();
        expected.push(side[8]);
        assert_eq!(joined(4).first_height(), 4);
        assert_eq!(joined(4).build().unwrap(), expected);
        let error = joined(3).build().expect_err("a gap").to_string();
        assert!(
            error.contains("header 7 does not follow header 6"),
            "{error}"
        );
    }

    #[test]
    fn a_block_file_gives_its_blocks_headers_and_reports_bad_records() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("blocks.dat");
        let genesis = bitcoin::constants::genesis_block(Network::Regtest);
        let block = bitcoin::consensus::serialize(&genesis);
        let mut record = bitcoin::p2p::Magic::REGTEST.to_bytes().to_vec();
        record.extend((block.len() as u32).to_le_bytes());
        record.extend(&block);
        let write = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            sha256::Hash::hash(bytes).to_string()
        };
        let name = path.display().to_string();
        let digest = write(&record);
        assert_eq!(
            headers_from_block_file(&name, &digest, Network::Regtest).unwrap(),
            vec![genesis.header]
        );
        let error = |digest: &str, network| {
            headers_from_block_file(&name, digest, network)
                .expect_err("bad")
                .to_string()
        };
        assert!(error(&digest, Network::Bitcoin)
            .contains("record 0 does not start with Bitcoin's magic"));
        let digest = write(&record[..record.len() - 1]);
        assert!(error(&digest, Network::Regtest).contains("past the end"));
    }
}

//! Bitcoin Core's header acceptance through `libbitcoinkernel` (crate `bitcoinkernel` 0.3.2).
//!
//! [`CoreHeaders`] owns a fresh `ChainstateManager` for one network, in its own temporary
//! folder (the kernel deletes and recreates the folder it is given, so it never gets one that
//! exists for anything else), with its block index and chainstate in memory. Each header goes
//! through `ChainstateManager::process_block_header`, which is Core's
//! `ChainstateManager::ProcessNewBlockHeaders` (`validation.cpp`) on a one-header span with
//! `min_pow_checked = true`: `AcceptBlockHeader`, `CheckBlockHeader` and
//! `ContextualCheckBlockHeader` exactly as a node runs them on a `headers` message, with the
//! real clock for the two-hour future limit.
//!
//! The kernel's answer is a `BlockValidationState` whose mode and `BlockValidationResult` the
//! crate exposes; the reject reason string is not exposed. Core writes it to its `validation`
//! debug log (`AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: <hash>, <reason>,
//! <debug message>` and the like), so a process-wide log sink (one `Logger` for the process,
//! since the kernel's logger is global) keeps the latest reason per block hash and
//! [`CoreHeaders::process`] takes it from there.

use std::collections::BTreeMap;
use std::sync::{Mutex, Once};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network};
use bitcoinkernel::prelude::*;
use bitcoinkernel::{
    BlockHeader, BlockValidationResult, ChainType, ChainstateManager, Context, ContextBuilder,
    KernelError, Log, LogCategory, LogLevel, Logger, ProcessBlockHeaderResult,
};

use crate::verdict::{reason_class, BlockResult, Verdict};

/// Why the kernel could not be set up or asked.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// The kernel reported an error (context, chainstate manager, header parsing, or an
    /// exception inside `process_block_header`).
    #[error("bitcoinkernel: {0}")]
    Kernel(#[from] KernelError),
    /// The temporary data folder could not be created.
    #[error("temporary folder for the kernel: {0}")]
    TempDir(#[from] std::io::Error),
    /// A network the kernel has no chain type for (`bitcoin::Network` is non-exhaustive).
    #[error("no kernel chain type for network {0}")]
    UnsupportedNetwork(Network),
}

/// Reject reasons from the kernel's validation log, by block hash (display hex).
static REASONS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
static LOGGER: Once = Once::new();

/// Reads Core's log lines that name a rejected header and its reason.
struct ReasonSink;

impl Log for ReasonSink {
    fn log(&self, message: &str) {
        if let Some((hash, reason)) = parse_reject_line(message) {
            REASONS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(hash, reason);
        }
    }
}

/// The block hash and reject reason of one of Core's `validation` debug lines for a rejected
/// header (`validation.cpp AcceptBlockHeader`), or `None` for any other line:
///
/// - `AcceptBlockHeader: Consensus::CheckBlockHeader: <hash>, <reason>, <debug>`
/// - `AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: <hash>, <reason>, <debug>`
/// - `header <hash> has prev block not found: <prev>` (reason `prev-blk-not-found`)
/// - `header <hash> has prev block invalid: <prev>` (reason `bad-prevblk`)
/// - `AcceptBlockHeader: block <hash> is marked invalid` (reason `duplicate-invalid`)
fn parse_reject_line(line: &str) -> Option<(String, String)> {
    let line = line.trim_end();
    for marker in [
        "Consensus::CheckBlockHeader: ",
        "Consensus::ContextualCheckBlockHeader: ",
    ] {
        if let Some((_, rest)) = line.split_once(marker) {
            let mut parts = rest.splitn(3, ", ");
            let hash = parts.next()?;
            let reason = parts.next()?;
            return Some((hash.to_owned(), reason.to_owned()));
        }
    }
    let word_after = |marker: &str| {
        line.split_once(marker)
            .and_then(|(_, rest)| rest.split(' ').next())
    };
    for (suffix, reason) in [
        (" has prev block not found: ", "prev-blk-not-found"),
        (" has prev block invalid: ", "bad-prevblk"),
    ] {
        if line.contains(suffix) {
            return Some((word_after("header ")?.to_owned(), reason.to_owned()));
        }
    }
    if line.ends_with(" is marked invalid") {
        return Some((
            word_after("AcceptBlockHeader: block ")?.to_owned(),
            "duplicate-invalid".to_owned(),
        ));
    }
    None
}

/// Installs the process-wide log sink once, with the `validation` category at debug level.
fn install_reason_sink() -> Result<(), OracleError> {
    let mut result = Ok(());
    LOGGER.call_once(|| match Logger::new(ReasonSink) {
        Ok(logger) => {
            logger.set_level_category(LogCategory::Validation, LogLevel::Debug);
            logger.enable_category(LogCategory::Validation);
            // The connection lives as long as the process: the kernel's logger is global.
            std::mem::forget(logger);
        }
        Err(error) => result = Err(OracleError::Kernel(error)),
    });
    result
}

/// The kernel's chain type for a network.
///
/// # Errors
///
/// [`OracleError::UnsupportedNetwork`] for a network rust-bitcoin may add.
pub fn chain_type(network: Network) -> Result<ChainType, OracleError> {
    match network {
        Network::Bitcoin => Ok(ChainType::Mainnet),
        Network::Testnet => Ok(ChainType::Testnet),
        Network::Testnet4 => Ok(ChainType::Testnet4),
        Network::Signet => Ok(ChainType::Signet),
        Network::Regtest => Ok(ChainType::Regtest),
        #[allow(unreachable_patterns)] // `Network` is non-exhaustive
        other => Err(OracleError::UnsupportedNetwork(other)),
    }
}

/// Core's header validation for one network, from genesis (the only start the kernel knows:
/// it needs every header from genesis, so a mid-chain set cannot be given to it).
pub struct CoreHeaders {
    // Dropped in this order: the chainstate manager before its context, both before the folder.
    chainman: ChainstateManager,
    _context: Context,
    _dir: tempfile::TempDir,
}

impl CoreHeaders {
    /// A chainstate manager for `network` holding only its genesis block, in a new temporary
    /// folder (removed on drop), with the block index and chainstate in memory.
    ///
    /// # Errors
    ///
    /// [`OracleError`] if the folder, the log sink, the context or the chainstate manager
    /// cannot be created.
    pub fn new(network: Network) -> Result<Self, OracleError> {
        install_reason_sink()?;
        let dir = tempfile::TempDir::new()?;
        let data_dir = dir.path().join("data");
        let blocks_dir = dir.path().join("blocks");
        let context = ContextBuilder::new()
            .chain_type(chain_type(network)?)
            .build()?;
        let chainman = ChainstateManager::builder(
            &context,
            &data_dir.to_string_lossy(),
            &blocks_dir.to_string_lossy(),
        )?
        .block_tree_db_in_memory(true)
        .chainstate_db_in_memory(true)
        .worker_threads(0)
        .build()?;
        Ok(CoreHeaders {
            chainman,
            _context: context,
            _dir: dir,
        })
    }

    /// Core's verdict on `header`: `process_block_header`'s mode and result, and the reason
    /// from the validation log.
    ///
    /// # Errors
    ///
    /// [`OracleError::Kernel`] if the header cannot be handed over or the kernel reports an
    /// internal error.
    pub fn process(&self, header: &Header) -> Result<Verdict, OracleError> {
        let raw = bitcoin::consensus::serialize(header);
        let kernel_header = BlockHeader::new(&raw)?;
        let hash = header.block_hash().to_string();
        match self.chainman.process_block_header(&kernel_header)? {
            ProcessBlockHeaderResult::Valid => Ok(Verdict::Accepted),
            ProcessBlockHeaderResult::Invalid(state) => {
                let reason = REASONS
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&hash);
                Ok(Verdict::Rejected {
                    result: Some(block_result(state.result())),
                    reason: reason.map(|r| reason_class(&r).to_owned()),
                })
            }
        }
    }

    /// Core's `ProcessNewBlock` on a whole `block` (`AcceptBlock`, then `ActivateBestChain`:
    /// a valid block on the most-work chain is connected). `true` if the kernel accepted it.
    ///
    /// # Errors
    ///
    /// [`OracleError::Kernel`] if the block cannot be handed over.
    pub fn process_block(&self, block: &bitcoin::Block) -> Result<bool, OracleError> {
        let raw = bitcoin::consensus::serialize(block);
        let kernel_block = bitcoinkernel::Block::new(&raw)?;
        Ok(!matches!(
            self.chainman.process_block(&kernel_block),
            bitcoinkernel::ProcessBlockResult::Rejected
        ))
    }

    /// The tip of Core's active chain (the blocks it has connected): hash and height.
    pub fn active_tip(&self) -> (BlockHash, i32) {
        let chain = self.chainman.active_chain();
        let tip = chain.tip();
        (
            BlockHash::from_byte_array(tip.block_hash().to_bytes()),
            tip.height(),
        )
    }

    /// The header with the most chainwork Core knows (`ChainstateManager::m_best_header`).
    pub fn best_header(&self) -> Option<(BlockHash, i32)> {
        let entry = self.chainman.best_entry()?;
        let bytes = entry.block_hash().to_bytes();
        Some((BlockHash::from_byte_array(bytes), entry.height()))
    }
}

/// The kernel's `BlockValidationResult` as this crate's [`BlockResult`].
fn block_result(result: BlockValidationResult) -> BlockResult {
    match result {
        BlockValidationResult::Unset => BlockResult::Unset,
        BlockValidationResult::Consensus => BlockResult::Consensus,
        BlockValidationResult::CachedInvalid => BlockResult::CachedInvalid,
        BlockValidationResult::InvalidHeader => BlockResult::InvalidHeader,
        BlockValidationResult::Mutated => BlockResult::Mutated,
        BlockValidationResult::MissingPrev => BlockResult::MissingPrev,
        BlockValidationResult::InvalidPrev => BlockResult::InvalidPrev,
        BlockValidationResult::TimeFuture => BlockResult::TimeFuture,
        BlockValidationResult::HeaderLowWork => BlockResult::HeaderLowWork,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_lines_give_the_hash_and_reason() {
        let hash = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
        let line = format!("2026-01-01T00:00:00Z [validation] AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: {hash}, bad-version(0x00000001), rejected nVersion=0x00000001 block\n");
        assert_eq!(
            parse_reject_line(&line),
            Some((hash.to_owned(), "bad-version(0x00000001)".to_owned()))
        );
        let line = format!("[validation] AcceptBlockHeader: Consensus::CheckBlockHeader: {hash}, high-hash, proof of work failed");
        assert_eq!(
            parse_reject_line(&line),
            Some((hash.to_owned(), "high-hash".to_owned()))
        );
        let line = format!("[validation] header {hash} has prev block not found: 00ff");
        assert_eq!(
            parse_reject_line(&line),
            Some((hash.to_owned(), "prev-blk-not-found".to_owned()))
        );
        let line = format!("[validation] AcceptBlockHeader: block {hash} is marked invalid");
        assert_eq!(
            parse_reject_line(&line),
            Some((hash.to_owned(), "duplicate-invalid".to_owned()))
        );
        assert_eq!(
            parse_reject_line("Synchronizing blockheaders, height: 5 (~0.01%)"),
            None
        );
    }
}

//! What the chain hands back: the outcome of one `headers` message ([`Import`]) and the change
//! of the best chain to persist ([`ChainUpdate`]).

use bitcoin::block::Header;
use bitcoin::BlockHash;

use super::error::HeaderError;

/// A change of the best chain, to be persisted in one store transaction.
///
/// Rows with `height >= start_height` are replaced by `headers`, the first of which sits at
/// `start_height`. An extension of the tip has `start_height = old_tip_height + 1`; a reorg
/// starts just above the fork point.
///
/// Each header travels with its hash, computed once when the header was accepted, so that the
/// store does not hash it again. The fields are private to keep the two in step: build one
/// with [`ChainUpdate::new`], which hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainUpdate {
    start_height: u32,
    headers: Vec<Header>,
    hashes: Vec<BlockHash>,
}

impl ChainUpdate {
    /// The update that puts `headers` at `start_height` upwards; hashes each header.
    pub fn new(start_height: u32, headers: Vec<Header>) -> ChainUpdate {
        let hashes = headers.iter().map(Header::block_hash).collect();
        ChainUpdate {
            start_height,
            headers,
            hashes,
        }
    }

    /// From `(hash, header)` pairs whose hashes the caller computed from those headers.
    pub(super) fn from_hashed(start_height: u32, rows: Vec<(BlockHash, Header)>) -> ChainUpdate {
        let (hashes, headers) = rows.into_iter().unzip();
        ChainUpdate {
            start_height,
            headers,
            hashes,
        }
    }

    /// Height of `headers()[0]`.
    pub fn start_height(&self) -> u32 {
        self.start_height
    }

    /// The new best-chain headers from `start_height()` upwards, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// `hashes()[i]` is `headers()[i].block_hash()`.
    pub fn hashes(&self) -> &[BlockHash] {
        &self.hashes
    }
}

/// The outcome of [`HeaderChain::accept_headers`] for one `headers` message.
///
/// [`HeaderChain::accept_headers`]: super::HeaderChain::accept_headers
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// Headers added to the index by this call. Headers that were already known are skipped
    /// and not counted.
    pub accepted: usize,
    /// The first failure, if any. Processing stopped there; headers before it that passed stay
    /// accepted, except after a whole-message failure ([`HeaderError::HighHash`] from the
    /// pre-check, [`HeaderError::NonContinuous`]) where nothing was added.
    pub error: Option<HeaderError>,
    /// `Some` if and only if the best chain changed: the rows to persist.
    pub update: Option<ChainUpdate>,
    /// How many headers of the old best chain were replaced (old tip height minus fork
    /// height); 0 for a plain extension or when the best chain did not change.
    pub reorg_depth: u32,
}

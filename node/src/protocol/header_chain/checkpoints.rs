//! btcd's checkpoints (`chaincfg.Params.Checkpoints`, `blockchain/validate.go`
//! `checkBlockHeaderContext`): a header at a checkpoint height must be the checkpointed one,
//! and nothing may fork from the best chain below its latest checkpoint. Bitcoin Core removed
//! checkpoints (#31649), so the Core profile sets none and this never refuses anything.

use std::collections::BTreeMap;

use bitcoin::BlockHash;

use super::error::HeaderError;

/// Checkpointed hashes by height; empty unless set (btcd profile only).
#[derive(Debug, Clone, Default)]
pub(super) struct Checkpoints(BTreeMap<u32, BlockHash>);

impl Checkpoints {
    /// The given `(height, hash)` checkpoints.
    pub(super) fn new(checkpoints: impl IntoIterator<Item = (u32, BlockHash)>) -> Checkpoints {
        Checkpoints(checkpoints.into_iter().collect())
    }

    /// Checks a header that would sit at `height` with `hash`; `best_hash_at(h)` is the best
    /// chain's hash at height `h` (`None` above its tip or below its base).
    ///
    /// # Errors
    /// [`HeaderError::BadCheckpoint`] for another header at a checkpoint height;
    /// [`HeaderError::ForkTooOld`] for a header below the latest checkpoint the best chain
    /// holds.
    pub(super) fn check(
        &self,
        height: u32,
        hash: BlockHash,
        best_hash_at: impl Fn(u32) -> Option<BlockHash>,
    ) -> Result<(), HeaderError> {
        if let Some(expected) = self.0.get(&height).filter(|expected| **expected != hash) {
            return Err(HeaderError::BadCheckpoint {
                height,
                hash,
                expected: *expected,
            });
        }
        // btcd `findPreviousCheckpoint`: the latest checkpoint our best chain holds.
        let passed = self
            .0
            .iter()
            .rev()
            .find(|(h, c)| best_hash_at(**h) == Some(**c));
        if let Some((&checkpoint_height, _)) = passed.filter(|(h, _)| height < **h) {
            return Err(HeaderError::ForkTooOld {
                height,
                hash,
                checkpoint_height,
            });
        }
        Ok(())
    }
}

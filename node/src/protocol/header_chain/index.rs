//! The block index: every known header (all branches) in an arena, each entry with its parent's
//! slot, and a hash map from block hash to slot keyed like Bitcoin Core's `BlockHasher`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

/// One known header with its position in its own branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// The 80-byte header as received.
    pub header: Header,
    /// Height on its own branch (genesis is 0).
    pub height: u32,
    /// Total work of the branch from genesis up to and including this header (Core
    /// `CBlockIndex::nChainWork`, expected number of hashes).
    pub chainwork: Work,
}

/// Hashes a [`BlockHash`] key by its first 8 bytes, like Bitcoin Core's `BlockHasher`
/// (`src/util/hasher.h`, `ReadLE64` of the hash): a block hash is already uniform, so no keyed
/// hashing is needed, and nothing random makes two runs differ. Length prefixes written before
/// the bytes are mixed in.
#[derive(Debug, Default, Clone, Copy)]
struct BlockHashHasher(u64);

impl Hasher for BlockHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
    }
}

/// Arena slot of an entry with no parent in the index (the base).
const NO_PARENT: u32 = u32::MAX;

/// Every known header: an arena of entries, each entry's parent slot, and a hash map from
/// block hash to slot. Entries are never removed (except all at once by `clear`).
#[derive(Debug, Clone, Default)]
pub(super) struct BlockIndex {
    slots: HashMap<BlockHash, u32, BuildHasherDefault<BlockHashHasher>>,
    entries: Vec<IndexEntry>,
    parents: Vec<u32>,
}

impl BlockIndex {
    pub(super) fn get(&self, hash: &BlockHash) -> Option<&IndexEntry> {
        self.slots
            .get(hash)
            .map(|slot| &self.entries[*slot as usize])
    }

    pub(super) fn contains_key(&self, hash: &BlockHash) -> bool {
        self.slots.contains_key(hash)
    }

    fn slot(&self, hash: &BlockHash) -> Option<u32> {
        self.slots.get(hash).copied()
    }

    /// Adds `entry` under `hash` (replacing an entry already there); its parent is looked up
    /// by `prev_blockhash`.
    pub(super) fn insert(&mut self, hash: BlockHash, entry: IndexEntry) {
        let parent = self.slot(&entry.header.prev_blockhash).unwrap_or(NO_PARENT);
        let next = u32::try_from(self.entries.len()).expect("fewer than 2^32 headers");
        let slot = *self.slots.entry(hash).or_insert(next) as usize;
        if slot == self.entries.len() {
            self.entries.push(entry);
            self.parents.push(parent);
        } else {
            self.entries[slot] = entry;
            self.parents[slot] = parent;
        }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.entries.clear();
        self.parents.clear();
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.entries.reserve(additional);
        self.parents.reserve(additional);
    }

    /// Fills `times` with the `time` of `hash` and of its ancestors, newest first, until
    /// `times` is full or the header at `base_height` is in; returns how many were filled.
    /// Follows the arena's parent slots, so no hash is looked up after the first.
    ///
    /// # Panics
    /// If `hash` is not indexed, or an ancestor above `base_height` is missing (our own
    /// invariants: callers pass indexed hashes, and every header above the base has its parent
    /// indexed).
    pub(super) fn times_back_from(
        &self,
        hash: &BlockHash,
        base_height: u32,
        times: &mut [u32],
    ) -> usize {
        let mut count = 0;
        let mut slot = self
            .slot(hash)
            .expect("hash taken from the index is indexed");
        loop {
            let entry = &self.entries[slot as usize];
            times[count] = entry.header.time;
            count += 1;
            if count == times.len() || entry.height == base_height {
                return count;
            }
            slot = self.parents[slot as usize];
            assert_ne!(
                slot, NO_PARENT,
                "every header above the base has its parent indexed"
            );
        }
    }
}

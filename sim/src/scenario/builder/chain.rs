//! Chains for [`super::PeerBuilder::new`] (`peers[].chain`).

use crate::scenario::chain::{ChainSpec, ForkSpec};

/// A regtest chain of `height` headers above genesis mined from `seed`.
pub fn regtest(height: u32, seed: u64) -> ChainSpec {
    ChainSpec::Regtest {
        height,
        seed,
        fork: None,
    }
}

/// A regtest chain of `height` headers mined from `seed` that shares the chain mined from
/// `fork_seed` up to `fork_height`.
pub fn regtest_fork(height: u32, seed: u64, fork_seed: u64, fork_height: u32) -> ChainSpec {
    ChainSpec::Regtest {
        height,
        seed,
        fork: Some(ForkSpec {
            seed: fork_seed,
            height: fork_height,
        }),
    }
}

/// Real mainnet headers 0..=1111 (carried in the repository).
pub fn mainnet() -> ChainSpec {
    ChainSpec::Mainnet { height_max: None }
}

/// Real mainnet headers from genesis up to `height_max` (at most 1111).
pub fn mainnet_to(height_max: u32) -> ChainSpec {
    ChainSpec::Mainnet {
        height_max: Some(height_max),
    }
}

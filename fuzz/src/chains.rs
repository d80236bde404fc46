//! The regtest chains the structured targets draw headers from, mined once per process with the
//! simulator's fixture miner ([`sim::scenario::chain::extend_regtest`]): real headers whose
//! proof of work meets regtest's target, so that the fuzzer reaches validation past the
//! proof-of-work check by picking headers rather than by finding nonces.

use std::sync::OnceLock;

use bitcoin::block::Header;
use bitcoin::constants::genesis_block;
use bitcoin::Network;
use sim::scenario::chain::extend_regtest;

/// Height of [`main`]'s tip: more than one full `headers` batch (2000) and a bit.
pub const MAIN_TIP_HEIGHT: u32 = 2100;

/// Height [`fork`] branches off [`main`] at (its first header is at the next height).
pub const FORK_BASE_HEIGHT: u32 = 1000;

/// Height of [`fork`]'s tip: above [`MAIN_TIP_HEIGHT`], so the fork has more work.
pub const FORK_TIP_HEIGHT: u32 = 2300;

/// Regtest genesis..=[`MAIN_TIP_HEIGHT`], mined from seed 1.
pub fn main() -> &'static [Header] {
    static CHAIN: OnceLock<Vec<Header>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let mut chain = vec![genesis_block(Network::Regtest).header];
        extend_regtest(&mut chain, MAIN_TIP_HEIGHT, 1);
        chain
    })
}

/// Regtest genesis..=[`FORK_TIP_HEIGHT`]: [`main`] up to [`FORK_BASE_HEIGHT`], then a branch
/// mined from seed 2 (heights index it as they index [`main`]).
pub fn fork() -> &'static [Header] {
    static CHAIN: OnceLock<Vec<Header>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let mut chain = main()[..=FORK_BASE_HEIGHT as usize].to_vec();
        extend_regtest(&mut chain, FORK_TIP_HEIGHT, 2);
        chain
    })
}

/// The Unix time (seconds) a target's clock starts at: an hour after [`fork`]'s tip, so that
/// every fixture header lies in the past and the best header is recent (not in initial block
/// download by Core's 24-hour rule once synced).
pub fn start_time_s() -> u64 {
    u64::from(fork()[FORK_TIP_HEIGHT as usize].time) + 3600
}

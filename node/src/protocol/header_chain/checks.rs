//! The header checks that need nothing but their arguments: Core `CheckHeadersPoW` on a whole
//! message, the median-time-past rule (with its lower bound just above a trusted base), the
//! future-time limit, BIP94's timewarp check and the BIP34/66/65 version floor. The chain
//! ([`super::HeaderChain`]) gathers the arguments and calls them in Core's order.

use bitcoin::block::Header;
use bitcoin::params::Params;
use bitcoin::pow::Target;
use bitcoin::{BlockHash, Network};

use super::error::HeaderError;
use crate::pow::decode_bits;

/// How far a header's `time` may lie ahead of the caller's clock, in seconds.
///
/// Bitcoin Core `MAX_FUTURE_BLOCK_TIME` (`src/chain.h`, checked against the local clock in
/// `validation.cpp ContextualCheckBlockHeader`); btcd `MaxTimeOffsetSeconds`
/// (`blockchain/validate.go`, checked against network-adjusted time).
pub const FUTURE_BLOCK_TIME_S_MAX: u64 = 2 * 60 * 60;

/// Number of headers (the parent and its ancestors) whose median time a new header must exceed.
///
/// Bitcoin Core `CBlockIndex::nMedianTimeSpan` (`src/chain.h`); btcd `medianTimeBlocks`
/// (`blockchain/validate.go`).
pub const MEDIAN_TIME_SPAN: usize = 11;

/// BIP94's timewarp limit (Core `MAX_TIMEWARP`, `consensus/consensus.h`): seconds a period's
/// first header may be older than its parent on testnet4.
pub const TIMEWARP_S_MAX: u32 = 600;

// The messages of `HeaderError::TimeTooNew` and `TimewarpAttack` spell out 7200 s and 600 s, and
// the docs of `median_time_past_of` count 11 times with the median 6th.
const _: () = assert!(FUTURE_BLOCK_TIME_S_MAX == 7200);
const _: () = assert!(TIMEWARP_S_MAX == 600);
const _: () = assert!(MEDIAN_TIME_SPAN == 11);

/// Core `CheckHeadersPoW` (`net_processing.cpp`) on a whole message: every header meets the
/// target of its own `bits` (within `pow_limit`), then each links to the one before.
/// `hashes[i]` is `headers[i].block_hash()`.
///
/// # Errors
/// [`HeaderError::HighHash`] or [`HeaderError::NonContinuous`] for the first failure.
pub(super) fn check_headers_pow(
    headers: &[Header],
    hashes: &[BlockHash],
    pow_limit: Target,
) -> Result<(), HeaderError> {
    for (index, (header, hash)) in headers.iter().zip(hashes).enumerate() {
        let meets = decode_bits(header.bits, pow_limit).is_some_and(|t| t.is_met_by(*hash));
        if !meets {
            return Err(HeaderError::HighHash {
                index,
                hash: *hash,
                bits: header.bits.to_consensus(),
            });
        }
    }
    for index in 1..headers.len() {
        if headers[index].prev_blockhash != hashes[index - 1] {
            return Err(HeaderError::NonContinuous {
                index,
                hash: hashes[index],
                prev: headers[index].prev_blockhash,
            });
        }
    }
    Ok(())
}

/// The median time past from the `times` of a header and its nearest ancestors (at most
/// [`MEDIAN_TIME_SPAN`], in any order; sorted here), or a lower bound of it.
///
/// With all [`MEDIAN_TIME_SPAN`] times, or fewer because the walk reached genesis
/// (`base_is_genesis`), this is Core's `CBlockIndex::GetMedianTimePast`: the middle element,
/// the upper middle for an even count. When the walk stopped at a trusted base with `k < 11`
/// times, the `11 - k` unknown times could be anything, so this returns the `(k - 5)`-th
/// smallest known time (the least the real median can be), or `None` for `k <= 5` (no bound:
/// the check is skipped). See the module docs of [`super`].
pub(super) fn median_time_past_of(times: &mut [u32], base_is_genesis: bool) -> Option<u32> {
    let count = times.len();
    times.sort_unstable();
    if count == MEDIAN_TIME_SPAN || base_is_genesis {
        return Some(times[count / 2]);
    }
    // Index 5 of 11 sorted times is the median; `11 - count` unknown times can all sort
    // below the known ones, pushing it down to known index 5 - (11 - count).
    let unknown = MEDIAN_TIME_SPAN - count;
    (MEDIAN_TIME_SPAN / 2)
        .checked_sub(unknown)
        .map(|index| times[index])
}

/// Core `ContextualCheckBlockHeader` "time-timewarp-attack" (testnet4 only): at a retarget
/// height, the header's time may not be more than [`TIMEWARP_S_MAX`] before its parent's.
#[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
pub(super) fn check_timewarp(
    height: u32,
    time: u32,
    parent_time: u32,
    hash: BlockHash,
) -> Result<(), HeaderError> {
    let interval = 2016;
    if height % interval == 0
        && i64::from(time) < i64::from(parent_time) - i64::from(TIMEWARP_S_MAX)
    {
        return Err(HeaderError::TimewarpAttack {
            height,
            hash,
            time,
            parent_time,
        });
    }
    Ok(())
}

/// The activation heights of BIP34, BIP66 and BIP65, in that order: from each, a header's
/// version must be at least 2, 3 and 4 respectively.
///
/// rust-bitcoin's `Params::bip34_height`, `bip66_height` and `bip65_height`, except on regtest:
/// rust-bitcoin 0.32 still carries Core's old regtest values (100000000, 1251, 1351), while
/// Core since 23.0 activates all three at height 1 there (`src/kernel/chainparams.cpp`
/// `CRegTestParams`: "Always active unless overridden"). Found by the `kernel-oracle`
/// differential test: Core rejected version-1 to -3 regtest headers that we accepted.
pub(super) fn version_heights(network: Network, params: &Params) -> [u32; 3] {
    match network {
        Network::Regtest => [1, 1, 1],
        _ => [
            params.bip34_height,
            params.bip66_height,
            params.bip65_height,
        ],
    }
}

/// Core `ContextualCheckBlockHeader` "bad-version" (`validation.cpp`): a header at or above
/// BIP34's activation height needs version 2 or more, at or above BIP66's 3 or more, at or
/// above BIP65's 4 or more (Core `DeploymentActiveAfter`: the header's own height against
/// `BIP34Height`, `BIP66Height`, `BIP65Height`; `heights` from [`version_heights`]). The
/// comparison is signed, as Core's on `nVersion`: versions with the top bit set are negative
/// and fail once BIP34 is active.
pub(super) fn check_version(
    height: u32,
    version: i32,
    heights: [u32; 3],
    hash: BlockHash,
) -> Result<(), HeaderError> {
    let outdated = heights
        .iter()
        .zip(2..)
        .any(|(activation, minimum)| height >= *activation && version < minimum);
    if outdated {
        return Err(HeaderError::BadVersion {
            height,
            hash,
            version,
        });
    }
    Ok(())
}

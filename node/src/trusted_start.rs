//! A trusted starting header: sync from the middle of the chain instead of from genesis.
//!
//! A [`TrustedStart`] names one header the operator trusts (as Bitcoin Core's `assumevalid`
//! block or a checkpoint is trusted), its height, its chainwork, and the `time` and `bits` of the
//! first header of its 2016-header retarget period. With it, [`HeaderChain`] treats that header
//! as its base: nothing below it is known, headers above it are checked with every rule that
//! can be evaluated from the base upwards, and the period-first values stand in for the first
//! header of the base's period at the next retarget.
//!
//! Three ways to get one:
//!
//! * [`TrustedStart::from_json`]: the JSON file the node binary reads with `--trusted-start
//!   FILE` ([`TrustedStartJson`] describes the fields);
//! * [`TrustedStart::from_retarget_boundaries`]: derived from a file holding the first and last
//!   header of every retarget period (the format of
//!   `../shared/data/headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin`, parsed by
//!   [`parse_retarget_boundaries`]), with the chainwork computed from the periods' bits;
//! * built by hand in code (every field is public).
//!
//! [`HeaderChain`]: crate::protocol::header_chain::HeaderChain

use std::collections::BTreeMap;

use bitcoin::block::Header;
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::pow::{CompactTarget, Target, Work};
use bitcoin::{BlockHash, Network};
use serde::{Deserialize, Serialize};

use crate::pow::decode_bits;

/// Headers per retarget period on every network with retargets: Core
/// `Consensus::Params::DifficultyAdjustmentInterval()` (`nPowTargetTimespan /
/// nPowTargetSpacing` = 1209600 s / 600 s, `src/kernel/chainparams.cpp`).
pub const RETARGET_INTERVAL: u32 = 2016;

/// Size of one record of a retarget-boundaries file: a `u32` little-endian height followed by
/// the 80-byte consensus-serialized header.
pub const BOUNDARY_RECORD_SIZE_BYTES: usize = 84;

const _: () = assert!(BOUNDARY_RECORD_SIZE_BYTES == 4 + 80);

/// Highest height a trusted start may have: Bitcoin Core's block heights are `int`
/// (`CBlockIndex::nHeight`), and the node's are `u32`, so this leaves 2^31 heights above the
/// start before a height could overflow.
pub const TRUSTED_START_HEIGHT_MAX: u32 = i32::MAX as u32;

/// The header a sync starts from instead of genesis, with what validation needs from below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedStart {
    /// Height of [`TrustedStart::header`] (at least 1; genesis needs no trusted start).
    pub height: u32,
    /// The trusted header itself. The first synced header must have its hash as
    /// `prev_blockhash`.
    pub header: Header,
    /// `time` of the first header of the trusted header's retarget period (height
    /// `height - height % 2016`), seconds since the Unix epoch. The retarget at the end of
    /// that period measures its timespan from it (Core `CalculateNextWorkRequired`,
    /// `pindexFirst->GetBlockTime()`).
    pub period_first_time: u32,
    /// `bits` of that same first header. On mainnet and signet every header of a period has
    /// the same bits; testnet4 (BIP94) retargets from them, and testnet3's minimum-difficulty
    /// walk-back ends at them.
    pub period_first_bits: CompactTarget,
    /// Total work of the chain from genesis up to and including the trusted header (Core
    /// `CBlockIndex::nChainWork`, as `getblockheader` shows it in `chainwork`).
    pub chainwork: Work,
}

/// Why a trusted start was refused or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedStartError {
    /// Height 0 is genesis, which every chain already starts from.
    #[error(
        "trusted start at height 0: genesis is the default start, leave the trusted start unset"
    )]
    HeightZero,
    /// The height is above [`TRUSTED_START_HEIGHT_MAX`].
    #[error(
        "trusted start at height {height} is above the highest height {TRUSTED_START_HEIGHT_MAX}"
    )]
    HeightTooHigh {
        /// The given height.
        height: u32,
    },
    /// The header does not meet the target of its own `bits`, or its bits are not a valid
    /// target for the network.
    #[error("trusted header {hash} at height {height} does not meet the target of its bits {bits:#010x}")]
    HighHash {
        /// Its height.
        height: u32,
        /// Its hash.
        hash: BlockHash,
        /// Its `bits` (consensus encoding).
        bits: u32,
    },
    /// The period-first bits are not a valid target for the network.
    #[error("trusted start period_first_bits {bits:#010x} is not a valid target on {network}")]
    BadPeriodFirstBits {
        /// The network.
        network: Network,
        /// The bits (consensus encoding).
        bits: u32,
    },
    /// The trusted header is itself the first of its period, but the period-first values are
    /// not its own.
    #[error("trusted header at height {height} is the first of its period, but period_first_time {period_first_time} / period_first_bits {period_first_bits:#010x} are not its time {time} / bits {bits:#010x}")]
    PeriodFirstIsNotTheHeader {
        /// Its height (a multiple of 2016).
        height: u32,
        /// The given period-first time.
        period_first_time: u32,
        /// The given period-first bits.
        period_first_bits: u32,
        /// The header's time.
        time: u32,
        /// The header's bits.
        bits: u32,
    },
    /// On a network whose bits change only at retargets, the period-first bits differ from the
    /// trusted header's.
    #[error("trusted header at height {height} has bits {bits:#010x}, but period_first_bits is {period_first_bits:#010x}; on {network} bits change only at retargets")]
    PeriodBitsDiffer {
        /// The network.
        network: Network,
        /// The header's height.
        height: u32,
        /// The header's bits.
        bits: u32,
        /// The given period-first bits.
        period_first_bits: u32,
    },
    /// The chainwork is below the least any chain of `height + 1` headers can have (each
    /// header at the network's proof-of-work limit).
    #[error("trusted start chainwork {chainwork:x} at height {height} is below the minimum {minimum:x} of {headers} headers at the proof-of-work limit")]
    ChainworkTooLow {
        /// The trusted header's height.
        height: u32,
        /// `height + 1`.
        headers: u64,
        /// The given chainwork.
        chainwork: Work,
        /// The minimum.
        minimum: Work,
    },
    /// The JSON form does not parse; `field` names where (empty for the whole document).
    #[error("trusted start JSON: {field}: {message}")]
    Json {
        /// The field path (`header`, `chainwork`, ...).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A retarget-boundaries file is malformed.
    #[error("retarget boundaries: {0}")]
    Boundaries(String),
}

/// The JSON form of a [`TrustedStart`], as read by the node's `--trusted-start FILE` and
/// written by [`TrustedStart::to_json`]. Unknown fields are refused.
///
/// ```json
/// {
///   "height": 822527,
///   "hash": "0000000000000000000078f4e50a09391670d061deea0b3b87c3fa60cfaaf782",
///   "header": "<160 hex digits: the 80-byte header as serialized on the wire>",
///   "period_first_time": 1702180644,
///   "period_first_bits": "0x17042e95",
///   "chainwork": "0000000000000000000000000000000000000000624c18bf09286e431639df40"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedStartJson {
    /// [`TrustedStart::height`].
    pub height: u32,
    /// Optional check: the header's hash in the usual (reversed) hex. If given, it must equal
    /// the hash of `header`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// [`TrustedStart::header`]: 160 hex digits, the consensus serialization.
    pub header: String,
    /// [`TrustedStart::period_first_time`], seconds since the Unix epoch.
    pub period_first_time: u32,
    /// [`TrustedStart::period_first_bits`]: `0x`-prefixed hex of the compact encoding.
    pub period_first_bits: String,
    /// [`TrustedStart::chainwork`]: 64 hex digits, big-endian (as `getblockheader` prints it).
    pub chainwork: String,
}

impl TrustedStart {
    /// Hash of the trusted header.
    pub fn hash(&self) -> BlockHash {
        self.header.block_hash()
    }

    /// Height of the first header of the trusted header's retarget period.
    pub fn period_first_height(&self) -> u32 {
        self.height - self.height % RETARGET_INTERVAL
    }

    /// Checks what can be checked without the chain below: a height above 0 and at most
    /// [`TRUSTED_START_HEIGHT_MAX`], the header's own
    /// proof of work against `pow_limit`, period-first values that are the header's own when it
    /// opens its period, equal bits on networks that change them only at retargets
    /// (`bits_fixed_within_period`), and a chainwork no lower than `height + 1` headers at the
    /// proof-of-work limit.
    ///
    /// # Errors
    /// The first [`TrustedStartError`] found.
    #[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
    pub(crate) fn check(
        &self,
        network: Network,
        pow_limit: Target,
        bits_fixed_within_period: bool,
    ) -> Result<(), TrustedStartError> {
        if self.height == 0 {
            return Err(TrustedStartError::HeightZero);
        }
        if self.height > TRUSTED_START_HEIGHT_MAX {
            return Err(TrustedStartError::HeightTooHigh {
                height: self.height,
            });
        }
        let hash = self.hash();
        let bits = self.header.bits.to_consensus();
        let meets =
            decode_bits(self.header.bits, pow_limit).is_some_and(|target| target.is_met_by(hash));
        if !meets {
            return Err(TrustedStartError::HighHash {
                height: self.height,
                hash,
                bits,
            });
        }
        let period_first_bits = self.period_first_bits.to_consensus();
        if decode_bits(self.period_first_bits, pow_limit).is_none() {
            return Err(TrustedStartError::BadPeriodFirstBits {
                network,
                bits: period_first_bits,
            });
        }
        if self.height % RETARGET_INTERVAL == 0
            && (self.period_first_time != self.header.time || period_first_bits != bits)
        {
            return Err(TrustedStartError::PeriodFirstIsNotTheHeader {
                height: self.height,
                period_first_time: self.period_first_time,
                period_first_bits,
                time: self.header.time,
                bits,
            });
        }
        if bits_fixed_within_period && period_first_bits != bits {
            return Err(TrustedStartError::PeriodBitsDiffer {
                network,
                height: self.height,
                bits,
                period_first_bits,
            });
        }
        let headers = u64::from(self.height) + 1;
        let minimum = work_times(pow_limit.to_work(), headers);
        if self.chainwork < minimum {
            return Err(TrustedStartError::ChainworkTooLow {
                height: self.height,
                headers,
                chainwork: self.chainwork,
                minimum,
            });
        }
        Ok(())
    }

    /// Parses the JSON form ([`TrustedStartJson`]). Checks the encodings and the optional
    /// `hash`; the consensus checks run when a chain is built from it.
    ///
    /// # Errors
    /// [`TrustedStartError::Json`] naming the field.
    pub fn from_json(text: &str) -> Result<TrustedStart, TrustedStartError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let json: TrustedStartJson =
            serde_path_to_error::deserialize(deserializer).map_err(|e| {
                TrustedStartError::Json {
                    field: e.path().to_string(),
                    message: e.inner().to_string(),
                }
            })?;
        json.to_trusted_start()
    }

    /// The JSON form, pretty-printed, with `hash` filled in.
    pub fn to_json(&self) -> String {
        let json = TrustedStartJson {
            height: self.height,
            hash: Some(self.hash().to_string()),
            header: bitcoin::consensus::serialize(&self.header).to_lower_hex_string(),
            period_first_time: self.period_first_time,
            period_first_bits: format!("{:#010x}", self.period_first_bits.to_consensus()),
            chainwork: self.chainwork.to_be_bytes().to_lower_hex_string(),
        };
        serde_json::to_string_pretty(&json).expect("a plain struct serializes")
    }

    /// The trusted start at `height` derived from retarget-period boundary headers (`records`:
    /// height → header, holding the first and the last header of every period up to the one of
    /// `height`, as [`parse_retarget_boundaries`] returns them).
    ///
    /// The header at `height` must be in `records` (so `height` is the first or the last of its
    /// period). The period-first values are those of the record at `height - height % 2016`.
    /// The chainwork is computed, not copied: on a network whose bits change only at retargets
    /// (mainnet, signet), every header of period `p` carries that period's bits, so
    ///
    /// ```text
    /// chainwork(height) = Σ_{p < P} 2016 × work(bits_p)  +  (height - 2016·P + 1) × work(bits_P)
    /// ```
    ///
    /// with `P = height / 2016`; period 0 counts genesis's own work, as Core's `nChainWork`
    /// does. Each period's first and last records must carry equal bits, and each period's
    /// last header must be the parent of the next period's first: a file that breaks either is
    /// refused rather than summed.
    ///
    /// # Errors
    /// [`TrustedStartError::Boundaries`] naming the missing record, the period whose bits
    /// differ or the broken link; [`TrustedStartError::Boundaries`] for a network with
    /// minimum-difficulty headers (testnet3, testnet4), where bits vary inside a period.
    pub fn from_retarget_boundaries(
        network: Network,
        records: &BTreeMap<u32, Header>,
        height: u32,
    ) -> Result<TrustedStart, TrustedStartError> {
        if !matches!(network, Network::Bitcoin | Network::Signet) {
            return Err(TrustedStartError::Boundaries(format!(
                "{network} has minimum-difficulty headers inside periods, so chainwork cannot be summed from period boundaries"
            )));
        }
        let missing = |what: &str, at: u32| {
            TrustedStartError::Boundaries(format!("no record at height {at} ({what})"))
        };
        let header = *records
            .get(&height)
            .ok_or_else(|| missing("the trusted header", height))?;
        let period = height / RETARGET_INTERVAL;
        let mut chainwork: Option<Work> = None;
        let add = |sum: Option<Work>, work: Work| Some(sum.map_or(work, |s| s + work));
        let mut previous_last: Option<(u32, Header)> = None;
        for p in 0..=period {
            let first_height = p * RETARGET_INTERVAL;
            let first = records
                .get(&first_height)
                .ok_or_else(|| missing("first of its period", first_height))?;
            if let Some((last_height, last)) = previous_last {
                if first.prev_blockhash != last.block_hash() {
                    return Err(TrustedStartError::Boundaries(format!(
                        "the header at {first_height} builds on {}, not on the record at {last_height} ({})",
                        first.prev_blockhash,
                        last.block_hash()
                    )));
                }
            }
            let (last_height, count) = if p == period {
                (height, height - first_height + 1)
            } else {
                (first_height + RETARGET_INTERVAL - 1, RETARGET_INTERVAL)
            };
            let last = records
                .get(&last_height)
                .ok_or_else(|| missing("last of its period", last_height))?;
            if last.bits != first.bits {
                return Err(TrustedStartError::Boundaries(format!(
                    "period {p} has bits {:#010x} at {first_height} but {:#010x} at {last_height}",
                    first.bits.to_consensus(),
                    last.bits.to_consensus()
                )));
            }
            chainwork = add(
                chainwork,
                work_times(first.target().to_work(), u64::from(count)),
            );
            previous_last = Some((last_height, *last));
        }
        let first = records[&(period * RETARGET_INTERVAL)];
        Ok(TrustedStart {
            height,
            header,
            period_first_time: first.time,
            period_first_bits: first.bits,
            chainwork: chainwork.expect("at least period 0 is summed"),
        })
    }
}

impl TrustedStartJson {
    /// Decodes the hex fields.
    ///
    /// # Errors
    /// [`TrustedStartError::Json`] naming the field.
    pub fn to_trusted_start(&self) -> Result<TrustedStart, TrustedStartError> {
        let bad = |field: &str, message: String| TrustedStartError::Json {
            field: field.to_string(),
            message,
        };
        let bytes = Vec::<u8>::from_hex(&self.header)
            .map_err(|e| bad("header", format!("not hex: {e}")))?;
        if bytes.len() != 80 {
            return Err(bad("header", format!("{} bytes, expected 80", bytes.len())));
        }
        let header: Header = bitcoin::consensus::deserialize(&bytes)
            .map_err(|e| bad("header", format!("does not decode: {e}")))?;
        if let Some(hash) = &self.hash {
            let given: BlockHash = hash
                .parse()
                .map_err(|e| bad("hash", format!("not a block hash: {e}")))?;
            if given != header.block_hash() {
                return Err(bad(
                    "hash",
                    format!("{given} is not the header's hash {}", header.block_hash()),
                ));
            }
        }
        let bits_hex = self.period_first_bits.strip_prefix("0x").ok_or_else(|| {
            bad(
                "period_first_bits",
                format!("`{}` lacks the 0x prefix", self.period_first_bits),
            )
        })?;
        let bits = u32::from_str_radix(bits_hex, 16).map_err(|e| {
            bad(
                "period_first_bits",
                format!("`{}` is not 32-bit hex: {e}", self.period_first_bits),
            )
        })?;
        let work_bytes = <[u8; 32]>::from_hex(&self.chainwork)
            .map_err(|e| bad("chainwork", format!("not 64 hex digits: {e}")))?;
        Ok(TrustedStart {
            height: self.height,
            header,
            period_first_time: self.period_first_time,
            period_first_bits: CompactTarget::from_consensus(bits),
            chainwork: Work::from_be_bytes(work_bytes),
        })
    }
}

/// Parses a retarget-boundaries file: records of a `u32` little-endian height and an 80-byte
/// header ([`BOUNDARY_RECORD_SIZE_BYTES`] each), heights strictly increasing.
///
/// # Errors
/// [`TrustedStartError::Boundaries`] naming the record that is short, does not decode or is
/// out of order.
#[allow(clippy::manual_is_multiple_of)] // usize::is_multiple_of needs Rust 1.87; MSRV is 1.85
pub fn parse_retarget_boundaries(bytes: &[u8]) -> Result<BTreeMap<u32, Header>, TrustedStartError> {
    if bytes.len() % BOUNDARY_RECORD_SIZE_BYTES != 0 {
        return Err(TrustedStartError::Boundaries(format!(
            "{} bytes is not a whole number of {BOUNDARY_RECORD_SIZE_BYTES}-byte records",
            bytes.len()
        )));
    }
    let mut records = BTreeMap::new();
    let mut previous: Option<u32> = None;
    for (index, record) in bytes.chunks_exact(BOUNDARY_RECORD_SIZE_BYTES).enumerate() {
        let height = u32::from_le_bytes([record[0], record[1], record[2], record[3]]);
        if previous.is_some_and(|p| height <= p) {
            return Err(TrustedStartError::Boundaries(format!(
                "record {index} has height {height}, not above the previous record's"
            )));
        }
        let header: Header = bitcoin::consensus::deserialize(&record[4..]).map_err(|e| {
            TrustedStartError::Boundaries(format!("record {index} (height {height}): {e}"))
        })?;
        records.insert(height, header);
        previous = Some(height);
    }
    Ok(records)
}

/// `work × count`, by doubling and adding (rust-bitcoin's `Work` has no multiplication).
/// Debug builds panic on overflow of 256 bits, which no real chainwork approaches.
pub fn work_times(work: Work, count: u64) -> Work {
    let mut result: Option<Work> = None;
    let mut power = work;
    let mut rest = count;
    while rest > 0 {
        if rest & 1 == 1 {
            result = Some(result.map_or(power, |r| r + power));
        }
        rest >>= 1;
        if rest > 0 {
            power = power + power;
        }
    }
    result.unwrap_or(Work::from_be_bytes([0; 32]))
}

/// The mainnet headers 822528..=830592 and the trusted start at 822527 derived from the
/// retarget boundaries file (`None` when the data is absent outside CI). Asserts that the
/// first header builds on the trusted one.
#[cfg(test)]
pub(crate) fn mainnet_822527_start() -> Option<(TrustedStart, Vec<Header>)> {
    let records = parse_retarget_boundaries(&crate::test_data::read_data(
        "headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin",
    )?)
    .expect("the boundaries file parses");
    let headers = crate::test_data::read_headers("headers/mainnet_822528-830592.bin")?;
    let start = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 822_527)
        .expect("derivable");
    assert_eq!(headers.len(), 8065);
    assert_eq!(
        headers[0].prev_blockhash,
        start.hash(),
        "822528 builds on the trusted 822527"
    );
    Some((start, headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::{read_data, read_headers};

    const BOUNDARIES: &str = "headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin";

    fn boundaries() -> Option<BTreeMap<u32, Header>> {
        Some(
            parse_retarget_boundaries(&read_data(BOUNDARIES)?).expect("the boundaries file parses"),
        )
    }

    fn work_hex(hex: &str) -> Work {
        Work::from_unprefixed_hex(hex).expect("hex work")
    }

    #[test]
    fn work_times_matches_repeated_addition() {
        let work = Target::MAX_ATTAINABLE_MAINNET.to_work();
        let mut sum = work;
        for count in 1..=70u64 {
            assert_eq!(work_times(work, count), sum, "× {count}");
            sum = sum + work;
        }
        assert_eq!(work_times(work, 0), Work::from_be_bytes([0; 32]));
    }

    /// The boundary sum at the end of each of the first five periods equals the header-by-header
    /// sum over the real headers 0..=10236 (genesis's work included in both).
    #[test]
    fn boundary_chainwork_equals_the_sum_over_every_real_header_up_to_10079() {
        let (Some(records), Some(headers)) =
            (boundaries(), read_headers("headers/mainnet_0-10236.bin"))
        else {
            return;
        };
        let mut sum = headers[0].work();
        let mut checked = 0;
        for (height, header) in headers.iter().enumerate().skip(1) {
            sum = sum + header.work();
            let height = height as u32;
            if height % RETARGET_INTERVAL == RETARGET_INTERVAL - 1 {
                let start =
                    TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, height)
                        .expect("derivable");
                assert_eq!(start.chainwork, sum, "chainwork at {height}");
                assert_eq!(
                    start.header, *header,
                    "record at {height} is the real header"
                );
                checked += 1;
            }
        }
        assert_eq!(
            checked, 5,
            "periods ending at 2015, 4031, 6047, 8063, 10079"
        );
    }

    /// Bitcoin Core v26.0 sets `nMinimumChainWork` to the chainwork of its assumevalid block
    /// 804000 (`src/kernel/chainparams.cpp`, mainnet:
    /// `000000000000000000000000000000000000000052b2559353df4117b7348b64`, assumevalid
    /// `00000000000000000001a0a448d6cf2546b06801389cc030b2b18c6491266815 // 804000`). Height
    /// 804000 is inside a period, so this also checks the partial last period.
    #[test]
    fn boundary_chainwork_at_804000_equals_bitcoin_core_26_minimum_chain_work() {
        let Some(mut records) = boundaries() else {
            return;
        };
        // 804000 is not a boundary; stand the period's first header in for it (same bits) so
        // the derivation sums 802368..=804000.
        let period_first = records[&802_368];
        records.insert(804_000, period_first);
        let start = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 804_000)
            .expect("derivable");
        assert_eq!(
            start.chainwork,
            work_hex("000000000000000000000000000000000000000052b2559353df4117b7348b64")
        );
    }

    #[test]
    fn the_trusted_start_at_822527_is_derived_from_the_boundaries_file() {
        let Some(records) = boundaries() else {
            return;
        };
        let start = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 822_527)
            .expect("derivable");
        assert_eq!(
            start.hash().to_string(),
            "0000000000000000000078f4e50a09391670d061deea0b3b87c3fa60cfaaf782"
        );
        assert_eq!(start.period_first_height(), 820_512);
        assert_eq!(start.period_first_time, records[&820_512].time);
        assert_eq!(start.period_first_time, 1_702_180_644);
        assert_eq!(start.period_first_bits.to_consensus(), 0x1704_2e95);
        assert_eq!(
            start.chainwork,
            work_hex("0000000000000000000000000000000000000000624c18bf09286e431639df40")
        );
        start
            .check(Network::Bitcoin, Target::MAX_ATTAINABLE_MAINNET, true)
            .expect("a consistent trusted start");

        // The JSON form round-trips.
        let json = start.to_json();
        assert_eq!(TrustedStart::from_json(&json), Ok(start));
    }

    #[test]
    fn a_boundaries_file_with_a_gap_or_changing_bits_is_refused() {
        let Some(records) = boundaries() else {
            return;
        };
        let mut gap = records.clone();
        gap.remove(&4031);
        let error = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &gap, 822_527)
            .expect_err("a gap");
        assert_eq!(
            error,
            TrustedStartError::Boundaries("no record at height 4031 (last of its period)".into())
        );

        let mut changed = records.clone();
        let mut last = changed[&6047];
        last.bits = CompactTarget::from_consensus(0x1c00_ffff);
        changed.insert(6047, last);
        let error = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &changed, 822_527)
            .expect_err("bits");
        assert!(
            error
                .to_string()
                .contains("period 2 has bits 0x1d00ffff at 4032 but 0x1c00ffff at 6047"),
            "{error}"
        );
        // The changed header no longer links to the next period's first either, but the bits
        // check comes first.

        let error = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 822_000)
            .expect_err("no record");
        assert!(
            error.to_string().contains("no record at height 822000"),
            "{error}"
        );
        let error = TrustedStart::from_retarget_boundaries(Network::Testnet, &records, 2015)
            .expect_err("testnet");
        assert!(error.to_string().contains("minimum-difficulty"), "{error}");

        assert!(parse_retarget_boundaries(&[0u8; 85]).is_err());
    }

    #[test]
    fn json_errors_name_the_field() {
        let Some(records) = boundaries() else {
            return;
        };
        let start = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 822_527)
            .expect("derivable");
        let json: serde_json::Value = serde_json::from_str(&start.to_json()).expect("json");
        let with = |field: &str, value: serde_json::Value| {
            let mut json = json.clone();
            json[field] = value;
            TrustedStart::from_json(&json.to_string())
                .expect_err("bad field")
                .to_string()
        };
        assert!(with("header", "00".into()).starts_with("trusted start JSON: header: 1 bytes"));
        assert!(with("hash", "00".repeat(32).into()).starts_with("trusted start JSON: hash:"));
        assert!(with("period_first_bits", "17042e95".into()).contains("lacks the 0x prefix"));
        assert!(with("chainwork", "1234".into()).starts_with("trusted start JSON: chainwork:"));
        assert!(with("height", "x".into()).starts_with("trusted start JSON: height:"));
        assert!(with("colour", 1.into()).contains("unknown field `colour`"));
    }

    #[test]
    fn check_refuses_inconsistent_trusted_starts() {
        let Some(records) = boundaries() else {
            return;
        };
        let limit = Target::MAX_ATTAINABLE_MAINNET;
        let good = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 822_527)
            .expect("derivable");
        let check = |start: TrustedStart| start.check(Network::Bitcoin, limit, true);

        assert_eq!(
            check(TrustedStart { height: 0, ..good }),
            Err(TrustedStartError::HeightZero)
        );
        assert_eq!(
            check(TrustedStart {
                height: u32::MAX,
                ..good
            }),
            Err(TrustedStartError::HeightTooHigh { height: u32::MAX })
        );
        let mut header = good.header;
        header.nonce ^= 1;
        assert!(matches!(
            check(TrustedStart { header, ..good }),
            Err(TrustedStartError::HighHash { .. })
        ));
        let bits = CompactTarget::from_consensus(0x1704_2e96);
        assert!(matches!(
            check(TrustedStart {
                period_first_bits: bits,
                ..good
            }),
            Err(TrustedStartError::PeriodBitsDiffer { .. })
        ));
        let low = TrustedStart {
            chainwork: work_times(limit.to_work(), 822_527),
            ..good
        };
        assert!(matches!(
            check(low),
            Err(TrustedStartError::ChainworkTooLow { .. })
        ));
        // The first header of a period must be its own period-first header.
        let first = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 820_512)
            .expect("derivable");
        assert_eq!(check(first), Ok(()));
        assert!(matches!(
            check(TrustedStart {
                period_first_time: first.period_first_time - 1,
                ..first
            }),
            Err(TrustedStartError::PeriodFirstIsNotTheHeader { .. })
        ));
    }
}

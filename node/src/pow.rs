//! Proof-of-work arithmetic shared by the header rules ([`crate::protocol::header_chain`]) and
//! the trusted start's own check ([`crate::trusted_start`]): the target a header's compact
//! `bits` stand for. A leaf: it imports nothing from the crate, so both can use it without
//! importing each other.

use bitcoin::pow::{CompactTarget, Target};

/// Core `DeriveTarget` (`pow.cpp`, with `arith_uint256::SetCompact`): the target of `bits`, or
/// `None` if it is negative, zero, overflows 256 bits, or is above `pow_limit`.
///
/// Not `Target::from_compact` alone: rust-bitcoin 0.32 maps a negative mantissa to zero but does
/// not flag overflow, and its 256-bit shift masks the shift amount to 8 bits, so for example
/// `0x3c00ffff` decodes to the same target as `0x1c00ffff` instead of being rejected.
///
/// `pow_limit` is rust-bitcoin's `Params::max_attainable_target`, the compact-rounded form of
/// Core's `consensus.powLimit` (`src/kernel/chainparams.cpp`: 00000000ff…ff on mainnet and the
/// testnets, 00000377ae00…00 on signet, 7fff…ff on regtest). No compact-encoded target lies
/// between the two (the mantissa is signed, so above 0x7fffff the exponent must grow), so the
/// comparison gives Core's answer.
pub(crate) fn decode_bits(bits: CompactTarget, pow_limit: Target) -> Option<Target> {
    let compact = bits.to_consensus();
    let size = compact >> 24;
    let mut word = compact & 0x007f_ffff;
    if size <= 3 {
        word >>= 8 * (3 - size);
    }
    let negative = word != 0 && compact & 0x0080_0000 != 0;
    let overflow =
        word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if negative || overflow || word == 0 {
        return None;
    }
    // Sign bit clear and no overflow: the shift stays below 256 bits, where from_compact is exact.
    let target = Target::from_compact(bits);
    (target <= pow_limit).then_some(target)
}

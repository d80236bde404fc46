//! Headers altered on purpose: a field changed and the header ground again ([`craft`], a
//! script's `crafted` message), or its proof of work spoiled ([`spoil_pow`]).

use bitcoin::block::Header;

/// Alters `headers[index]` (version, bits, time), then grinds it and every later header, each
/// re-linked to the one before, until each meets the target of its own bits.
pub(super) fn craft(
    headers: &mut [Header],
    index: usize,
    version: Option<i32>,
    bits: Option<u32>,
    time_offset_s: Option<i64>,
) {
    let Some(header) = headers.get_mut(index) else {
        return;
    };
    if let Some(version) = version {
        header.version = bitcoin::block::Version::from_consensus(version);
    }
    if let Some(bits) = bits {
        header.bits = bitcoin::CompactTarget::from_consensus(bits);
    }
    if let Some(offset) = time_offset_s {
        header.time = u32::try_from(i64::from(header.time) + offset).unwrap_or(header.time);
    }
    for i in index..headers.len() {
        if i > 0 {
            headers[i].prev_blockhash = headers[i - 1].block_hash();
        }
        let target = headers[i].target();
        while !target.is_met_by(headers[i].block_hash()) {
            headers[i].nonce = headers[i].nonce.wrapping_add(1);
        }
    }
}

/// Bumps the nonce of `headers[index]` until its hash misses the target of its own bits.
pub(super) fn spoil_pow(headers: &mut [Header], index: usize) {
    if let Some(header) = headers.get_mut(index) {
        let target = header.target();
        header.nonce = header.nonce.wrapping_add(1);
        while target.is_met_by(header.block_hash()) {
            header.nonce = header.nonce.wrapping_add(1);
        }
    }
}

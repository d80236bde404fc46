//! Real mainnet headers: sync from genesis, and every retarget recomputed.

use super::*;

#[test]
fn mainnet_headers_0_to_10236_sync_from_genesis_in_2000_header_batches() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    assert_eq!(headers.len(), 10_237);
    let mut chain = HeaderChain::new(Network::Bitcoin);
    assert_eq!(chain.tip_hash(), headers[0].block_hash());
    assert_eq!(chain.network(), Network::Bitcoin);

    let mut start_height = 1;
    for batch in headers[1..].chunks(2000) {
        let import = chain.accept_headers(batch, NOW_S);
        assert_eq!(import.error, None);
        assert_eq!(import.accepted, batch.len());
        assert_eq!(import.reorg_depth, 0);
        assert_eq!(
            import.update,
            Some(ChainUpdate::new(start_height, batch.to_vec()))
        );
        start_height += batch.len() as u32;
    }
    assert_eq!(chain.tip_height(), 10_236);
    assert_eq!(chain.tip_hash(), headers[10_236].block_hash());
    assert_eq!(chain.tip_header(), headers[10_236]);
    assert_eq!(chain.len(), 10_237);
    assert_eq!(
        chain.active_hash_at(1111),
        Some(hash(
            "00000000ca59764b4ff11d88ea67e641dba94a17520ebd10f1631b21a18d5805"
        ))
    );
    let work = headers
        .iter()
        .skip(1)
        .fold(headers[0].work(), |sum, h| sum + h.work());
    assert_eq!(chain.tip_chainwork(), work);
    assert_eq!(
        chain.get(&headers[5000].block_hash()).map(|e| e.height),
        Some(5000)
    );
    assert_eq!(
        chain.active_height_of(&headers[5000].block_hash()),
        Some(5000)
    );
}

#[test]
fn mainnet_retarget_at_2016_requires_the_real_bits_and_rejects_others() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Bitcoin);
    feed_in_batches(&mut chain, &headers[1..=2015]);

    let parent = *chain
        .get(&headers[2015].block_hash())
        .expect("2015 is indexed");
    let real = headers[2016];
    // The first period took longer than two weeks, so the new target is capped at the
    // pow limit: difficulty stays 1 (the parent's bits) through the retarget.
    assert!(real.time - headers[0].time > 14 * 24 * 3600);
    assert_eq!(
        chain.required_bits(&parent, &real, real.block_hash()),
        Ok(real.bits)
    );
    assert_eq!(real.bits, parent.header.bits);

    // Other bits at the retarget height fail the bits check. (Any change to a real
    // header breaks its proof of work, so through accept_headers the whole-message
    // pre-check reports high-hash first; check_contextual runs the bits check first.)
    let mut other = real;
    other.bits = CompactTarget::from_consensus(0x1c00_ffff);
    assert_eq!(
        chain
            .check_contextual(0, &other, other.block_hash(), NOW_S)
            .map(|_| ()),
        Err(HeaderError::BadDiffBits {
            height: 2016,
            hash: other.block_hash(),
            expected: DIFFICULTY_1_BITS,
            got: 0x1c00_ffff,
        })
    );
    assert!(matches!(
        chain.accept_headers(&[other], NOW_S).error,
        Some(HeaderError::HighHash { index: 0, .. })
    ));

    let import = chain.accept_headers(&[real], NOW_S);
    assert_eq!((import.error, import.accepted), (None, 1));
}

#[test]
fn every_real_mainnet_retarget_matches_from_next_work_required() {
    let Some(bytes) = read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin") else {
        return;
    };
    assert_eq!(bytes.len() % 84, 0);
    let by_height: BTreeMap<u32, Header> = bytes
        .chunks_exact(84)
        .map(|record| {
            let height = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
            (height, decode_header(&record[4..]))
        })
        .collect();
    let (mut checked, mut changed) = (0, 0);
    for (&height, first) in by_height.range(..).filter(|(h, _)| **h % 2016 == 0) {
        let (Some(last), Some(next)) = (
            by_height.get(&(height + 2015)),
            by_height.get(&(height + 2016)),
        ) else {
            continue;
        };
        assert_eq!(
            next.prev_blockhash,
            last.block_hash(),
            "boundary headers at {height} link"
        );
        let bits = retarget_bits(last.bits, last.time, first.time, &Params::MAINNET);
        assert_eq!(bits, next.bits, "retarget at height {}", height + 2016);
        checked += 1;
        if next.bits != last.bits {
            changed += 1;
        }
    }
    assert!(checked >= 400, "checked {checked} retargets");
    assert!(changed >= 350, "only {changed} retargets changed the bits");
}

/// A decimal number of up to 78 digits as 32 big-endian bytes (the electrum checkpoints
/// file writes 256-bit targets as JSON integers, too big for `serde_json` numbers).
fn decimal_to_be_bytes(decimal: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for digit in decimal.bytes() {
        assert!(
            digit.is_ascii_digit(),
            "not a decimal digit: {}",
            digit as char
        );
        let mut carry = u32::from(digit - b'0');
        for byte in out.iter_mut().rev() {
            let value = u32::from(*byte) * 10 + carry;
            *byte = (value & 0xff) as u8;
            carry = value >> 8;
        }
        assert_eq!(carry, 0, "{decimal} does not fit in 256 bits");
    }
    out
}

/// Every retarget up to 747936, recomputed from the real period boundaries, gives the
/// target that Electrum's checkpoints file (an independent source) lists for the next
/// period, and the boundary headers hash to its checkpoint hashes.
#[test]
fn every_recomputed_retarget_matches_the_electrum_checkpoints() {
    let (Some(bytes), Some(json)) = (
        read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin"),
        read_data("headers/electrum_checkpoints_mainnet.json"),
    ) else {
        return;
    };
    let by_height: BTreeMap<u32, Header> = bytes
        .chunks_exact(84)
        .map(|record| {
            (
                u32::from_le_bytes(record[..4].try_into().expect("4 bytes")),
                decode_header(&record[4..]),
            )
        })
        .collect();
    let text: String = String::from_utf8(json)
        .expect("UTF-8")
        .split_whitespace()
        .collect();
    let body = text
        .strip_prefix("[[")
        .and_then(|t| t.strip_suffix("]]"))
        .expect("a JSON array of pairs");
    let mut checked = 0;
    for (period, entry) in body.split("],[").enumerate() {
        let (hash, target) = entry.split_once(',').expect("a [hash, target] pair");
        let period = period as u32;
        let (first, last) = (
            &by_height[&(period * 2016)],
            &by_height[&(period * 2016 + 2015)],
        );
        assert_eq!(
            last.block_hash().to_string(),
            hash.trim_matches('"'),
            "checkpoint hash of period {period}"
        );
        let bits = retarget_bits(last.bits, last.time, first.time, &Params::MAINNET);
        assert_eq!(
            Target::from_compact(bits).to_be_bytes(),
            decimal_to_be_bytes(target),
            "target of period {} (from height {})",
            period + 1,
            (period + 1) * 2016
        );
        checked += 1;
    }
    assert_eq!(checked, 371, "one checkpoint per period up to 747935");
}

#[test]
fn retarget_with_a_negative_timespan_clamps_to_a_quarter_like_core() {
    let bits = CompactTarget::from_consensus(0x1b04_04cb);
    let quarter = CompactTarget::from_next_work_required(bits, 1_209_600 / 4, &Params::MAINNET);
    assert_eq!(
        retarget_bits(bits, 1_000_000, 2_000_000, &Params::MAINNET),
        quarter
    );
    assert_eq!(
        retarget_bits(bits, 1_000_000, 1_000_000, &Params::MAINNET),
        quarter
    );
    let four_times = CompactTarget::from_next_work_required(bits, 4 * 1_209_600, &Params::MAINNET);
    assert_eq!(
        retarget_bits(bits, u32::MAX, 0, &Params::MAINNET),
        four_times
    );
    assert_eq!(
        retarget_bits(
            CompactTarget::from_consensus(DIFFICULTY_1_BITS),
            u32::MAX,
            0,
            &Params::MAINNET
        ),
        CompactTarget::from_consensus(DIFFICULTY_1_BITS),
        "capped at the pow limit"
    );
}

//! Target `headers_presync`: Bitcoin Core's low-work headers sync
//! ([`node::protocol::headers_presync::HeadersPresync`]) fed arbitrary header sequences, in the
//! manner of Core's `headers_sync_state` fuzz target (`src/test/fuzz/headerssync.cpp`).
//!
//! Input: the network (mainnet, whose difficulty transitions are checked, or regtest), the
//! required work as a number of genesis-difficulty headers, the clock (which bounds the
//! commitments), then messages until the input ends or the sync stops asking for more. A
//! message is headers the fuzzer writes (generated runs that build on the last one with a
//! chosen difficulty, or up to 2000 raw 80-byte headers), or in REDOWNLOAD a replay of what PRESYNC took,
//! from where the redownload stands, possibly with one header changed; and whether it is
//! "full".
//!
//! Checked after every message:
//! - nothing panics, and a sync that stopped asking for more is final;
//! - REDOWNLOAD starts only once the headers PRESYNC took claim at least the required work
//!   (Core's assertion);
//! - released headers come in order, each building on the previous one from the start, and only
//!   either when the redownloaded chain claims the required work or while more than
//!   [`REDOWNLOAD_BUFFER_SIZE`] stay held back behind them (checked against their commitments);
//! - the commitments never exceed their bound, and the held-back buffer is at most
//!   [`REDOWNLOAD_BUFFER_SIZE`] once a message is processed.

use bitcoin::block::{Header, Version};
use bitcoin::constants::genesis_block;
use bitcoin::hashes::Hash;
use bitcoin::pow::{CompactTarget, Work};
use bitcoin::{BlockHash, Network, TxMerkleNode};
use node::protocol::headers_presync::{
    add_claimed_work, ChainStart, HeadersPresync, Phase, REDOWNLOAD_BUFFER_SIZE,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::input::{Reader, Writer};

/// Most headers one input may feed (keeps one input's run short); enough to pass the
/// redownload buffer.
const FED_HEADERS_MAX: usize = 40_000;

/// Runs one input (see the module docs); panics on a broken property.
pub fn check(data: &[u8]) {
    let mut reader = Reader::new(data);
    let network = if reader.bool() {
        Network::Bitcoin
    } else {
        Network::Regtest
    };
    let genesis = genesis_block(network).header;
    let required_headers = u64::from(reader.u16());
    let minimum_required_work = work_of(genesis.bits, required_headers);
    // The clock, in seconds after genesis: at least a day, so a valid chain may be long.
    let now_s = u64::from(genesis.time) + 86_400 + u64::from(reader.u32());
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(reader.u8()));
    let start = ChainStart {
        header: genesis,
        height: 0,
        chainwork: genesis.work(),
        median_time_past_s: genesis.time,
    };
    let mut sync = HeadersPresync::new(
        network,
        start,
        vec![genesis.block_hash()],
        minimum_required_work,
        &mut rng,
        now_s,
    );

    // What PRESYNC took, what REDOWNLOAD took (in order), and what was released.
    let mut presynced: Vec<Header> = Vec::new();
    let mut redownloaded: Vec<Header> = Vec::new();
    let mut released: Vec<Header> = Vec::new();
    let mut fed = 0usize;
    let mut counter = 0u32;

    while !reader.is_empty() && fed < FED_HEADERS_MAX {
        let phase = sync.phase();
        let last = match phase {
            Phase::Presync => presynced.last().copied().unwrap_or(genesis),
            _ => redownloaded.last().copied().unwrap_or(genesis),
        };
        let headers = match (phase, reader.u8() % 4) {
            (Phase::Redownload, 0 | 1) => {
                let from = redownloaded.len();
                let count = 1 + usize::from(reader.u16()) % 2000;
                let mut replay: Vec<Header> =
                    presynced.iter().skip(from).take(count).copied().collect();
                if reader.bool() && !replay.is_empty() {
                    let at = usize::from(reader.u16()) % replay.len();
                    replay[at].nonce ^= reader.u32() | 1;
                    relink(&mut replay, at);
                }
                replay
            }
            (_, 3) => {
                let count = 1 + usize::from(reader.u16()) % 2000;
                (0..count)
                    .map(|_| {
                        let bytes = reader.bytes(80);
                        let mut raw = [0u8; 80];
                        raw[..bytes.len()].copy_from_slice(bytes);
                        bitcoin::consensus::deserialize(&raw).expect("80 bytes are a header")
                    })
                    .collect()
            }
            _ => {
                let count = 1 + usize::from(reader.u16()) % 2000;
                let bits = match reader.u8() % 4 {
                    0 => CompactTarget::from_consensus(reader.u32()),
                    _ => last.bits,
                };
                let spacing_s = u32::from(reader.u8()) * 8;
                let mut previous = last;
                (0..count)
                    .map(|_| {
                        counter += 1;
                        let header = Header {
                            version: Version::from_consensus(4),
                            prev_blockhash: previous.block_hash(),
                            merkle_root: TxMerkleNode::all_zeros(),
                            time: previous.time.wrapping_add(spacing_s),
                            bits,
                            nonce: counter,
                        };
                        previous = header;
                        header
                    })
                    .collect()
            }
        };
        if headers.is_empty() {
            break;
        }
        fed += headers.len();
        let full = reader.bool();
        let outcome = sync.process(&headers, full);

        if outcome.request_more && phase == Phase::Presync {
            presynced.extend_from_slice(&headers);
        }
        if phase == Phase::Presync && sync.phase() == Phase::Redownload {
            let claimed = presynced
                .iter()
                .fold(genesis.work(), |work, h| add_claimed_work(work, h.work()));
            assert!(
                claimed >= minimum_required_work,
                "REDOWNLOAD started after PRESYNC took headers claiming {claimed} work, \
                 below the required {minimum_required_work}"
            );
        }
        if phase == Phase::Redownload {
            // The headers the sync accepted this message: all if it succeeded.
            if outcome.success {
                redownloaded.extend_from_slice(&headers);
            }
        }
        check_released(genesis, &redownloaded, &released, &outcome.released);
        if !outcome.released.is_empty() {
            let all_released = released.len() + outcome.released.len() == redownloaded.len();
            let redownload_work = redownloaded
                .iter()
                .fold(genesis.work(), |work, h| add_claimed_work(work, h.work()));
            let held_back = redownloaded.len() - released.len() - outcome.released.len();
            assert!(
                redownload_work >= minimum_required_work
                    || held_back == REDOWNLOAD_BUFFER_SIZE && !all_released,
                "released {} headers with {held_back} held back and the redownloaded chain \
                 claiming {redownload_work}, below the required {minimum_required_work}",
                outcome.released.len()
            );
        }
        released.extend_from_slice(&outcome.released);

        let sizes = sync.sizes();
        assert!(
            sizes.commitments as u64 <= sizes.commitments_max,
            "{} commitments, above the bound {}",
            sizes.commitments,
            sizes.commitments_max
        );
        assert!(
            sizes.redownloaded <= REDOWNLOAD_BUFFER_SIZE,
            "{} redownloaded headers held back, above {REDOWNLOAD_BUFFER_SIZE}",
            sizes.redownloaded
        );
        if !(outcome.success && outcome.request_more) {
            assert_eq!(
                sync.phase(),
                Phase::Final,
                "a sync that stopped is not final"
            );
            assert!(sync.next_locator().is_empty(), "a final sync asks for more");
            break;
        }
        assert_ne!(sync.phase(), Phase::Final, "a final sync asked for more");
    }
}

/// The work `count` headers of `bits` claim.
fn work_of(bits: CompactTarget, count: u64) -> Work {
    let one = bitcoin::Target::from_compact(bits).to_work();
    (0..count).fold(Work::from_be_bytes([0; 32]), |work, _| work + one)
}

/// After `headers[at]` changed, re-links the ones after it.
fn relink(headers: &mut [Header], at: usize) {
    for i in at + 1..headers.len() {
        headers[i].prev_blockhash = headers[i - 1].block_hash();
    }
}

/// `now` continues `before` as the next headers of `redownloaded` from the start.
fn check_released(genesis: Header, redownloaded: &[Header], before: &[Header], now: &[Header]) {
    let mut previous: BlockHash = before
        .last()
        .map_or(genesis.block_hash(), Header::block_hash);
    for (i, header) in now.iter().enumerate() {
        let position = before.len() + i;
        assert_eq!(
            Some(header),
            redownloaded.get(position),
            "released header {position} is not the redownloaded header at that position"
        );
        assert_eq!(
            header.prev_blockhash, previous,
            "released header {position} does not build on the one released before it"
        );
        previous = header.block_hash();
    }
}

/// A seed input: `network` (0 regtest, 1 mainnet), the required work in headers, then a
/// generated run of `count` headers presynced in full batches, then the same replayed in
/// REDOWNLOAD.
pub fn seed(mainnet: bool, required_headers: u16, count: u16) -> Vec<u8> {
    let mut writer = Writer::new();
    writer
        .u8(u8::from(mainnet))
        .u16(required_headers)
        .u32(0)
        .u8(7);
    let mut left = count;
    while left > 0 {
        let batch = left.min(2000);
        // a generated run of `batch` headers, same bits, 10 minutes apart (spacing byte 75 * 8 s)
        writer
            .u8(2)
            .u16(batch - 1)
            .u8(1)
            .u8(75)
            .u8(u8::from(batch == 2000));
        left -= batch;
    }
    let mut left = count;
    while left > 0 {
        let batch = left.min(2000);
        writer
            .u8(0)
            .u16(batch - 1)
            .u8(0)
            .u8(u8::from(batch == 2000));
        left -= batch;
    }
    writer.finish()
}

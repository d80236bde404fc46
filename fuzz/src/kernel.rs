//! Target `kernel_headers` (feature `kernel`): a header the fuzzer changes, on a parent both
//! validators know, gets the same verdict from the node's header validation
//! ([`HeaderChain::accept_headers`]) and from Bitcoin Core's own (`libbitcoinkernel`, through
//! `kernel_oracle::kernel::CoreHeaders`).
//!
//! Both validators live for the whole process and start from [`chains::main`] (regtest,
//! genesis..=2100), fed to both once. Input: a parent (a header of `main`, or one the fuzzer
//! made earlier that both accepted), then the new header's fields, each kept from a valid
//! child of that parent or taken from the input (version, previous hash, merkle root, time
//! offset, bits, nonce), and whether to search the nonce for regtest's proof of work.
//!
//! Checked: the two verdicts are equal (accepted, or rejected with the same reason class), as
//! `oracle/tests/kernel_oracle.rs` compares them. Skipped, as there: a header either validator
//! has seen before (Core remembers a rejected header as `duplicate-invalid`), and a header
//! within a minute of the two-hour future limit (both read the real clock, a moment apart).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, CompactTarget, Network, TxMerkleNode};
use kernel_oracle::kernel::CoreHeaders;
use kernel_oracle::verdict;
use node::protocol::header_chain::HeaderChain;

use crate::chains;
use crate::input::Reader;

/// Core `MAX_FUTURE_BLOCK_TIME` (`chain.h`), seconds.
const FUTURE_BLOCK_TIME_S_MAX: u64 = 2 * 60 * 60;
/// Headers this close to the future limit are skipped (the two clocks are read apart).
const CLOCK_RACE_S: u64 = 60;

/// The two validators and what they have seen.
struct Pair {
    ours: HeaderChain,
    core: CoreHeaders,
    /// Parents an input may pick: main's headers, then every header both accepted.
    parents: Vec<Header>,
    /// Every header handed to either.
    seen: BTreeSet<BlockHash>,
}

thread_local! {
    /// The pair for libFuzzer's one fuzzing thread, set up at its first input.
    static PAIR: RefCell<Option<Pair>> = const { RefCell::new(None) };
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

fn new_pair() -> Pair {
    let main = chains::main();
    let mut ours = HeaderChain::new(Network::Regtest);
    let core = CoreHeaders::new(Network::Regtest).expect("the kernel starts");
    let import = ours.accept_headers(&main[1..], now_s());
    assert!(
        import.error.is_none(),
        "the node refuses the fixture chain: {import:?}"
    );
    for header in &main[1..] {
        let verdict = core.process(header).expect("the kernel answers");
        assert!(
            verdict.is_accepted(),
            "the kernel refuses the fixture chain: {verdict}"
        );
    }
    Pair {
        ours,
        core,
        parents: main.to_vec(),
        seen: main.iter().map(Header::block_hash).collect(),
    }
}

/// Sets up the pair before the first input (the target's `init`): building the kernel's
/// chainstate and feeding it the fixture chain is the slow part, done once per process.
pub fn init() {
    PAIR.with(|cell| {
        cell.borrow_mut().get_or_insert_with(new_pair);
    });
}

/// Runs one input (see the module docs); panics when the verdicts differ.
pub fn check(data: &[u8]) {
    PAIR.with(|cell| {
        let mut slot = cell.borrow_mut();
        check_with(slot.get_or_insert_with(new_pair), data);
    });
}

fn check_with(pair: &mut Pair, data: &[u8]) {
    let mut reader = Reader::new(data);
    let parent = pair.parents[usize::from(reader.u16()) % pair.parents.len()];
    let fields = reader.u8();
    let mut header = Header {
        version: Version::from_consensus(0x2000_0000),
        prev_blockhash: parent.block_hash(),
        merkle_root: TxMerkleNode::from_byte_array([7; 32]),
        time: parent.time + 600,
        bits: parent.bits,
        nonce: 0,
    };
    if fields & 1 != 0 {
        header.version = Version::from_consensus(reader.u32() as i32);
    }
    if fields & 2 != 0 {
        let mut bytes = parent.block_hash().to_byte_array();
        bytes[usize::from(reader.u8()) % 32] ^= reader.u8() | 1;
        header.prev_blockhash = BlockHash::from_byte_array(bytes);
    }
    if fields & 4 != 0 {
        header.merkle_root = TxMerkleNode::from_byte_array([reader.u8(); 32]);
    }
    if fields & 8 != 0 {
        let offset = i64::from(reader.u32() as i32);
        header.time = (i64::from(parent.time) + offset).clamp(0, i64::from(u32::MAX)) as u32;
    }
    if fields & 16 != 0 {
        header.bits = CompactTarget::from_consensus(reader.u32());
    }
    header.nonce = reader.u32();
    if fields & 32 == 0 {
        // Regtest's target is met by about one hash in two: search a little.
        let target = header.target();
        for _ in 0..64 {
            if target.is_met_by(header.block_hash()) {
                break;
            }
            header.nonce = header.nonce.wrapping_add(1);
        }
    }

    let hash = header.block_hash();
    if !pair.seen.insert(hash) || pair.ours.contains(&hash) {
        return;
    }
    let now = now_s();
    if u64::from(header.time).abs_diff(now + FUTURE_BLOCK_TIME_S_MAX) <= CLOCK_RACE_S {
        return;
    }
    let import = pair.ours.accept_headers(&[header], now);
    let ours = verdict::ours(&import);
    let core = pair.core.process(&header).expect("the kernel answers");
    assert_eq!(
        ours,
        core,
        "the node and Bitcoin Core disagree on header {} (parent {}): ours {ours} [{:?}], core {core}",
        bitcoin::consensus::encode::serialize_hex(&header),
        parent.block_hash(),
        import.error
    );
    if ours.is_accepted() {
        pair.parents.push(header);
    }
}

//! Bitcoin Core's header validation (`libbitcoinkernel`) against the node's, header by header.
//!
//! Only with `--features kernel` (see `scripts/test-kernel`); without it this file compiles to
//! nothing.
//!
//! 1. Every real set is accepted by both, fed in 2000-header batches from genesis, and both end
//!    on the same best header: mainnet 0..=10236, testnet3 0..=9999, signet 0..=2015, a regtest
//!    chain mined here from a seed, and btcd's real-proof-of-work fork (side branch 3A-5A
//!    forking at height 2 and overtaking the main branch 0..=4).
//!    `mainnet_822528-830592.bin` is not used: the kernel only builds on headers it has from
//!    genesis (it has no trusted-starting-header mode), so a set that starts mid-chain cannot be
//!    given to it.
//! 2. A differential run of [`CASES`] mutated headers, each placed on a known parent of one of
//!    those chains and given to both validators; the verdicts (accept or reject, Core's
//!    `BlockValidationResult` class, and the reject reason) must be equal. Seeded ChaCha8
//!    (`ORACLE_SEED` overrides the default seed; the seed is printed).
#![cfg(feature = "kernel")]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::pow::{CompactTarget, Target};
use bitcoin::{BlockHash, Network, TxMerkleNode};
use kernel_oracle::data;
use kernel_oracle::kernel::CoreHeaders;
use kernel_oracle::verdict::{self, Verdict};
use node::protocol::header_chain::{HeaderChain, FUTURE_BLOCK_TIME_S_MAX, MEDIAN_TIME_SPAN};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Mutated headers per differential run.
const CASES: usize = 10_000;
/// Default seed of the differential run (`ORACLE_SEED` overrides it).
const DEFAULT_SEED: u64 = 0x6f72_6163_6c65; // "oracle"
/// Headers per `headers` message, as peers send them.
const BATCH: usize = 2000;
/// Height of the regtest chain mined for these tests (past the 2016 retarget height).
const REGTEST_HEIGHT: u32 = 2100;
/// Seed of the regtest chain's headers (`sim::scenario::chain::extend_regtest`).
const REGTEST_SEED: u64 = 7;
/// Most signet mutants ground to valid proof of work per run (about 2^22 hashes each, near a
/// second; mainnet and testnet3 need 2^32 and are never ground).
const SIGNET_GROUND_MAX: usize = 24;
/// Seconds either side of the future-time limit where our clock reading and the kernel's could
/// fall on different sides; cases that land there are skipped, not compared.
const CLOCK_RACE_S: i64 = 2;

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// Both validators for one network, fed the same headers.
struct Pair {
    network: Network,
    ours: HeaderChain,
    core: CoreHeaders,
}

impl Pair {
    fn new(network: Network) -> Pair {
        Pair {
            network,
            ours: HeaderChain::new(network),
            core: CoreHeaders::new(network).expect("kernel chainstate"),
        }
    }

    /// Feeds `headers` (genesis excluded, each building on a known header) in 2000-header
    /// batches: every header must be accepted by both.
    fn accept_all(&mut self, what: &str, headers: &[Header]) {
        for batch in headers.chunks(BATCH) {
            let import = self.ours.accept_headers(batch, now_s());
            assert_eq!(
                import.error, None,
                "{what}: our validation rejected a real header"
            );
            for header in batch {
                let verdict = self.core.process(header).expect("kernel answers");
                assert_eq!(
                    verdict,
                    Verdict::Accepted,
                    "{what}: Core rejected {}",
                    header.block_hash()
                );
            }
        }
    }

    /// Both validators' best header: hash and height, equal.
    fn assert_same_best_header(&self, what: &str) -> BlockHash {
        let (core_hash, core_height) = self
            .core
            .best_header()
            .expect("Core always has a best header");
        assert_eq!(
            (self.ours.tip_hash(), i64::from(self.ours.tip_height())),
            (core_hash, i64::from(core_height)),
            "{what}: best header (ours, Core)"
        );
        core_hash
    }
}

/// A real set from genesis, or `None` (after a notice) when the data is missing outside CI.
fn real_set(relative: &str, network: Network) -> Option<Vec<Header>> {
    data::header_file(relative, network).unwrap_or_else(|e| panic!("{e}"))
}

/// Genesis and `REGTEST_HEIGHT` regtest headers mined the way the simulator mines them.
fn regtest_chain() -> Vec<Header> {
    let mut chain = vec![bitcoin::constants::genesis_block(Network::Regtest).header];
    sim::scenario::chain::extend_regtest(&mut chain, REGTEST_HEIGHT, REGTEST_SEED);
    chain
}

fn sync_real_set(network: Network, chain: &[Header], what: &str) {
    let mut pair = Pair::new(network);
    assert_eq!(
        pair.ours.tip_hash(),
        chain[0].block_hash(),
        "{what}: genesis"
    );
    pair.accept_all(what, &chain[1..]);
    let best = pair.assert_same_best_header(what);
    assert_eq!(
        best,
        chain[chain.len() - 1].block_hash(),
        "{what}: the last header is the best"
    );
}

#[test]
fn mainnet_0_to_10236_is_accepted_by_both() {
    if let Some(chain) = real_set("headers/mainnet_0-10236.bin", Network::Bitcoin) {
        sync_real_set(Network::Bitcoin, &chain, "mainnet 0..=10236");
    }
}

#[test]
fn testnet3_0_to_9999_is_accepted_by_both() {
    if let Some(chain) = real_set("headers/testnet3_0-9999.bin", Network::Testnet) {
        sync_real_set(Network::Testnet, &chain, "testnet3 0..=9999");
    }
}

#[test]
fn signet_0_to_2015_is_accepted_by_both() {
    if let Some(chain) = real_set("headers/signet_0-2015.bin", Network::Signet) {
        sync_real_set(Network::Signet, &chain, "signet 0..=2015");
    }
}

#[test]
fn a_mined_regtest_chain_is_accepted_by_both() {
    sync_real_set(Network::Regtest, &regtest_chain(), "regtest 0..=2100");
}

/// The regtest chains the scenarios use are chains of whole blocks (each header commits to its
/// coinbase: `sim::scenario::chain::regtest_coinbase`), which `sim conform`'s played peers
/// serve to a real bitcoind. Core connects every block of a chain and of a fork that overtakes
/// it, and ends with the fork's tip as its active tip.
#[test]
fn mined_regtest_blocks_are_connected_by_the_kernel_on_both_sides_of_a_fork() {
    use sim::scenario::chain::{ChainSpec, ForkSpec};
    let core = CoreHeaders::new(Network::Regtest).expect("kernel");
    let main = ChainSpec::Regtest {
        height: 150,
        seed: REGTEST_SEED,
        fork: None,
    };
    let fork = ChainSpec::Regtest {
        height: 160,
        seed: REGTEST_SEED + 1,
        fork: Some(ForkSpec {
            seed: REGTEST_SEED,
            height: 120,
        }),
    };
    for (what, spec) in [("main chain", &main), ("fork", &fork)] {
        let blocks = spec.regtest_blocks().expect("builds").expect("regtest");
        for (height, block) in blocks.iter().enumerate().skip(1) {
            assert!(
                core.process_block(block).expect("kernel takes the block"),
                "{what}: Core rejected the whole block at height {height}"
            );
        }
        let tip = blocks.last().expect("a tip");
        assert_eq!(
            core.active_tip(),
            (tip.block_hash(), blocks.len() as i32 - 1),
            "{what}: Core's active tip is the chain's last block"
        );
    }
    // The check can fail: a block whose coinbase claims the wrong height (BIP 34) is refused.
    let tip = fork.build().expect("builds");
    let height = tip.len() as u32;
    let parent = tip.last().expect("a tip");
    let coinbase = sim::scenario::chain::regtest_coinbase(height + 1, REGTEST_SEED);
    let mut header = *parent;
    header.prev_blockhash = parent.block_hash();
    header.time += 600;
    header.merkle_root = TxMerkleNode::from_raw_hash(coinbase.compute_txid().to_raw_hash());
    let target = Target::from_compact(header.bits);
    header.nonce = 0;
    while !target.is_met_by(header.block_hash()) {
        header.nonce += 1;
    }
    let wrong = bitcoin::Block {
        header,
        txdata: vec![coinbase],
    };
    assert!(!core.process_block(&wrong).expect("kernel takes the block"));
    assert_eq!(
        core.active_tip().1,
        height as i32 - 1,
        "the tip did not move"
    );
}

#[test]
fn btcd_fork_is_accepted_by_both_and_both_reorganise_to_5a() {
    let files = ["blk_0_to_4.dat", "blk_3A.dat", "blk_4A.dat", "blk_5A.dat"];
    let mut sets = Vec::new();
    for file in files {
        match data::block_file_headers(&format!("blocks/btcd-fork/{file}"), Network::Bitcoin)
            .unwrap_or_else(|e| panic!("{e}"))
        {
            Some(headers) => sets.push(headers),
            None => return,
        }
    }
    let main = &sets[0];
    assert_eq!(main.len(), 5, "blk_0_to_4.dat holds blocks 0..=4");
    assert_eq!(
        main[0],
        bitcoin::constants::genesis_block(Network::Bitcoin).header
    );
    let side: Vec<Header> = sets[1..].iter().flatten().copied().collect();
    assert_eq!(side.len(), 3, "3A, 4A, 5A");
    assert_eq!(
        side[0].prev_blockhash,
        main[2].block_hash(),
        "3A forks at height 2"
    );

    let mut pair = Pair::new(Network::Bitcoin);
    pair.accept_all("btcd main branch", &main[1..]);
    assert_eq!(
        pair.assert_same_best_header("btcd main branch"),
        main[4].block_hash()
    );
    pair.accept_all("btcd side branch", &side);
    assert_eq!(
        pair.assert_same_best_header("btcd side branch"),
        side[2].block_hash()
    );
    assert_eq!(pair.ours.tip_height(), 5);
}

// ----- the differential run -----

/// One network's chain loaded into both validators, and what the run needs to build mutants.
struct Net {
    pair: Pair,
    /// The real chain, `chain[h]` at height `h`.
    chain: Vec<Header>,
    /// Height of every real header by hash.
    heights: BTreeMap<BlockHash, u32>,
    /// Whether mutants get valid proof of work: always on regtest, up to a budget on signet.
    grind: Grind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grind {
    Always,
    Budget,
    Never,
}

impl Net {
    fn load(network: Network, chain: Vec<Header>, grind: Grind) -> Net {
        let mut pair = Pair::new(network);
        pair.accept_all(&format!("{network:?} set"), &chain[1..]);
        let heights = chain
            .iter()
            .enumerate()
            .map(|(h, header)| (header.block_hash(), h as u32))
            .collect();
        Net {
            pair,
            chain,
            heights,
            grind,
        }
    }

    fn tip_height(&self) -> u32 {
        self.chain.len() as u32 - 1
    }

    /// Core `GetMedianTimePast` of the real header at `height`.
    fn median_time_past(&self, height: u32) -> u32 {
        let from = (height as usize + 1).saturating_sub(MEDIAN_TIME_SPAN);
        let mut times: Vec<u32> = self.chain[from..=height as usize]
            .iter()
            .map(|h| h.time)
            .collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    fn limit_bits(&self) -> u32 {
        self.pair
            .network
            .params()
            .max_attainable_target
            .to_compact_lossy()
            .to_consensus()
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[(rng.next_u32() as usize) % items.len()]
}

fn chance(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    rng.next_u32() % 100 < percent
}

fn random_hash(rng: &mut ChaCha8Rng) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// The parent height of a new case: a third near the retarget boundaries (children at heights
/// ≡ 2015, 0 or 1 mod 2016), some on the tip, the rest anywhere.
fn pick_parent(rng: &mut ChaCha8Rng, net: &Net) -> u32 {
    let tip = net.tip_height();
    match rng.next_u32() % 100 {
        0..=34 if tip >= 2015 => {
            let periods = (tip + 1) / 2016;
            let boundary = 2016 * (1 + rng.next_u32() % periods.max(1));
            let child = boundary + pick(rng, &[0u32, 1, 2]) - 1; // 2016k-1, 2016k, 2016k+1
            child.min(tip + 1) - 1
        }
        35..=49 => tip,
        _ => rng.next_u32() % (tip + 1),
    }
}

/// Grinds the nonce until the header meets the target of its bits, if that is cheap enough
/// (`max_work_bits`: at most about 2^max_work_bits hashes expected). Returns whether it did.
fn grind(header: &mut Header, max_work_bits: u32) -> bool {
    let bits = header.bits.to_consensus();
    let exponent = bits >> 24;
    let mantissa = bits & 0x007f_ffff;
    if bits & 0x0080_0000 != 0 || mantissa == 0 || !(3..=32).contains(&exponent) {
        return false; // Core rejects these bits whatever the hash; no point grinding
    }
    let target = Target::from_compact(header.bits);
    // Expected hashes ≈ 2^256 / target; cheap when the target has few leading zero bits.
    let leading_zero_bits = target.to_be_bytes().iter().take_while(|b| **b == 0).count() as u32 * 8
        + target
            .to_be_bytes()
            .iter()
            .find(|b| **b != 0)
            .map_or(0, |b| b.leading_zeros());
    if leading_zero_bits > max_work_bits {
        return false;
    }
    while !target.is_met_by(header.block_hash()) {
        header.nonce = header.nonce.wrapping_add(1);
    }
    true
}

/// Builds one mutant of a known header context. Returns the header and what was changed.
fn make_case(rng: &mut ChaCha8Rng, net: &Net, signet_ground: &mut usize) -> (Header, Vec<String>) {
    let mut mutation: Vec<String> = Vec::new();
    let mut parent_height = pick_parent(rng, net);
    let tip = net.tip_height();
    // The base: the real child if there is one, else a plausible child of the tip.
    let mut header = if parent_height < tip {
        net.chain[parent_height as usize + 1]
    } else {
        let parent = net.chain[parent_height as usize];
        Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: parent.block_hash(),
            merkle_root: TxMerkleNode::from_byte_array(random_hash(rng)),
            time: parent.time.max(net.median_time_past(parent_height)) + 600,
            bits: parent.bits,
            nonce: 0,
        }
    };
    mutation.push(format!(
        "base {}",
        if parent_height < tip {
            "real child"
        } else {
            "new child of the tip"
        }
    ));

    // Which fields: one, or a combination of two or three.
    let mut fields: BTreeSet<u32> = BTreeSet::new();
    let count = pick(rng, &[1usize, 1, 1, 2, 2, 3]);
    while fields.len() < count {
        fields.insert(rng.next_u32() % 6);
    }

    // prev_blockhash first: it decides the context of the other fields.
    if fields.contains(&4) {
        match rng.next_u32() % 3 {
            0 => {
                header.prev_blockhash = BlockHash::from_byte_array(random_hash(rng));
                mutation.push("prev random (unknown)".into());
            }
            1 => {
                header.prev_blockhash = BlockHash::all_zeros();
                mutation.push("prev zero".into());
            }
            _ => {
                parent_height = rng.next_u32() % (tip + 1);
                header.prev_blockhash = net.chain[parent_height as usize].block_hash();
                mutation.push(format!("prev = real header {parent_height}"));
            }
        }
    }
    let parent = net.chain[parent_height as usize];
    let mtp = net.median_time_past(parent_height);

    if fields.contains(&0) {
        let limit = net.limit_bits();
        let parent_bits = parent.bits.to_consensus();
        let retarget = CompactTarget::from_next_work_required(
            parent.bits,
            u64::from(
                parent
                    .time
                    .saturating_sub(net.chain[(parent_height.saturating_sub(2015)) as usize].time),
            ),
            net.pair.network.params(),
        )
        .to_consensus();
        let choices = [
            parent_bits,
            parent_bits.wrapping_add(1),
            parent_bits.wrapping_sub(1),
            limit,
            limit + 1,
            limit - 0x0100_0000, // 256 times harder (exponent one down)
            (limit & 0xff00_0000) | 0x0080_0000 | (limit & 0x7fff), // sign bit set
            limit & 0xff00_0000, // zero mantissa
            0xff00_ffff,         // overflows 256 bits
            0x2100_ffff,         // above every network's limit
            0x207f_ffff,
            0x1e03_77ae,
            0x1d00_ffff,
            0x1c7f_ffff,
            retarget,
            rng.next_u32(),
        ];
        let bits = pick(rng, &choices);
        header.bits = CompactTarget::from_consensus(bits);
        mutation.push(format!("bits {bits:#010x}"));
    }
    if fields.contains(&1) {
        let now = now_s() as i64;
        let limit = now + FUTURE_BLOCK_TIME_S_MAX as i64;
        let offset = 3 + i64::from(rng.next_u32() % 120);
        let (time, what): (i64, String) = match rng.next_u32() % 12 {
            0 => (i64::from(mtp), "time = MTP".into()),
            1 => (i64::from(mtp) + 1, "time = MTP + 1".into()),
            2 => (i64::from(mtp) - 1, "time = MTP - 1".into()),
            3 => (
                i64::from(parent.time) + 1200,
                "time = parent + 1200 (20-minute rule)".into(),
            ),
            4 => (
                i64::from(parent.time) + 1201,
                "time = parent + 1201 (20-minute rule)".into(),
            ),
            5 => (i64::from(parent.time) - 601, "time = parent - 601".into()),
            6 => (limit - offset, format!("time = now + 7200 - {offset}")),
            7 => (limit + offset, format!("time = now + 7200 + {offset}")),
            8 => (limit + 3600, "time = now + 7200 + 3600".into()),
            9 => (0, "time = 0".into()),
            10 => (i64::from(u32::MAX), "time = u32::MAX".into()),
            _ => (i64::from(rng.next_u32()), "time random".into()),
        };
        header.time = time.clamp(0, i64::from(u32::MAX)) as u32;
        mutation.push(what);
    }
    if fields.contains(&3) {
        let random = rng.next_u32() as i32;
        let version = pick(rng, &[0, 1, 2, 3, 4, -1, i32::MIN, 0x2000_0000, random]);
        header.version = Version::from_consensus(version);
        mutation.push(format!("version {version:#010x}"));
    }
    if fields.contains(&5) {
        header.merkle_root = TxMerkleNode::from_byte_array(random_hash(rng));
        mutation.push("merkle root random".into());
    }
    let nonce_mutated = fields.contains(&2);
    if nonce_mutated {
        header.nonce = rng.next_u32();
        mutation.push("nonce random".into());
    }

    // Valid proof of work where it is affordable, so the contextual checks are reached.
    let ground = match net.grind {
        _ if nonce_mutated => false,
        Grind::Always => grind(&mut header, 20),
        Grind::Budget if *signet_ground < SIGNET_GROUND_MAX && chance(rng, 20) => {
            let done = grind(&mut header, 24);
            *signet_ground += usize::from(done);
            done
        }
        _ => false,
    };
    if ground {
        mutation.push("proof of work ground".into());
    }
    (header, mutation)
}

#[test]
fn differential_mutated_headers_get_the_same_verdict_from_both() {
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .map(|s| {
            s.parse::<u64>()
                .unwrap_or_else(|e| panic!("ORACLE_SEED={s:?}: {e}"))
        })
        .unwrap_or(DEFAULT_SEED);
    println!("differential seed {seed} (ORACLE_SEED={seed} repeats it)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = Instant::now();

    let mut nets: Vec<Net> = Vec::new();
    for (relative, network, grind) in [
        (
            "headers/mainnet_0-10236.bin",
            Network::Bitcoin,
            Grind::Never,
        ),
        (
            "headers/testnet3_0-9999.bin",
            Network::Testnet,
            Grind::Never,
        ),
        ("headers/signet_0-2015.bin", Network::Signet, Grind::Budget),
    ] {
        if let Some(chain) = real_set(relative, network) {
            nets.push(Net::load(network, chain, grind));
        }
    }
    nets.push(Net::load(Network::Regtest, regtest_chain(), Grind::Always));
    // Regtest (cheap proof of work, every contextual rule reachable) gets three quarters of the
    // cases, the real sets a twelfth each.
    let regtest_weight = 3 * (nets.len() - 1).max(1);
    let weights: Vec<usize> = nets
        .iter()
        .map(|n| {
            if n.pair.network == Network::Regtest {
                regtest_weight
            } else {
                1
            }
        })
        .collect();
    let total_weight: usize = weights.iter().sum();
    let loaded = started.elapsed();

    let mut submitted: BTreeSet<BlockHash> = BTreeSet::new();
    let mut disagreements: Vec<String> = Vec::new();
    let mut tally: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut signet_ground = 0usize;
    let mut compared = 0usize;
    let mut skipped_duplicate = 0usize;
    let mut skipped_clock = 0usize;
    let mut case = 0usize;
    while compared < CASES {
        case += 1;
        let mut draw = (rng.next_u32() as usize) % total_weight;
        let index = weights
            .iter()
            .position(|w| {
                if draw < *w {
                    true
                } else {
                    draw -= w;
                    false
                }
            })
            .expect("weights cover the draw");
        let net = &mut nets[index];
        let (header, mutation) = make_case(&mut rng, net, &mut signet_ground);
        let hash = header.block_hash();
        if !submitted.insert(hash) || net.pair.ours.contains(&hash) {
            skipped_duplicate += 1;
            continue;
        }
        let now = now_s();
        let distance = i64::from(header.time) - (now as i64 + FUTURE_BLOCK_TIME_S_MAX as i64);
        if distance.abs() <= CLOCK_RACE_S {
            skipped_clock += 1;
            continue;
        }
        let import = net.pair.ours.accept_headers(&[header], now);
        let ours = verdict::ours(&import);
        let core = net.pair.core.process(&header).expect("kernel answers");
        compared += 1;
        let network = net.pair.network;
        *tally
            .entry((format!("{network:?}"), ours.to_string()))
            .or_default() += 1;
        if ours != core {
            let height = net
                .heights
                .get(&header.prev_blockhash)
                .map_or("unknown parent".to_owned(), |h| (h + 1).to_string());
            disagreements.push(format!(
                "seed {seed} case {case} {network:?} height {height}: {}\n  header {}\n  ours: {ours}{}\n  core: {core}",
                mutation.join(", "),
                bitcoin::consensus::encode::serialize_hex(&header),
                import.error.map(|e| format!(" [{e}]")).unwrap_or_default(),
            ));
        }
    }

    for net in &nets {
        net.pair.assert_same_best_header(&format!(
            "{:?} after the differential run",
            net.pair.network
        ));
    }
    println!("our verdicts by network (Core's were the same, except for the disagreements below):");
    for ((network, verdict), count) in &tally {
        println!("  {network:8} {count:6}  {verdict}");
    }
    println!(
        "differential: {compared} cases compared (constant CASES = {CASES}), seed {seed}, {} disagreements; \
         {signet_ground} signet mutants ground; skipped {skipped_duplicate} duplicates and {skipped_clock} within {CLOCK_RACE_S} s of the future limit; \
         {:.1} s loading the sets into both, {:.1} s for the cases",
        disagreements.len(),
        loaded.as_secs_f64(),
        (started.elapsed() - loaded).as_secs_f64(),
    );
    if !disagreements.is_empty() {
        let first: Vec<&str> = disagreements.iter().take(20).map(String::as_str).collect();
        panic!(
            "{} disagreements with Core (first 20):\n{}",
            disagreements.len(),
            first.join("\n")
        );
    }
}

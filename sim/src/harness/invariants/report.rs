//! The invariants' names and descriptions ([`INVARIANTS`]), a broken one ([`Violation`]) and
//! how each fared in a run ([`InvariantReport`]).

use serde::Serialize;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's name (one of [`InvariantReport::name`]).
    pub invariant: &'static str,
    /// Simulated milliseconds since the start of the run at which it was seen broken.
    pub at_ms: u64,
    /// The run's seed.
    pub seed: u64,
    /// The connection it concerns (`host#id`), for the profile rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// What was seen, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invariant `{}` violated at {} ms (seed {})",
            self.invariant, self.at_ms, self.seed
        )?;
        if let Some(peer) = &self.peer {
            write!(f, " by peer {peer}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// How one invariant fared in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvariantReport {
    /// Its name, in snake case (`tip_work_never_decreases`).
    pub name: &'static str,
    /// What it asserts, in one sentence.
    pub description: &'static str,
    /// Whether it applied to this run (liveness needs an honest reachable peer and enough
    /// simulated time after the last fault); an invariant that did not apply passes.
    pub applied: bool,
    /// The first violation seen, if any.
    pub violation: Option<Violation>,
}

/// `store_matches_committed`.
pub const STORE_MATCHES_COMMITTED: &str = "store_matches_committed";
/// `store_matches_best_chain`.
pub const STORE_MATCHES_BEST_CHAIN: &str = "store_matches_best_chain";
/// `stored_chain_valid`.
pub const STORED_CHAIN_VALID: &str = "stored_chain_valid";
/// `headers_follow_consensus`.
pub const HEADERS_FOLLOW_CONSENSUS: &str = "headers_follow_consensus";
/// `node_reads_what_was_written`.
pub const NODE_READS_WHAT_WAS_WRITTEN: &str = "node_reads_what_was_written";
/// `tip_work_increases`.
pub const TIP_WORK_INCREASES: &str = "tip_work_increases";
/// `queues_bounded`.
pub const QUEUES_BOUNDED: &str = "queues_bounded";
/// `locators_well_formed`.
pub const LOCATORS_WELL_FORMED: &str = "locators_well_formed";
/// `disconnects_have_reasons`.
pub const DISCONNECTS_HAVE_REASONS: &str = "disconnects_have_reasons";
/// `deadlines_kept`.
pub const DEADLINES_KEPT: &str = "deadlines_kept";
/// `redials_back_off`.
pub const REDIALS_BACK_OFF: &str = "redials_back_off";
/// `liveness`.
pub const LIVENESS: &str = "liveness";

/// Every invariant with its description, in report order.
pub const INVARIANTS: [(&str, &str); 12] = [
    (STORED_CHAIN_VALID, "the stored chain is linked from its base and every stored header passes full validation"),
    (HEADERS_FOLLOW_CONSENSUS, "the stored chain follows its network's consensus rules (link, proof of work, required bits with retargets and testnet3's exception, median time past, future limit, version floors, checkpoints) as checked by code independent of the node's validation"),
    (STORE_MATCHES_COMMITTED, "after a crash the node restarts from exactly the last committed best chain, and the store at the end holds exactly the committed rows"),
    (STORE_MATCHES_BEST_CHAIN, "after every event the store's top row is the node's best header: nothing from a rejected batch is stored, and no best-chain change is left unstored"),
    (TIP_WORK_INCREASES, "the best chain only ever moves to a chain with strictly more work"),
    (QUEUES_BOUNDED, "no peer's outbound queue exceeds its message or byte bound"),
    (NODE_READS_WHAT_WAS_WRITTEN, "on every connection the messages the node received are the ones the fake peer wrote, as rust-bitcoin's own decoder reads the same bytes (key fields compared), up to the node's first dropped message or the first bytes that are no frame"),
    (LOCATORS_WELL_FORMED, "every getheaders locator is a block locator (12 consecutive heights, then doubling steps, ending at the base), or Core's low-work sync form: one header, then the chain start's locator"),
    (DISCONNECTS_HAVE_REASONS, "every disconnect by the node carries a reason"),
    (DEADLINES_KEPT, "no peer stays connected past its handshake, idle, ping, stall or (Core, while another peer could take over) headers-sync deadline, and none is disconnected for one before it passed"),
    (REDIALS_BACK_OFF, "a permanent outbound target is never redialled sooner than the profile's retry interval after a failed dial or a lost connection"),
    (LIVENESS, "once faults stop and an honest peer with more work is reachable, the node reaches that peer's chainwork within the stated bound"),
];

//! Invariants checked on every run, whatever the scenario expects: safety of the header store
//! and the best chain, liveness once faults stop, and the node's deadlines and disconnect
//! reasons. A broken invariant is a [`Violation`] naming the invariant, the simulated time and
//! the seed.

//!
//! `report.rs` names the invariants, `checker.rs` checks them during and after a run,
//! `rules.rs` checks each profile's protocol rules on the events, `wire.rs` compares what the
//! node read with what the peers wrote, `consensus.rs` re-checks the stored chain's consensus rules independently of the node,
//! `liveness.rs` decides whether liveness applies and what it demands, `headers_sync.rs` holds
//! Core's headers-sync timeout to its upper bound.

mod checker;
mod consensus;
mod headers_sync;
mod liveness;
mod report;
mod rules;
mod wire;

pub use checker::Checker;
pub use consensus::{check_consensus, ChainBase};
pub use liveness::{chain_work, liveness, Liveness};
pub use report::{
    InvariantReport, Violation, DEADLINES_KEPT, DISCONNECTS_HAVE_REASONS, HEADERS_FOLLOW_CONSENSUS,
    INVARIANTS, LIVENESS, LOCATORS_WELL_FORMED, NODE_READS_WHAT_WAS_WRITTEN, QUEUES_BOUNDED,
    REDIALS_BACK_OFF, STORED_CHAIN_VALID, STORE_MATCHES_BEST_CHAIN, STORE_MATCHES_COMMITTED,
    TIP_WORK_INCREASES,
};
pub use rules::{
    btcd_payload_bytes_max, btcd_payload_limits, RuleBreach, AUTOMATIC_DIALS_COUNTED,
    BANNED_HOSTS_REFUSED, BANS_KEPT_ACROSS_RESTARTS, BLOCK_INVS_ANSWERED, BTCD_COMMANDS_READ,
    CORE_PAYLOAD_BYTES_MAX, DUPLICATE_HANDSHAKE_MESSAGES, FEATURES_BY_VERSION, FRAME_LIMITS_KEPT,
    GETHEADERS_NOT_REPEATED, GETHEADERS_TO_SYNC_PEER, HANDSHAKE_ORDER,
    HEADERS_SYNC_TIMEOUT_HANDED_OVER, INBOUND_LIMIT_KEPT, LOW_WORK_CHAINS_HELD_BACK,
    MESSAGES_BEFORE_HANDSHAKE, MISBEHAVIOUR_COUNTS_HOLD, NO_REJECT_UNDER_CORE,
    OUTBOUND_SERVICES_REQUIRED, PROOF_OF_WORK_CHECKED_FIRST, RULES, SELF_CONNECTIONS_REFUSED,
    SENDHEADERS_ONCE_SYNCED, SYNC_PEER_ELIGIBLE, SYNC_STALL_VERDICT, UNSERVED_REQUESTS_DISCONNECT,
    VERSION_GATES_KEPT,
};

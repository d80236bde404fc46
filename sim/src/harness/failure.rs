//! Why a run failed, as typed values: [`Failure`] (an expectation that does not hold, an
//! invariant violated, a fault that never fired) and [`Check`], the scenario expectation a
//! failure belongs to. `sim shrink`, `sim explore` and the report match on these; the
//! sentences are rendered once, for people.

use std::fmt;

use crate::harness::invariants::Violation;
use crate::scenario::TraceScope;

/// One reason a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An expectation of the scenario (`expect`) does not hold.
    Expectation {
        /// Which expectation.
        check: Check,
        /// What was found instead, in words.
        message: String,
    },
    /// An invariant was violated.
    Invariant(Violation),
    /// A second run with the same seed gave another trace (the suite's check).
    NotDeterministic(Divergence),
    /// The outcome differs from its reviewed snapshot (`sim suite`).
    SnapshotDiffers {
        /// Where, and how to review it, in words.
        message: String,
    },
    /// A configured fault never took effect.
    FaultNeverFired {
        /// Its index in the scenario's `faults`.
        index: usize,
        /// Its label.
        label: String,
        /// When it was due, in simulated milliseconds.
        start_ms: u64,
    },
}

impl Failure {
    /// What `sim explore` groups failing seeds by: the invariant's name, `fault never fired`,
    /// or the expectation's field path.
    pub fn group(&self) -> String {
        match self {
            Failure::Expectation { check, .. } => check.to_string(),
            Failure::Invariant(violation) => violation.invariant.to_string(),
            Failure::FaultNeverFired { .. } => "fault never fired".to_string(),
            Failure::SnapshotDiffers { .. } => "snapshot".to_string(),
            Failure::NotDeterministic(_) => "determinism".to_string(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Expectation { message, .. } | Failure::SnapshotDiffers { message } => {
                f.write_str(message)
            }
            Failure::Invariant(violation) => write!(f, "{violation}"),
            Failure::NotDeterministic(divergence) => write!(f, "{divergence}"),
            Failure::FaultNeverFired {
                index,
                label,
                start_ms,
            } => write!(f, "fault {index} `{label}` (at {start_ms} ms) never fired"),
        }
    }
}

/// The expectation of a scenario that a failure concerns, named as its field in the scenario
/// file's `expect`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// `tip_height`.
    TipHeight,
    /// `tip_hash`.
    TipHash,
    /// `stored_rows`.
    StoredRows,
    /// Always checked: the store's top row is the node's best header.
    StoreMatchesTip,
    /// `sent.COMMAND`: messages the node sent in all.
    Sent {
        /// The command.
        command: String,
    },
    /// `resumes_from_stored_tip`.
    ResumesFromStoredTip,
    /// `dials`: the automatic outbound dials.
    Dials,
    /// `trace_contains`.
    TraceContains {
        /// The text no line contained.
        needle: String,
        /// The lines it was looked for in (empty: all).
        scope: TraceScope,
    },
    /// `trace_lacks`.
    TraceLacks {
        /// The text a line contained.
        needle: String,
        /// The lines it was looked for in (empty: all).
        scope: TraceScope,
    },
    /// `peers.HOST.…`: an expectation about one peer.
    Peer {
        /// The peer's host.
        host: String,
        /// Which of its expectations.
        check: PeerCheck,
    },
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::TipHeight => f.write_str("expect.tip_height"),
            Check::TipHash => f.write_str("expect.tip_hash"),
            Check::StoredRows => f.write_str("expect.stored_rows"),
            Check::StoreMatchesTip => f.write_str("store matches the tip"),
            Check::Sent { command } => write!(f, "expect.sent.{command}"),
            Check::ResumesFromStoredTip => f.write_str("expect.resumes_from_stored_tip"),
            Check::Dials => f.write_str("expect.dials"),
            Check::TraceContains { needle, scope } => {
                write!(f, "expect.trace_contains {needle:?}{scope}")
            }
            Check::TraceLacks { needle, scope } => {
                write!(f, "expect.trace_lacks {needle:?}{scope}")
            }
            Check::Peer { host, check } => write!(f, "expect.peers.{host}.{check}"),
        }
    }
}

/// An expectation about one peer (`expect.peers.HOST`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeerCheck {
    /// The node connected to it at all (implied by any expectation about it).
    Connected,
    /// `runs.N`: its connections in one node run.
    Run {
        /// The node run.
        run: u32,
    },
    /// `connections[INDEX].…`: one of its connections (0 is the first).
    Connection {
        /// Its position among the host's connections (0 is the first).
        index: usize,
        /// Which of its expectations.
        check: ConnectionCheck,
    },
    /// `closed_by_peer`.
    ClosedByPeer,
    /// `headers_accepted`.
    HeadersAccepted,
    /// `reconnect_backoffs_ms`.
    ReconnectBackoffs,
    /// `received.COMMAND`.
    Received {
        /// The command.
        command: String,
    },
    /// `sent.COMMAND`.
    Sent {
        /// The command.
        command: String,
    },
    /// `pong_latency_ms_max`.
    PongLatency,
    /// `sent_sequence`.
    SentSequence,
    /// `sent_prefix`.
    SentPrefix,
    /// `handshake`.
    Handshake,
    /// `never_disconnected`.
    NeverDisconnected,
    /// Any of the disconnect expectations needs a disconnect that never came.
    Disconnected,
    /// `disconnect_reason`.
    DisconnectReason,
    /// `disconnected_at`.
    DisconnectedAt,
    /// `disconnected_after`.
    DisconnectedAfter,
}

impl fmt::Display for PeerCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerCheck::Connected => f.write_str("connected"),
            PeerCheck::Run { run } => write!(f, "runs.{run}"),
            PeerCheck::Connection { index, check } => write!(f, "connections[{index}].{check}"),
            PeerCheck::ClosedByPeer => f.write_str("closed_by_peer"),
            PeerCheck::HeadersAccepted => f.write_str("headers_accepted"),
            PeerCheck::ReconnectBackoffs => f.write_str("reconnect_backoffs_ms"),
            PeerCheck::Received { command } => write!(f, "received.{command}"),
            PeerCheck::Sent { command } => write!(f, "sent.{command}"),
            PeerCheck::PongLatency => f.write_str("pong_latency_ms_max"),
            PeerCheck::SentSequence => f.write_str("sent_sequence"),
            PeerCheck::SentPrefix => f.write_str("sent_prefix"),
            PeerCheck::Handshake => f.write_str("handshake"),
            PeerCheck::NeverDisconnected => f.write_str("never_disconnected"),
            PeerCheck::Disconnected => f.write_str("disconnected"),
            PeerCheck::DisconnectReason => f.write_str("disconnect_reason"),
            PeerCheck::DisconnectedAt => f.write_str("disconnected_at"),
            PeerCheck::DisconnectedAfter => f.write_str("disconnected_after"),
        }
    }
}

/// An expectation about one connection (`expect.peers.HOST.connections[INDEX]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnectionCheck {
    /// The connection exists (implied by any expectation about it).
    Exists,
    /// `handshake`.
    Handshake,
    /// `sent.COMMAND`.
    Sent {
        /// The command.
        command: String,
    },
    /// `received.COMMAND`.
    Received {
        /// The command.
        command: String,
    },
}

impl fmt::Display for ConnectionCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionCheck::Exists => f.write_str("exists"),
            ConnectionCheck::Handshake => f.write_str("handshake"),
            ConnectionCheck::Sent { command } => write!(f, "sent.{command}"),
            ConnectionCheck::Received { command } => write!(f, "received.{command}"),
        }
    }
}

/// The failures' sentences joined by `separator`.
pub fn joined(failures: &[Failure], separator: &str) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Two runs of one scenario whose traces differ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two runs with seed {seed} diverge at trace line {line}:\n  first:  {first:?}\n  second: {second:?}")]
pub struct Divergence {
    /// The seed both ran with.
    pub seed: u64,
    /// The first differing line (0-based; the shorter trace's length when one trace is a
    /// prefix of the other).
    pub line: usize,
    /// That line of the first run, if it has one.
    pub first: Option<String>,
    /// That line of the second run, if it has one.
    pub second: Option<String>,
}

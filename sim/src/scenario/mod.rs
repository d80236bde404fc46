//! What a run is: the scenario format (JSON files, loaded and validated), the same scenarios
//! built in Rust, and the chain fixtures the fake peers serve. Nothing here runs a simulation.
//!
//! The format's types are all reachable here (`sim::scenario::Fault`, ...); each file holds one
//! part of it:
//!
//! | file | holds |
//! |---|---|
//! | `format.rs` | [`Scenario`] itself, the node under test ([`NodeSpec`]) and the fake peers ([`PeerSpec`]) |
//! | `behaviour.rs` | how a fake peer behaves ([`Behaviour`]): presets and step-by-step scripts ([`Step`], [`SendSpec`]) |
//! | `frame.rs` | a frame written byte for byte ([`RawFrame`]) and the pieces a split write cuts |
//! | `version.rs` | every field of a fake peer's `version` ([`VersionFields`]), nonces taken from the node |
//! | `replay.rs` | a recorded real peer to replay ([`ReplayScript`]) |
//! | `fault.rs` | timed faults ([`FaultStep`], [`Fault`]) |
//! | `expect.rs` | what must hold at the end ([`Expect`], [`PeerExpect`]) |
//! | `load.rs` | [`Scenario::load`], [`Scenario::parse`] and [`Scenario::validate`]; [`json_files`] |
//! | [`builder`] | the same scenarios in typed Rust |
//! | [`chain`] | the chains fake peers serve ([`chain::ChainSpec`]) and their fixtures |

mod behaviour;
pub mod builder;
pub mod chain;
mod expect;
mod fault;
mod format;
mod frame;
mod load;
mod replay;
mod version;

pub use behaviour::{
    hex_bytes, Behaviour, SendSpec, Step, UnservedMessage, JUNK_PAYLOAD_BYTES_MAX,
    UNSERVED_COUNT_MAX,
};
pub use expect::{
    AfterSend, ConnectionExpect, DialWindow, DialsExpect, Expect, PeerExpect, RunExpect,
    TraceMatch, TraceScope, Window,
};
pub use fault::{
    BanFault, Fault, FaultKind, FaultStep, HeaderTimeSkew, Link, LinkLatency, LinkLoss,
    MessageAction, MessageFault, OneWay, VersionTimeSkew,
};
pub(crate) use format::{
    default_epoch_s, default_latency_ms_max, default_latency_ms_min, default_services,
    default_tick_ms, default_version,
};
pub use format::{
    CheckpointSpec, MinimumChainWork, NetworkName, NodeSpec, PeerSpec, ProfileName, Scenario,
    TimingOverrides, TrustedStartSpec,
};
pub use frame::{checksum_of, pieces, RawFrame};
pub use load::json_files;
#[cfg(test)]
pub(crate) use replay::test_message;
pub use replay::{ReplayClose, ReplayMessage, ReplayScript, Trigger};
pub use version::{PongNonce, VersionFields, VersionNonce, VersionTimestamp};

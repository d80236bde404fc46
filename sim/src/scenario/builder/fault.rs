//! Faults for [`super::ScenarioBuilder::fault_at_ms`] and
//! [`super::ScenarioBuilder::fault_for_ms`] (`faults[].fault`).

use crate::scenario::{
    BanFault, Fault, HeaderTimeSkew, Link, LinkLatency, LinkLoss, MessageAction, MessageFault,
    OneWay, VersionTimeSkew,
};

fn link(a: impl Into<String>, b: impl Into<String>) -> Link {
    Link {
        a: a.into(),
        b: b.into(),
    }
}

fn one_way(from: impl Into<String>, to: impl Into<String>) -> OneWay {
    OneWay {
        from: from.into(),
        to: to.into(),
    }
}

/// Drops everything between `a` and `b`, both ways.
pub fn partition(a: impl Into<String>, b: impl Into<String>) -> Fault {
    Fault::Partition(link(a, b))
}

/// Undoes a partition between `a` and `b`.
pub fn repair(a: impl Into<String>, b: impl Into<String>) -> Fault {
    Fault::Repair(link(a, b))
}

/// Drops everything `from` sends to `to`.
pub fn partition_oneway(from: impl Into<String>, to: impl Into<String>) -> Fault {
    Fault::PartitionOneway(one_way(from, to))
}

/// Undoes a one-way partition.
pub fn repair_oneway(from: impl Into<String>, to: impl Into<String>) -> Fault {
    Fault::RepairOneway(one_way(from, to))
}

/// Holds messages between `a` and `b`.
pub fn hold(a: impl Into<String>, b: impl Into<String>) -> Fault {
    Fault::Hold(link(a, b))
}

/// Delivers held messages between `a` and `b`.
pub fn release(a: impl Into<String>, b: impl Into<String>) -> Fault {
    Fault::Release(link(a, b))
}

/// Kills `host`'s software.
pub fn crash(host: impl Into<String>) -> Fault {
    Fault::Crash(host.into())
}

/// Starts a crashed `host` again.
pub fn restart(host: impl Into<String>) -> Fault {
    Fault::Restart(host.into())
}

/// Fake peer `host` refuses every dial to it (closes its listener; undo with `for_ms`).
pub fn refuse_dials(host: impl Into<String>) -> Fault {
    Fault::RefuseDials(host.into())
}

/// Bans `host` on the running node for `duration_s`.
pub fn ban(host: impl Into<String>, duration_s: u64) -> Fault {
    Fault::Ban(BanFault {
        host: host.into(),
        duration_s,
    })
}

/// A fixed latency on the link between `a` and `b`.
pub fn latency(a: impl Into<String>, b: impl Into<String>, latency_ms: u64) -> Fault {
    Fault::Latency(LinkLatency {
        a: a.into(),
        b: b.into(),
        latency_ms,
    })
}

/// Loses messages between `a` and `b` at `per_mille` per thousand.
pub fn loss(a: impl Into<String>, b: impl Into<String>, per_mille: u32) -> Fault {
    Fault::Loss(LinkLoss {
        a: a.into(),
        b: b.into(),
        per_mille,
    })
}

/// Fake peer `peer` alters the `nth` (1: first) message of `command` it sends.
pub fn message(
    peer: impl Into<String>,
    command: impl Into<String>,
    nth: u32,
    action: MessageAction,
) -> Fault {
    Fault::Message(MessageFault {
        peer: peer.into(),
        command: command.into(),
        nth,
        action,
    })
}

/// Fake peer `peer`'s `version` clock runs `offset_s` off.
pub fn version_time_skew(peer: impl Into<String>, offset_s: i64) -> Fault {
    Fault::VersionTimeSkew(VersionTimeSkew {
        peer: peer.into(),
        offset_s,
    })
}

/// Fake peer `peer`'s headers from `from_height` up carry times `offset_s` off (regtest).
pub fn header_time_skew(peer: impl Into<String>, offset_s: i64, from_height: u32) -> Fault {
    Fault::HeaderTimeSkew(HeaderTimeSkew {
        peer: peer.into(),
        offset_s,
        from_height,
    })
}

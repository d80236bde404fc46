//! A scenario's timed faults (`faults`): turmoil's link and host faults, an operator's ban,
//! faults a fake peer applies to its own messages, and fake-peer clock skew.

use serde::{Deserialize, Serialize};

/// A fault at a simulated time.
///
/// ```json
/// {"at_ms": 30000, "for_ms": 60000, "fault": {"partition": {"a": "node", "b": "p1"}}}
/// {"at_ms": 0, "fault": {"message": {"peer": "p1", "command": "headers", "nth": 2, "action": "corrupt_checksum"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// When, in simulated milliseconds from the start: when a link or host fault is applied,
    /// or from when a message or clock fault counts messages.
    pub at_ms: u64,
    /// For a fault with an undo (partition, one-way partition, hold, crash, refused dials,
    /// latency, loss, version time skew): undo it this many milliseconds later (repair,
    /// release, restart, listen again, restore). Absent: it lasts until a later step undoes it, or to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
    /// What.
    pub fault: Fault,
}

/// Timed faults: turmoil's link and host faults, an operator's ban, faults a fake peer applies
/// to its own Bitcoin messages, and fake-peer clock skew. [`FaultKind`] is its variant without
/// the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[strum_discriminants(
    name(FaultKind),
    derive(PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "snake_case"),
    doc = "The kind of a [`Fault`]: its variant without the details (its name in a scenario file)."
)]
pub enum Fault {
    /// Drop everything between two hosts, both ways (turmoil `partition`; bytes in flight are
    /// lost, so a TCP connection across it stalls for good).
    Partition(Link),
    /// Undo a partition, both ways (turmoil `repair`).
    Repair(Link),
    /// Drop everything sent from `from` to `to` (turmoil `partition_oneway`).
    PartitionOneway(OneWay),
    /// Undo a one-way partition (turmoil `repair_oneway`).
    RepairOneway(OneWay),
    /// Hold messages between two hosts (delivered on release).
    Hold(Link),
    /// Deliver held messages.
    Release(Link),
    /// Kill a host's software (its files survive).
    Crash(String),
    /// Start a crashed or stopped host's software again.
    Restart(String),
    /// Ask the node to shut down cleanly, as on a signal: it disconnects every peer
    /// (`shutdown`), closes its store and its software ends; `for_ms` or a later `restart`
    /// starts it again. Only `node`.
    Stop(String),
    /// A fake peer refuses every dial to it: it closes its listener, so a connection attempt
    /// fails at once with "connection refused" (its SYN finds no listening port), unlike a
    /// `hold`, under which a dial waits for the node's dial timeout. Its open connections go
    /// on. The undo (`for_ms`) listens again.
    RefuseDials(String),
    /// Ban a host on the running node, as an operator would (`node::Node::ban`; Core
    /// `setban`).
    Ban(BanFault),
    /// Give the link between two hosts this fixed latency (turmoil `set_link_latency`); the
    /// undo restores the scenario's `latency_ms_min..latency_ms_max`.
    Latency(LinkLatency),
    /// Lose messages on the link between two hosts at this rate (turmoil
    /// `set_link_fail_rate`; a lost TCP segment stalls that connection for good); the undo sets
    /// the rate back to 0.
    Loss(LinkLoss),
    /// A fake peer alters the `nth` message of `command` it sends from `at_ms` on.
    Message(MessageFault),
    /// A fake peer's clock runs `offset_s` off from `at_ms` on: the timestamp of every
    /// `version` it sends is skewed.
    VersionTimeSkew(VersionTimeSkew),
    /// A fake peer's headers from `from_height` up carry times `offset_s` off (each then
    /// ground again and linked to the one before, so only the time is wrong; regtest only);
    /// served from `at_ms` on.
    HeaderTimeSkew(HeaderTimeSkew),
}

impl Fault {
    /// Whether a `for_ms` may undo this fault.
    pub fn has_undo(&self) -> bool {
        matches!(
            self,
            Fault::Partition(_)
                | Fault::PartitionOneway(_)
                | Fault::Hold(_)
                | Fault::Crash(_)
                | Fault::Stop(_)
                | Fault::RefuseDials(_)
                | Fault::Latency(_)
                | Fault::Loss(_)
                | Fault::VersionTimeSkew(_)
        )
    }

    /// Whether `later` undoes this fault: a `repair` of its partition, a `release` of its
    /// hold, a `repair_oneway` of its one-way partition, a `restart` after its crash or stop.
    pub fn is_undone_by(&self, later: &Fault) -> bool {
        let same = |a: &Link, b: &Link| (a.a == b.a && a.b == b.b) || (a.a == b.b && a.b == b.a);
        match (self, later) {
            (Fault::Partition(a), Fault::Repair(b)) | (Fault::Hold(a), Fault::Release(b)) => {
                same(a, b)
            }
            (Fault::PartitionOneway(a), Fault::RepairOneway(b)) => a == b,
            (Fault::Crash(a) | Fault::Stop(a), Fault::Restart(b)) => a == b,
            _ => false,
        }
    }

    /// The hosts the fault names, in order.
    pub fn hosts(&self) -> Vec<&String> {
        match self {
            Fault::Partition(l) | Fault::Repair(l) | Fault::Hold(l) | Fault::Release(l) => {
                vec![&l.a, &l.b]
            }
            Fault::PartitionOneway(o) | Fault::RepairOneway(o) => vec![&o.from, &o.to],
            Fault::Latency(l) => vec![&l.a, &l.b],
            Fault::Loss(l) => vec![&l.a, &l.b],
            Fault::Crash(h) | Fault::Restart(h) | Fault::Stop(h) | Fault::RefuseDials(h) => {
                vec![h]
            }
            Fault::Ban(ban) => vec![&ban.host],
            Fault::Message(m) => vec![&m.peer],
            Fault::VersionTimeSkew(v) => vec![&v.peer],
            Fault::HeaderTimeSkew(h) => vec![&h.peer],
        }
    }

    /// A short label: `partition node p1`, `message p1 headers #2 drop`.
    pub fn label(&self) -> String {
        match self {
            Fault::Partition(l) => format!("partition {} {}", l.a, l.b),
            Fault::Repair(l) => format!("repair {} {}", l.a, l.b),
            Fault::PartitionOneway(o) => format!("partition_oneway {} -> {}", o.from, o.to),
            Fault::RepairOneway(o) => format!("repair_oneway {} -> {}", o.from, o.to),
            Fault::Hold(l) => format!("hold {} {}", l.a, l.b),
            Fault::Release(l) => format!("release {} {}", l.a, l.b),
            Fault::Crash(h) => format!("crash {h}"),
            Fault::Restart(h) => format!("restart {h}"),
            Fault::Stop(h) => format!("stop {h}"),
            Fault::RefuseDials(h) => format!("refuse_dials {h}"),
            Fault::Ban(ban) => format!("ban {} duration_s={}", ban.host, ban.duration_s),
            Fault::Latency(l) => format!("latency {} {} latency_ms={}", l.a, l.b, l.latency_ms),
            Fault::Loss(l) => format!("loss {} {} per_mille={}", l.a, l.b, l.per_mille),
            Fault::Message(m) => format!(
                "message {} {} #{} {}",
                m.peer,
                m.command,
                m.nth,
                m.action.label()
            ),
            Fault::VersionTimeSkew(v) => {
                format!("version_time_skew {} offset_s={}", v.peer, v.offset_s)
            }
            Fault::HeaderTimeSkew(h) => {
                format!(
                    "header_time_skew {} offset_s={} from_height={}",
                    h.peer, h.offset_s, h.from_height
                )
            }
        }
    }
}

/// A manual ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanFault {
    /// The host (a fake peer's name).
    pub host: String,
    /// How long, in seconds (Core's `setban` default and btcd's `--banduration`: 86400).
    pub duration_s: u64,
}

/// Two hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
}

/// One direction between two hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneWay {
    /// The sender whose messages are dropped.
    pub from: String,
    /// The receiver.
    pub to: String,
}

/// A fixed latency on one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLatency {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Every message's latency on it, both ways.
    pub latency_ms: u64,
}

/// A loss rate on one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLoss {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Messages lost per thousand (1..=1000).
    pub per_mille: u32,
}

/// A fault a fake peer applies to one of its own messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageFault {
    /// The fake peer that sends the message.
    pub peer: String,
    /// The message's command (`headers`, `version`, `pong`, ...).
    pub command: String,
    /// Which one (1 is the first it sends from the step's `at_ms` on, over all its
    /// connections).
    pub nth: u32,
    /// What happens to it.
    pub action: MessageAction,
}

/// What a [`MessageFault`] does to its message. Partial writes are whole-frame prefixes: the
/// node's decoder then sees the next message's bytes where the rest was due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageAction {
    /// Not sent at all.
    Drop,
    /// Sent this many milliseconds late (what follows it waits too, as on one TCP stream).
    DelayMs(u64),
    /// Sent twice.
    Duplicate,
    /// Only its first `bytes` bytes are sent (at least 1, less than the frame).
    Truncate {
        /// Bytes written.
        bytes: u32,
    },
    /// Its 4-byte checksum is inverted.
    CorruptChecksum,
    /// Written in writes of `chunk_bytes` bytes, `gap_ms` apart.
    Split {
        /// Bytes per write (at least 1).
        chunk_bytes: u32,
        /// Pause between writes.
        gap_ms: u64,
    },
    /// Half of it is written, then the peer closes its side (FIN) and ends the connection
    /// once the node has closed too.
    CloseFin,
    /// Half of it is written, then the peer waits for the node's next bytes and drops the
    /// connection with them unread, which resets it (RST, in turmoil as in Linux). If the node
    /// closes first, the close is a FIN.
    CloseReset,
}

impl MessageAction {
    /// A short label (`drop`, `delay_ms=500`, `truncate bytes=30`).
    pub fn label(&self) -> String {
        match self {
            MessageAction::Drop => "drop".into(),
            MessageAction::DelayMs(ms) => format!("delay_ms={ms}"),
            MessageAction::Duplicate => "duplicate".into(),
            MessageAction::Truncate { bytes } => format!("truncate bytes={bytes}"),
            MessageAction::CorruptChecksum => "corrupt_checksum".into(),
            MessageAction::Split {
                chunk_bytes,
                gap_ms,
            } => format!("split chunk_bytes={chunk_bytes} gap_ms={gap_ms}"),
            MessageAction::CloseFin => "close_fin".into(),
            MessageAction::CloseReset => "close_reset".into(),
        }
    }
}

/// A fake peer's skewed `version` clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionTimeSkew {
    /// The fake peer.
    pub peer: String,
    /// Seconds added to its clock (negative: behind).
    pub offset_s: i64,
}

/// A fake peer's skewed header times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderTimeSkew {
    /// The fake peer.
    pub peer: String,
    /// Seconds added to each header's time (negative: earlier).
    pub offset_s: i64,
    /// First height whose time is skewed (at least 1).
    pub from_height: u32,
}

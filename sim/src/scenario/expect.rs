//! What must hold at the end of a run (`expect`): the node's tip and store, the messages it
//! sent, and per fake-peer host its connections, disconnects, pongs and redials.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A time window `[min_ms, max_ms)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Inclusive lower bound.
    pub min_ms: u64,
    /// Exclusive upper bound.
    pub max_ms: u64,
}

/// A window measured from the last time, before the disconnect, that the node sent `command`
/// on the disconnected connection (the request the peer failed to answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterSend {
    /// The command (`getheaders`).
    pub command: String,
    /// Inclusive lower bound after that send.
    pub min_ms: u64,
    /// Exclusive upper bound after that send.
    pub max_ms: u64,
}

/// What must hold at the end of the run. Every field is optional; each given one is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Best header height.
    #[serde(default)]
    pub tip_height: Option<u32>,
    /// Best header hash.
    #[serde(default)]
    pub tip_hash: Option<String>,
    /// Rows in the SQLite store after the run (it must also load and link).
    #[serde(default)]
    pub stored_rows: Option<u64>,
    /// Exact totals of messages the node sent, by command.
    #[serde(default)]
    pub sent: BTreeMap<String, u64>,
    /// Every restart's first `getheaders` starts at the tip it loaded from the store (btcd) or
    /// one header below it (Core's initial-sync locator), never lower.
    #[serde(default)]
    pub resumes_from_stored_tip: Option<bool>,
    /// Per fake-peer host.
    #[serde(default)]
    pub peers: BTreeMap<String, PeerExpect>,
    /// Each of these texts appears in some trace line (for example a log line such as
    /// `Ignoring low-work chain (height=14)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_contains: Vec<String>,
    /// None of these texts appears in any trace line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_lacks: Vec<String>,
    /// Automatic outbound dials (`node.addresses`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dials: Option<DialsExpect>,
}

/// Expectations about the node's automatic outbound dials, over all node runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DialsExpect {
    /// The delay before the request that replaces each failed automatic dial, in order, as
    /// runs `[delay_ms, count]`: `[[0, 24], [5000, 8]]` is 24 immediate replacements, then 8
    /// after 5 s. The recorded delays must start with exactly these.
    #[serde(default)]
    pub retry_runs_ms: Vec<[u64; 2]>,
    /// Counts of automatic dials in time windows.
    #[serde(default)]
    pub windows: Vec<DialWindow>,
}

/// A count of automatic dials started in `[start + min_ms, start + max_ms)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialWindow {
    /// The window is measured from the time of this automatic dial failure (1 is the first)
    /// and counts only dials started after it; absent: from the start of the simulation.
    #[serde(default)]
    pub after_failure: Option<u64>,
    /// Inclusive lower bound after the start.
    pub min_ms: u64,
    /// Exclusive upper bound after the start.
    pub max_ms: u64,
    /// At least this many dials.
    #[serde(default)]
    pub dials_min: Option<u64>,
    /// At most this many dials.
    #[serde(default)]
    pub dials_max: Option<u64>,
}

/// Expectations about the node's connections with one host during one node run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RunExpect {
    /// At least this many connections.
    #[serde(default)]
    pub connections_min: Option<u64>,
    /// Exactly this many of them finished their handshake.
    #[serde(default)]
    pub handshakes: Option<u64>,
    /// The node ended every one of them, each with a reason containing this text.
    #[serde(default)]
    pub all_disconnected: Option<String>,
    /// The node ended none of them.
    #[serde(default)]
    pub never_disconnected: Option<bool>,
}

/// Expectations about the node's connections to one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeerExpect {
    /// Whether the first connection finished its handshake.
    #[serde(default)]
    pub handshake: Option<bool>,
    /// The first disconnect by the node has a reason containing this text.
    #[serde(default)]
    pub disconnect_reason: Option<String>,
    /// The first disconnect by the node falls in this window of absolute simulated time.
    #[serde(default)]
    pub disconnected_at: Option<Window>,
    /// The first disconnect by the node falls in this window after the last send of a command
    /// on that connection.
    #[serde(default)]
    pub disconnected_after: Option<AfterSend>,
    /// Whether the node never disconnected this host.
    #[serde(default)]
    pub never_disconnected: Option<bool>,
    /// Exact counts of messages the node sent to this host over all connections, by command.
    #[serde(default)]
    pub sent: BTreeMap<String, u64>,
    /// Exact counts of messages the node received from this host over all connections.
    #[serde(default)]
    pub received: BTreeMap<String, u64>,
    /// Headers from this host that the node added to its index, over all connections.
    #[serde(default)]
    pub headers_accepted: Option<u64>,
    /// Every `ping` this host's fake peer sent (its script's and its honest ones) was answered:
    /// the node sent this host a `pong` with the same nonce at most this many milliseconds of
    /// simulated time after the peer wrote the ping (the pong's trip back is not counted). Fails
    /// if the peer sent no ping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pong_latency_ms_max: Option<u64>,
    /// Whether the first connection was ended by the peer (not by the node).
    #[serde(default)]
    pub closed_by_peer: Option<bool>,
    /// The redial backoffs of this outbound host start with these values, in milliseconds.
    #[serde(default)]
    pub reconnect_backoffs_ms: Option<Vec<u64>>,
    /// The commands the node sent on its first connection to this host, exactly and in order
    /// (what `sim record` writes from a live session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_sequence: Option<Vec<String>>,
    /// Per node run (`1` is the first start, `2` the first restart), its connections with
    /// this host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runs: BTreeMap<u32, RunExpect>,
}

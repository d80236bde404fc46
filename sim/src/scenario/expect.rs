//! What must hold at the end of a run (`expect`): the node's tip and store, the messages it
//! sent, and per fake-peer host its connections, disconnects, pongs and redials.

use std::collections::BTreeMap;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    /// `Ignoring low-work chain (height=14)`), or in some line of its [`TraceScope`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_contains: Vec<TraceMatch>,
    /// None of these texts appears in any trace line (of its [`TraceScope`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace_lacks: Vec<TraceMatch>,
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
    /// The first commands the node sent on its first connection to this host, in order; what
    /// follows them is not checked (for an order that holds only up to a point: messages
    /// answering two of the peer's messages may come in either order, as latencies fall).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_prefix: Option<Vec<String>>,
    /// Per node run (`1` is the first start, `2` the first restart), its connections with
    /// this host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runs: BTreeMap<u32, RunExpect>,
    /// Per connection, in order of establishment over all node runs (the first entry is the
    /// first connection): each listed connection exists and holds its expectations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<ConnectionExpect>,
}

/// Expectations about one connection of the node with a host
/// (`expect.peers.HOST.connections[k]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConnectionExpect {
    /// Whether it finished its handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<bool>,
    /// Exact counts of messages the node sent on it, by command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sent: BTreeMap<String, u64>,
    /// Exact counts of messages the node received on it, by command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub received: BTreeMap<String, u64>,
}

/// Which trace lines a [`TraceMatch`] looks at; every bound given narrows them, none: all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct TraceScope {
    /// Lines at or after this second of simulated time.
    pub from_s: Option<u64>,
    /// Lines before this second of simulated time.
    pub until_s: Option<u64>,
    /// Lines of the node about this host: its connections' lines and the node's dials to it
    /// (harness lines, such as faults, belong to no host).
    pub peer: Option<String>,
    /// Only the lines of the `peer`'s connection number `connection` (1 is the first, in
    /// order of establishment over all node runs); needs `peer`.
    pub connection: Option<u32>,
    /// Only lines of node run `run` (1 is the first start; harness lines belong to no run).
    pub run: Option<u32>,
}

impl TraceScope {
    /// True when it bounds nothing (every line).
    pub fn is_empty(&self) -> bool {
        *self == TraceScope::default()
    }
}

impl std::fmt::Display for TraceScope {
    /// The bounds as words (` in [10, 40) s, peer p connection 2, run 1`), empty when none.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        match (self.from_s, self.until_s) {
            (None, None) => {}
            (from, until) => parts.push(format!(
                "in [{}, {}) s",
                from.unwrap_or(0),
                until.map_or("end".to_string(), |u| u.to_string())
            )),
        }
        match (&self.peer, self.connection) {
            (Some(peer), Some(k)) => parts.push(format!("peer {peer} connection {k}")),
            (Some(peer), None) => parts.push(format!("peer {peer}")),
            (None, Some(k)) => parts.push(format!("connection {k}")),
            (None, None) => {}
        }
        if let Some(run) = self.run {
            parts.push(format!("run {run}"));
        }
        if !parts.is_empty() {
            write!(f, " {}", parts.join(", "))?;
        }
        Ok(())
    }
}

/// A text to look for in the trace lines of a [`TraceScope`]. Written as the text alone for
/// every line, or as an object:
///
/// ```json
/// "trace_contains": ["tip_changed", {"text": "dial_failed p:8333", "from_s": 0, "until_s": 10, "peer": "p"}]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceMatch {
    /// The text a line must contain.
    pub text: String,
    /// Which lines count.
    pub scope: TraceScope,
}

impl TraceMatch {
    /// `text`, in every line.
    pub fn new(text: impl Into<String>) -> TraceMatch {
        TraceMatch {
            text: text.into(),
            scope: TraceScope::default(),
        }
    }

    /// Only lines in `[from_s, until_s)` of simulated time.
    pub fn between_s(self, from_s: u64, until_s: u64) -> TraceMatch {
        self.from_s(from_s).until_s(until_s)
    }

    /// Only lines at or after second `from_s` of simulated time.
    pub fn from_s(mut self, from_s: u64) -> TraceMatch {
        self.scope.from_s = Some(from_s);
        self
    }

    /// Only lines before second `until_s` of simulated time.
    pub fn until_s(mut self, until_s: u64) -> TraceMatch {
        self.scope.until_s = Some(until_s);
        self
    }

    /// Only the node's lines about `host`.
    pub fn peer(mut self, host: impl Into<String>) -> TraceMatch {
        self.scope.peer = Some(host.into());
        self
    }

    /// Only the lines of `host`'s connection number `k` (1-based).
    pub fn connection(mut self, host: impl Into<String>, k: u32) -> TraceMatch {
        self.scope.peer = Some(host.into());
        self.scope.connection = Some(k);
        self
    }

    /// Only lines of node run `run` (1-based).
    pub fn run(mut self, run: u32) -> TraceMatch {
        self.scope.run = Some(run);
        self
    }
}

impl From<&str> for TraceMatch {
    fn from(text: &str) -> TraceMatch {
        TraceMatch::new(text)
    }
}

impl From<String> for TraceMatch {
    fn from(text: String) -> TraceMatch {
        TraceMatch::new(text)
    }
}

/// A [`TraceMatch`] as a JSON object.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceMatchFields {
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connection: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<u32>,
}

impl Serialize for TraceMatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.scope.is_empty() {
            return serializer.serialize_str(&self.text);
        }
        let scope = self.scope.clone();
        TraceMatchFields {
            text: self.text.clone(),
            from_s: scope.from_s,
            until_s: scope.until_s,
            peer: scope.peer,
            connection: scope.connection,
            run: scope.run,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TraceMatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TraceMatch, D::Error> {
        struct TextOrFields;
        impl<'de> Visitor<'de> for TextOrFields {
            type Value = TraceMatch;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a text, or an object with `text` and any of `from_s`, `until_s`, `peer`, `connection`, `run`")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<TraceMatch, E> {
                Ok(TraceMatch::new(text))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TraceMatch, A::Error> {
                let fields =
                    TraceMatchFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(TraceMatch {
                    text: fields.text,
                    scope: TraceScope {
                        from_s: fields.from_s,
                        until_s: fields.until_s,
                        peer: fields.peer,
                        connection: fields.connection,
                        run: fields.run,
                    },
                })
            }
        }
        deserializer.deserialize_any(TextOrFields)
    }
}

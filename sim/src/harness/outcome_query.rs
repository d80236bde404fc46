//! Typed questions a test asks of a run: the tip, the node's connections to one host, the
//! messages it exchanged with that host, whether and when it disconnected it, and what the
//! trace shows. They only read the public fields of [`Outcome`] and [`RunResult`], with the
//! meanings the expectation checks ([`Outcome::check`]) give them.

use node::{DisconnectReason, Event};

use crate::harness::outcome::Outcome;
use crate::harness::runner::RunResult;
use crate::harness::trace::{ConnectionRecord, PeerEnd, TraceEntry, TraceLine};

impl Outcome {
    /// The best header's hash, parsed (`None` when the outcome holds none or not a hash).
    pub fn tip_block_hash(&self) -> Option<bitcoin::BlockHash> {
        self.tip_hash.parse().ok()
    }

    /// The node's connections to `host`, in order of establishment, over all node runs.
    pub fn connections_to<'a>(
        &'a self,
        host: &'a str,
    ) -> impl Iterator<Item = &'a ConnectionRecord> + 'a {
        self.connections.iter().filter(move |c| c.host == host)
    }

    /// What happened between the node and `host`.
    pub fn host<'a>(&'a self, host: &'a str) -> HostOutcome<'a> {
        HostOutcome {
            host,
            connections: self.connections_to(host).collect(),
        }
    }
}

/// The node's connections to one host, and what a test asks of them ([`Outcome::host`]).
#[derive(Debug, Clone)]
pub struct HostOutcome<'a> {
    host: &'a str,
    connections: Vec<&'a ConnectionRecord>,
}

impl<'a> HostOutcome<'a> {
    /// The host.
    pub fn name(&self) -> &'a str {
        self.host
    }

    /// Its connections, in order of establishment, over all node runs.
    pub fn connections(&self) -> &[&'a ConnectionRecord] {
        &self.connections
    }

    /// Its connections during node run `run` (1: the first start).
    pub fn connections_in_run(&self, run: u32) -> impl Iterator<Item = &'a ConnectionRecord> + '_ {
        self.connections
            .iter()
            .copied()
            .filter(move |c| c.run == run)
    }

    /// Its first connection, if there was one.
    pub fn first(&self) -> Option<&'a ConnectionRecord> {
        self.connections.first().copied()
    }

    /// What its first connection was for (inbound, manual or outbound-full-relay), if there
    /// was one.
    pub fn connection_type(&self) -> Option<node::protocol::ConnectionType> {
        self.first().map(|c| c.connection_type)
    }

    /// Whether the first connection finished its handshake (what `expect.peers.HOST.handshake`
    /// checks); false without a connection.
    pub fn handshake_done(&self) -> bool {
        self.first().is_some_and(|c| c.handshake_at_ms.is_some())
    }

    /// How many of its connections finished their handshake.
    pub fn handshakes(&self) -> usize {
        self.connections
            .iter()
            .filter(|c| c.handshake_at_ms.is_some())
            .count()
    }

    /// Messages of `command` the node sent to it, over all connections.
    pub fn sent(&self, command: &str) -> u64 {
        self.connections
            .iter()
            .map(|c| c.sent.get(command).copied().unwrap_or(0))
            .sum()
    }

    /// Messages of `command` the node received from it, over all connections.
    pub fn received(&self, command: &str) -> u64 {
        self.connections
            .iter()
            .map(|c| c.received.get(command).copied().unwrap_or(0))
            .sum()
    }

    /// Its headers the node added to its index, over all connections.
    pub fn headers_accepted(&self) -> u64 {
        self.connections.iter().map(|c| c.headers_accepted).sum()
    }

    /// How the first connection ended, by either side; `None` while it was open at the end.
    pub fn first_end(&self) -> Option<&'a PeerEnd> {
        self.first().and_then(|c| c.end.as_ref())
    }

    /// The first connection the node itself ended (what the `disconnect*` expectations
    /// check).
    pub fn first_disconnect_by_node(&self) -> Option<&'a ConnectionRecord> {
        self.connections
            .iter()
            .copied()
            .find(|c| c.closed_by_node())
    }

    /// Whether the node ever disconnected it.
    pub fn disconnected_by_node(&self) -> bool {
        self.first_disconnect_by_node().is_some()
    }

    /// When the node first disconnected it, in simulated milliseconds.
    pub fn disconnected_at_ms(&self) -> Option<u64> {
        self.first_disconnect_by_node().and_then(|c| c.ended_at_ms)
    }

    /// The node's reason for ending the first connection it ended (match it by variant:
    /// `matches!(r, Some(DisconnectReason::Stalled { .. }))`).
    pub fn disconnect_reason(&self) -> Option<&'a DisconnectReason> {
        self.first_disconnect_by_node()
            .and_then(ConnectionRecord::disconnect_reason)
    }
}

impl RunResult {
    /// Whether every expectation, invariant and fault check held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The node's events in trace order, typed, each with its line (simulated time, node
    /// run, host): for assertions that match events by variant rather than by text.
    pub fn node_events(&self) -> impl Iterator<Item = (&TraceLine, &Event)> {
        self.recorder
            .lines
            .iter()
            .filter_map(|line| match &line.entry {
                TraceEntry::Node(event) => Some((line, event)),
                TraceEntry::Harness(_) => None,
            })
    }

    /// Whether some trace line contains `text` (what `expect.trace_contains` checks).
    pub fn trace_contains(&self, text: &str) -> bool {
        self.recorder.lines.iter().any(|l| l.text.contains(text))
    }

    /// The first trace line containing every one of `texts`.
    pub fn first_trace_line_with(&self, texts: &[&str]) -> Option<&TraceLine> {
        self.recorder
            .lines
            .iter()
            .find(|l| texts.iter().all(|t| l.text.contains(t)))
    }
}

//! The simulated half of a conformance check: the scenario run in the simulator, and from it
//! a [`Plan`] per peer (when it connected, every byte it wrote, when it closed) and what the
//! node did on each first connection ([`NodeSide`]).

use std::collections::BTreeMap;

use node::protocol::{ConnectionType, Direction, MessageSummary};
use node::Event;

use crate::harness::runner::{PeerWire, RunResult};
use crate::harness::trace::{PeerEnd, TraceEntry};
use crate::peers::fake_peer::WireChunk;

/// What one scripted peer does on its first connection, to be played to bitcoind.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The peer's host name.
    pub host: String,
    /// Who opened the connection: the node (outbound, manual or automatic) or the peer.
    pub connection_type: ConnectionType,
    /// When the connection was established, in simulated ms.
    pub connect_at_ms: u64,
    /// Every write of the peer on it, in order.
    pub chunks: Vec<WireChunk>,
    /// For each chunk: how many in-sequence messages ([`super::compare::in_sequence`]) were
    /// among the node's messages the peer had read on the connection when it wrote the chunk
    /// ([`WireChunk::read_before`]). The real side waits for bitcoind to have sent as many
    /// before it writes the chunk, so an answer never overtakes its question.
    pub after_node_messages: Vec<usize>,
    /// When the peer itself closed it, if it did.
    pub peer_closes_at_ms: Option<u64>,
    /// The node's `ping` nonces on it, with when they were sent (to map an echoed nonce).
    pub node_pings: Vec<(u64, u64)>,
    /// The node gives the peer NoBan (the scenario's `node.noban`): on the real side it
    /// talks from [`super::real_side::NOBAN_IP`], which bitcoind whitelists.
    pub noban: bool,
}

/// What the node did on one peer's first connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSide {
    /// Every command it sent, with the simulated ms, in order.
    pub sent: Vec<(u64, String)>,
    /// When it closed the connection, if it did (not when the peer did).
    pub closed_at_ms: Option<u64>,
    /// Its reason, rendered.
    pub close_reason: Option<String>,
}

/// The simulated run, digested.
#[derive(Debug, Clone)]
pub struct SimSide {
    /// Per host, in the order the first connections came.
    pub plans: Vec<Plan>,
    /// Per host: what the node did.
    pub node: BTreeMap<String, NodeSide>,
    /// The node's best header at the end: height and hash.
    pub best_header: (u32, String),
}

/// Digests `result` and the peers' `wire` into plans and the node's side; `noban` names the
/// hosts the node gives NoBan.
pub fn digest(result: &RunResult, wire: &PeerWire, noban: &[String]) -> SimSide {
    let recorder = &result.recorder;
    let mut plans = Vec::new();
    let mut node = BTreeMap::new();
    for record in &recorder.connections {
        if node.contains_key(&record.host) || record.run != 1 {
            continue;
        }
        let peer_id = record.peer_id;
        let mut sent = Vec::new();
        let mut node_pings = Vec::new();
        for line in &recorder.lines {
            if line.run != 1 {
                continue;
            }
            if let TraceEntry::Node(Event::Sent { peer, message }) = &line.entry {
                if peer.0 != peer_id {
                    continue;
                }
                sent.push((line.at_ms, message.command().to_string()));
                if let MessageSummary::Ping { nonce } = message {
                    node_pings.push((line.at_ms, *nonce));
                }
            }
        }
        let (closed_at_ms, close_reason, peer_closes_at_ms) = match &record.end {
            Some(PeerEnd::Disconnected(reason)) => {
                (record.ended_at_ms, Some(reason.to_string()), None)
            }
            Some(PeerEnd::ClosedByPeer { .. }) => (None, None, record.ended_at_ms),
            None => (None, None, None),
        };
        let connection_type = match record.direction {
            Direction::Inbound => ConnectionType::Inbound,
            Direction::Outbound(_) => record.connection_type,
        };
        let chunks = wire
            .get(&record.host)
            .map(|chunks| {
                chunks
                    .iter()
                    .filter(|c| c.connection == 0)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let chunks: Vec<WireChunk> = chunks;
        let after_node_messages = chunks
            .iter()
            .map(|chunk| {
                sent.iter()
                    .take(chunk.read_before)
                    .filter(|(_, command)| super::compare::in_sequence(command))
                    .count()
            })
            .collect();
        plans.push(Plan {
            host: record.host.clone(),
            connection_type,
            connect_at_ms: record.connected_at_ms,
            chunks,
            after_node_messages,
            peer_closes_at_ms,
            node_pings,
            noban: noban.contains(&record.host),
        });
        node.insert(
            record.host.clone(),
            NodeSide {
                sent,
                closed_at_ms,
                close_reason,
            },
        );
    }
    SimSide {
        plans,
        node,
        best_header: (recorder.tip.0, recorder.tip.1.clone()),
    }
}

//! Reading the trace: each line as a message between two hosts, a lane mark or nothing; the
//! lanes (hosts) in order; the tip height over time.

use node::protocol::MessageSummary;
use node::{Event, PeerId};

use crate::harness::trace::{TraceEntry, TraceLine};
use crate::scenario::Scenario;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// The node sent it (`send`): node → peer.
    Send,
    /// The node received it (`recv`): peer → node.
    Recv,
}

impl Direction {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Direction::Send => "send",
            Direction::Recv => "recv",
        }
    }
}

/// One `send` or `recv` trace line.
#[derive(Debug, Clone)]
pub(super) struct Message {
    pub(super) at_ms: u64,
    pub(super) run: u32,
    pub(super) host: String,
    /// `host#id`, as the trace writes the connection.
    pub(super) peer: String,
    pub(super) direction: Direction,
    pub(super) command: String,
    pub(super) detail: String,
    /// The whole trace line.
    pub(super) text: String,
}

/// What a lane mark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MarkKind {
    Connected,
    /// The node closed the connection.
    Disconnect,
    /// The peer closed it (or the transport failed).
    ClosedByPeer,
    /// A node incarnation started.
    Started,
    /// Fault number `n` of the page's list began (the span's top).
    FaultStart(usize),
    /// Fault number `n` ended (the span's bottom).
    FaultEnd(usize),
}

/// A mark on one lane.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    pub(super) at_ms: u64,
    pub(super) host: String,
    pub(super) peer: String,
    pub(super) kind: MarkKind,
    /// The reason (disconnects), or what to write beside the mark.
    pub(super) text: String,
}

/// A trace event the diagram draws, in trace order.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Message(Message),
    Mark(Mark),
}

impl Item {
    pub(super) fn at_ms(&self) -> u64 {
        match self {
            Item::Message(m) => m.at_ms,
            Item::Mark(m) => m.at_ms,
        }
    }
}

/// The host a trace line concerns (the recorder's label, `?` when it had none) and the
/// connection as the trace writes it, `host#id`.
pub(super) fn host_and_peer(line: &TraceLine, peer: PeerId) -> (String, String) {
    let host = line.host.clone().unwrap_or_else(|| "?".to_string());
    let label = format!("{host}#{}", peer.0);
    (host, label)
}

/// The diagram's reading of one trace line, if it draws it.
pub(super) fn parse_line(line: &TraceLine) -> Option<Item> {
    let TraceEntry::Node(event) = &line.entry else {
        return None;
    };
    let mark = |peer: PeerId, kind: MarkKind, text: String| {
        let (host, peer) = host_and_peer(line, peer);
        Some(Item::Mark(Mark {
            at_ms: line.at_ms,
            host,
            peer,
            kind,
            text,
        }))
    };
    let message = |peer: PeerId, direction: Direction, summary: &MessageSummary| {
        let (host, peer) = host_and_peer(line, peer);
        Some(Item::Message(Message {
            at_ms: line.at_ms,
            run: line.run,
            host,
            peer,
            direction,
            command: summary.command().to_string(),
            detail: summary.fields(),
            text: line.text.clone(),
        }))
    };
    match event {
        Event::Sent { peer, message: m } => message(*peer, Direction::Send, m),
        Event::Received { peer, message: m } => message(*peer, Direction::Recv, m),
        Event::Disconnected { peer, reason } => {
            mark(*peer, MarkKind::Disconnect, reason.to_string())
        }
        Event::PeerClosed { peer, error } => {
            let text = match error {
                Some(error) => format!("closed by the peer: {error}"),
                None => "closed by the peer".to_string(),
            };
            mark(*peer, MarkKind::ClosedByPeer, text)
        }
        Event::Connected {
            peer, direction, ..
        } => {
            let (_, label) = host_and_peer(line, *peer);
            let text = format!("connected {label} {}", direction.as_str());
            mark(*peer, MarkKind::Connected, text)
        }
        Event::Started { tip_height, .. } => {
            let text = if line.run > 1 {
                format!(
                    "node restarted (run {}) at tip height {tip_height}",
                    line.run
                )
            } else {
                format!("node started at tip height {tip_height}")
            };
            Some(Item::Mark(Mark {
                at_ms: line.at_ms,
                host: "node".into(),
                peer: String::new(),
                kind: MarkKind::Started,
                text,
            }))
        }
        _ => None,
    }
}

/// The lanes: `node`, every fake peer in scenario order, then other hosts the trace names (in
/// order of first appearance).
pub(super) fn lanes(scenario: &Scenario, lines: &[TraceLine]) -> Vec<String> {
    let mut lanes = vec!["node".to_string()];
    lanes.extend(scenario.peers.iter().map(|p| p.name.clone()));
    for line in lines {
        let host = match parse_line(line) {
            Some(Item::Message(m)) => m.host,
            Some(Item::Mark(m)) => m.host,
            None => continue,
        };
        if !lanes.contains(&host) {
            lanes.push(host);
        }
    }
    lanes
}

/// One point of the tip chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TipPoint {
    pub(super) at_ms: u64,
    pub(super) height: u32,
    pub(super) reorg_depth: u32,
}

/// The best height over time: each `started` (the stored tip) and `tip_changed` line.
pub(super) fn tip_series(lines: &[TraceLine]) -> Vec<TipPoint> {
    lines
        .iter()
        .filter_map(|line| {
            let (height, reorg_depth) = match &line.entry {
                TraceEntry::Node(Event::Started { tip_height, .. }) => (*tip_height, 0),
                TraceEntry::Node(Event::TipChanged {
                    height,
                    reorg_depth,
                    ..
                }) => (*height, *reorg_depth),
                _ => return None,
            };
            Some(TipPoint {
                at_ms: line.at_ms,
                height,
                reorg_depth,
            })
        })
        .collect()
}

//! What a conformance check compares, and the differences it reports.

use std::fmt;

use super::real_side::{RealSide, STEP_MS_MAX};
use super::sim_side::SimSide;

/// Commands a header-only node deliberately never sends, left out of both sides' sequences
/// before they are compared, each with the reason.
pub const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "sendcmpct",
        "compact block relay: a header-only node relays no blocks",
    ),
    (
        "feefilter",
        "transaction relay: the node relays no transactions",
    ),
    (
        "getaddr",
        "address relay: the node keeps no address manager",
    ),
    ("addr", "address relay"),
    ("addrv2", "address relay"),
    (
        "inv",
        "announcements of blocks and transactions the node does not hold",
    ),
    (
        "getdata",
        "block download: a header-only node never fetches blocks",
    ),
];

/// Keepalive commands compared by count, not by position: each side sends them on its own
/// timer, and which of two messages in the same step of the real side came first is not
/// known. The counts may differ by one (a timer that fires at the edge of a step).
pub const COUNTED: &[&str] = &["ping", "pong"];

/// How far apart in simulated time the two sides may close a connection and still agree: a
/// few seconds, since bitcoind's message loop is not tick-exact and the real side looks at
/// it every [`STEP_MS_MAX`] at most.
pub const CLOSE_WINDOW_MS: u64 = 3000 + STEP_MS_MAX;

/// One way the node and bitcoind differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The commands sent to a peer differ (after leaving out [`NOT_COMPARED`]).
    Commands {
        /// The peer.
        host: String,
        /// The node's, in order.
        node: Vec<String>,
        /// bitcoind's, in order.
        bitcoind: Vec<String>,
    },
    /// The number of a [`COUNTED`] command sent to a peer differs by more than one.
    Count {
        /// The peer.
        host: String,
        /// The command.
        command: &'static str,
        /// How many the node sent.
        node: usize,
        /// How many bitcoind sent.
        bitcoind: usize,
    },
    /// One closed the connection and the other did not, or not within [`CLOSE_WINDOW_MS`].
    Close {
        /// The peer.
        host: String,
        /// When the node closed it and why.
        node: Option<(u64, String)>,
        /// When bitcoind closed it.
        bitcoind: Option<u64>,
    },
    /// The best header at the end differs.
    BestHeader {
        /// The node's height and hash.
        node: (u32, String),
        /// bitcoind's.
        bitcoind: (u32, String),
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Commands {
                host,
                node,
                bitcoind,
            } => write!(
                f,
                "{host}: commands sent differ\n    node:     {}\n    bitcoind: {}",
                node.join(" "),
                bitcoind.join(" ")
            ),
            Difference::Count {
                host,
                command,
                node,
                bitcoind,
            } => write!(
                f,
                "{host}: `{command}` sent {node} times by the node, {bitcoind} by bitcoind"
            ),
            Difference::Close {
                host,
                node,
                bitcoind,
            } => {
                let node = match node {
                    Some((at, reason)) => format!("closed at {at} ms ({reason})"),
                    None => "kept it".into(),
                };
                let bitcoind = match bitcoind {
                    Some(at) => format!("closed at {at} ms"),
                    None => "kept it".into(),
                };
                write!(f, "{host}: node {node}; bitcoind {bitcoind}")
            }
            Difference::BestHeader { node, bitcoind } => write!(
                f,
                "best header: node {} {}, bitcoind {} {}",
                node.0, node.1, bitcoind.0, bitcoind.1
            ),
        }
    }
}

/// Whether `command` is compared by position: neither [`NOT_COMPARED`] nor [`COUNTED`].
pub fn in_sequence(command: &str) -> bool {
    !NOT_COMPARED.iter().any(|(c, _)| *c == command) && !COUNTED.contains(&command)
}

/// The commands of `sent` that are compared by position.
fn compared(sent: &[(u64, String)]) -> Vec<String> {
    sent.iter()
        .map(|(_, command)| command.clone())
        .filter(|command| in_sequence(command))
        .collect()
}

fn count(sent: &[(u64, String)], command: &str) -> usize {
    sent.iter().filter(|(_, c)| c == command).count()
}

/// Every difference between the simulated node and bitcoind.
pub fn compare(sim: &SimSide, real: &RealSide) -> Vec<Difference> {
    let mut differences = Vec::new();
    for plan in &sim.plans {
        let host = &plan.host;
        let node = sim.node.get(host).cloned().unwrap_or_default();
        let theirs = real.connections.get(host).cloned().unwrap_or_default();
        let (ours, theirs_commands) = (compared(&node.sent), compared(&theirs.sent));
        if ours != theirs_commands {
            differences.push(Difference::Commands {
                host: host.clone(),
                node: ours,
                bitcoind: theirs_commands,
            });
        }
        for command in COUNTED {
            let (ours, theirs) = (count(&node.sent, command), count(&theirs.sent, command));
            if ours.abs_diff(theirs) > 1 {
                differences.push(Difference::Count {
                    host: host.clone(),
                    command,
                    node: ours,
                    bitcoind: theirs,
                });
            }
        }
        let agree = match (node.closed_at_ms, theirs.closed_at_ms) {
            (None, None) => true,
            (Some(a), Some(b)) => a.abs_diff(b) <= CLOSE_WINDOW_MS,
            _ => false,
        };
        if !agree {
            differences.push(Difference::Close {
                host: host.clone(),
                node: node.closed_at_ms.zip(node.close_reason.clone()),
                bitcoind: theirs.closed_at_ms,
            });
        }
    }
    if sim.best_header != real.best_header {
        differences.push(Difference::BestHeader {
            node: sim.best_header.clone(),
            bitcoind: real.best_header.clone(),
        });
    }
    differences
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use node::protocol::ConnectionType;

    use super::super::real_side::RealConnection;
    use super::super::sim_side::{NodeSide, Plan};
    use super::*;

    fn sent(commands: &[&str]) -> Vec<(u64, String)> {
        commands.iter().map(|c| (0, c.to_string())).collect()
    }

    fn sides(node: NodeSide, real: RealConnection) -> (SimSide, RealSide) {
        let plan = Plan {
            host: "p".into(),
            connection_type: ConnectionType::Manual,
            connect_at_ms: 0,
            chunks: Vec::new(),
            after_node_messages: Vec::new(),
            peer_closes_at_ms: None,
            node_pings: Vec::new(),
            noban: false,
        };
        let sim = SimSide {
            plans: vec![plan],
            node: BTreeMap::from([("p".to_string(), node)]),
            best_header: (1, "h".into()),
        };
        let real = RealSide {
            connections: BTreeMap::from([("p".to_string(), real)]),
            best_header: (1, "h".into()),
        };
        (sim, real)
    }

    #[test]
    fn left_out_commands_and_one_extra_ping_do_not_count_but_order_and_closes_do() {
        let node = NodeSide {
            sent: sent(&["version", "verack", "ping", "getheaders"]),
            closed_at_ms: Some(10_000),
            close_reason: Some("x".into()),
        };
        let real = RealConnection {
            sent: sent(&[
                "version",
                "verack",
                "sendcmpct",
                "getheaders",
                "ping",
                "ping",
                "feefilter",
            ]),
            closed_at_ms: Some(10_000 + CLOSE_WINDOW_MS),
            connected: true,
        };
        let (sim, real) = sides(node.clone(), real);
        assert_eq!(compare(&sim, &real), Vec::new());

        let mut late = real.clone();
        if let Some(c) = late.connections.get_mut("p") {
            c.closed_at_ms = Some(10_001 + CLOSE_WINDOW_MS);
            c.sent = sent(&["version", "getheaders", "verack", "ping", "ping", "ping"]);
        }
        let differences = compare(&sim, &late);
        assert!(
            matches!(differences[0], Difference::Commands { .. }),
            "{differences:?}"
        );
        assert!(
            differences.iter().any(|d| matches!(
                d,
                Difference::Count {
                    command: "ping",
                    node: 1,
                    bitcoind: 3,
                    ..
                }
            )),
            "{differences:?}"
        );
        assert!(differences
            .iter()
            .any(|d| matches!(d, Difference::Close { .. })));
        let mut other_tip = real;
        other_tip.best_header = (2, "g".into());
        assert!(compare(&sim, &other_tip)
            .iter()
            .any(|d| matches!(d, Difference::BestHeader { .. })));
    }
}

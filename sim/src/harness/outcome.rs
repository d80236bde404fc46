//! The outcome of a run (what the snapshot holds) and the expectation checks.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::harness::failure::{Check, ConnectionCheck, Failure, PeerCheck};
use crate::harness::trace::{ConnectionRecord, LocatorHeight, Recorder, RunRecord};
use crate::peers::fake_peer::PingSent;
use crate::scenario::{ConnectionExpect, DialsExpect, Expect, RunExpect};

/// What a run ended with. Serialized as the insta snapshot; every field is deterministic for a
/// given scenario and seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Scenario name (file stem).
    pub scenario: String,
    /// Seed it ran with.
    pub seed: u64,
    /// Best header height.
    pub tip_height: u32,
    /// Best header hash.
    pub tip_hash: String,
    /// Chainwork of the best chain, hex.
    pub chainwork: String,
    /// Rows in the SQLite store after the run.
    pub stored_rows: u64,
    /// Hash of the store's top row.
    pub stored_tip_hash: String,
    /// Node incarnations (1 + restarts).
    pub node_runs: Vec<RunRecord>,
    /// Every connection of the node with its fate.
    pub connections: Vec<ConnectionRecord>,
    /// Per outbound host, the backoff of every scheduled redial, in order.
    pub reconnect_backoffs_ms: BTreeMap<String, Vec<u64>>,
    /// Messages the node sent, by command.
    pub sent: BTreeMap<String, u64>,
    /// Messages the node received, by command.
    pub received: BTreeMap<String, u64>,
    /// Automatic outbound dials (`node.addresses`); absent when there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_dials: Option<AutomaticDials>,
    /// Lines in the trace.
    pub trace_lines: usize,
    /// SHA-256 of the trace text.
    pub trace_digest: String,
    /// Per fake-peer host, every `ping` it wrote (kept out of snapshots; checked by
    /// [`crate::scenario::PeerExpect::pong_latency_ms_max`]).
    #[serde(skip)]
    pub pings_sent: BTreeMap<String, Vec<PingSent>>,
}

/// A summary of the automatic outbound dials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutomaticDials {
    /// Dials started.
    pub dials: u64,
    /// Dials that failed.
    pub failures: u64,
    /// The delay before the request replacing each failure, run-length encoded as
    /// `[delay_ms, count]`.
    pub retry_runs_ms: Vec<[u64; 2]>,
    /// When each dial started (checked by `expect.dials.windows`; not in the snapshot).
    #[serde(skip)]
    pub dial_times_ms: Vec<u64>,
    /// When each dial failed, and how many dials had started before (not in the snapshot).
    #[serde(skip)]
    pub failures_at: Vec<(u64, usize)>,
    /// The delay after each failure (not in the snapshot).
    #[serde(skip)]
    pub retries_ms: Vec<u64>,
}

impl AutomaticDials {
    fn new(recorder: &Recorder) -> Option<AutomaticDials> {
        if recorder.automatic_dials_ms.is_empty() && recorder.automatic_failures_ms.is_empty() {
            return None;
        }
        let retries_ms: Vec<u64> = recorder
            .automatic_failures_ms
            .iter()
            .map(|(_, delay, _)| *delay)
            .collect();
        let mut retry_runs_ms: Vec<[u64; 2]> = Vec::new();
        for &delay in &retries_ms {
            match retry_runs_ms.last_mut() {
                Some([last, count]) if *last == delay => *count += 1,
                _ => retry_runs_ms.push([delay, 1]),
            }
        }
        Some(AutomaticDials {
            dials: recorder.automatic_dials_ms.len() as u64,
            failures: retries_ms.len() as u64,
            retry_runs_ms,
            dial_times_ms: recorder.automatic_dials_ms.clone(),
            failures_at: recorder
                .automatic_failures_ms
                .iter()
                .map(|(at, _, before)| (*at, *before))
                .collect(),
            retries_ms,
        })
    }

    /// Checks `expect` and reports each failure through `fail`.
    fn check(&self, expect: &DialsExpect, fail: &mut impl FnMut(String)) {
        let expected: Vec<u64> = expect
            .retry_runs_ms
            .iter()
            .flat_map(|&[delay, count]| {
                std::iter::repeat_n(delay, usize::try_from(count).unwrap_or(usize::MAX))
            })
            .collect();
        if !self.retries_ms.starts_with(&expected) {
            let at = self
                .retries_ms
                .iter()
                .zip(&expected)
                .position(|(a, e)| a != e)
                .unwrap_or(self.retries_ms.len());
            fail(format!(
                "automatic dial failure {} was followed by a {:?} ms delay, expected {} ms (recorded runs {:?}, expected them to start {:?})",
                at + 1,
                self.retries_ms.get(at),
                expected[at],
                self.retry_runs_ms,
                expect.retry_runs_ms
            ));
        }
        for window in &expect.windows {
            // Dials are counted from the first one started after that failure (several can share
            // its millisecond).
            let (start, first_dial) = match window.after_failure {
                None => (0, 0),
                Some(n) => match usize::try_from(n)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| self.failures_at.get(i))
                {
                    Some(&at) => at,
                    None => {
                        fail(format!(
                            "automatic dial failure {n} never happened ({} failures)",
                            self.failures_at.len()
                        ));
                        continue;
                    }
                },
            };
            let (from, to) = (start + window.min_ms, start + window.max_ms);
            let count = self.dial_times_ms[first_dial.min(self.dial_times_ms.len())..]
                .iter()
                .filter(|&&at| at >= from && at < to)
                .count() as u64;
            if window.dials_min.is_some_and(|min| count < min)
                || window.dials_max.is_some_and(|max| count > max)
            {
                fail(format!(
                    "{count} automatic dials in [{from}, {to}) ms, expected {}..={}",
                    window.dials_min.map_or("0".to_string(), |m| m.to_string()),
                    window
                        .dials_max
                        .map_or("any".to_string(), |m| m.to_string())
                ));
            }
        }
    }
}

impl Outcome {
    /// Builds the outcome from the recorder, what the store held afterwards and the pings each
    /// fake peer sent.
    pub fn new(
        scenario: &str,
        seed: u64,
        recorder: &Recorder,
        stored_rows: u64,
        stored_tip_hash: String,
        pings_sent: BTreeMap<String, Vec<PingSent>>,
    ) -> Outcome {
        Outcome {
            scenario: scenario.to_string(),
            seed,
            tip_height: recorder.tip.0,
            tip_hash: recorder.tip.1.clone(),
            chainwork: recorder.tip.2.clone(),
            stored_rows,
            stored_tip_hash,
            node_runs: recorder.runs.clone(),
            connections: recorder.connections.clone(),
            reconnect_backoffs_ms: recorder.reconnect_backoffs_ms.clone(),
            automatic_dials: AutomaticDials::new(recorder),
            sent: recorder.sent.clone(),
            received: recorder.received.clone(),
            trace_lines: recorder.lines.len(),
            trace_digest: recorder.digest(),
            pings_sent,
        }
    }

    /// Checks `expect` and returns one [`Failure::Expectation`] per failed expectation
    /// (empty: all hold).
    pub fn check(&self, expect: &Expect) -> Vec<Failure> {
        let mut failures = Vec::new();
        let mut fail = |check: Check, message: String| {
            failures.push(Failure::Expectation { check, message });
        };
        if let Some(height) = expect.tip_height {
            if self.tip_height != height {
                fail(
                    Check::TipHeight,
                    format!("tip height is {}, expected {height}", self.tip_height),
                );
            }
        }
        if let Some(hash) = &expect.tip_hash {
            if &self.tip_hash != hash {
                fail(
                    Check::TipHash,
                    format!("tip hash is {}, expected {hash}", self.tip_hash),
                );
            }
        }
        if let Some(rows) = expect.stored_rows {
            if self.stored_rows != rows {
                fail(
                    Check::StoredRows,
                    format!("store holds {} rows, expected {rows}", self.stored_rows),
                );
            }
        }
        if self.stored_tip_hash != self.tip_hash && !self.tip_hash.is_empty() {
            fail(
                Check::StoreMatchesTip,
                format!(
                    "store's top row {} differs from the node's tip {}",
                    self.stored_tip_hash, self.tip_hash
                ),
            );
        }
        for (command, count) in &expect.sent {
            let actual = self.sent.get(command).copied().unwrap_or(0);
            if actual != *count {
                fail(
                    Check::Sent {
                        command: command.clone(),
                    },
                    format!("node sent {actual} `{command}`, expected {count}"),
                );
            }
        }
        if expect.resumes_from_stored_tip == Some(true) {
            if self.node_runs.len() < 2 {
                fail(
                    Check::ResumesFromStoredTip,
                    "the node never restarted".to_string(),
                );
            }
            for (i, run) in self.node_runs.iter().enumerate().skip(1) {
                if run.started_tip_height == 0 {
                    fail(
                        Check::ResumesFromStoredTip,
                        format!("restart {i} loaded only genesis from the store"),
                    );
                }
                // btcd's locator starts at the best header, Core's initial-sync locator one
                // below it (so the reply is never empty); either way nothing is asked again
                // from genesis.
                let tip = run.started_tip_height;
                let accepted = [tip, tip.saturating_sub(1)].map(LocatorHeight::Known);
                if !run
                    .first_locator_height
                    .is_some_and(|h| accepted.contains(&h))
                {
                    fail(
                        Check::ResumesFromStoredTip,
                        format!(
                            "restart {i} loaded tip {} but its first getheaders starts at {:?}",
                            run.started_tip_height, run.first_locator_height
                        ),
                    );
                }
            }
        }
        if let Some(dials) = &expect.dials {
            match &self.automatic_dials {
                None => fail(Check::Dials, "the node made no automatic dial".to_string()),
                Some(automatic) => automatic.check(dials, &mut |m| fail(Check::Dials, m)),
            }
        }
        for (host, peer) in &expect.peers {
            let mut fail = |check: PeerCheck, message: String| {
                fail(
                    Check::Peer {
                        host: host.clone(),
                        check,
                    },
                    message,
                );
            };
            let connections: Vec<&ConnectionRecord> = self
                .connections
                .iter()
                .filter(|c| &c.host == host)
                .collect();
            if connections.is_empty() {
                fail(
                    PeerCheck::Connected,
                    format!("{host}: the node never connected to it"),
                );
                continue;
            }
            for (run, expect_run) in &peer.runs {
                check_run(host, *run, &connections, expect_run, &mut fail);
            }
            for (index, expected) in peer.connections.iter().enumerate() {
                check_connection(
                    host,
                    index,
                    connections.get(index).copied(),
                    expected,
                    &mut fail,
                );
            }
            if let Some(expected) = peer.closed_by_peer {
                let by_peer =
                    connections[0].ended_at_ms.is_some() && !connections[0].closed_by_node();
                if by_peer != expected {
                    fail(PeerCheck::ClosedByPeer, format!("{host}: first connection closed by the peer = {by_peer}, expected {expected}"));
                }
            }
            if let Some(expected) = peer.headers_accepted {
                let accepted: u64 = connections.iter().map(|c| c.headers_accepted).sum();
                if accepted != expected {
                    fail(
                        PeerCheck::HeadersAccepted,
                        format!(
                        "{host}: the node accepted {accepted} headers from it, expected {expected}"
                    ),
                    );
                }
            }
            if let Some(expected) = &peer.reconnect_backoffs_ms {
                let actual = self
                    .reconnect_backoffs_ms
                    .get(host)
                    .cloned()
                    .unwrap_or_default();
                if !actual.starts_with(expected) {
                    fail(PeerCheck::ReconnectBackoffs, format!("{host}: redial backoffs were {actual:?} ms, expected them to start {expected:?}"));
                }
            }
            check_counts(
                host,
                "received from it",
                |command| PeerCheck::Received { command },
                &connections,
                |c| &c.received,
                &peer.received,
                &mut fail,
            );
            if let Some(limit_ms) = peer.pong_latency_ms_max {
                check_pong_latency(
                    host,
                    &connections,
                    self.pings_sent.get(host).map_or(&[], Vec::as_slice),
                    limit_ms,
                    &mut fail,
                );
            }
            if let Some(expected) = &peer.sent_prefix {
                let actual = &connections[0].sent_sequence;
                if !actual.starts_with(expected) {
                    let at = actual
                        .iter()
                        .zip(expected)
                        .position(|(a, e)| a != e)
                        .unwrap_or(actual.len().min(expected.len()));
                    fail(
                        PeerCheck::SentPrefix,
                        format!(
                            "{host}: the node's first commands differ from message {at} on: sent {:?}, expected them to start with {:?}",
                            &actual[at.min(actual.len())..],
                            &expected[at..]
                        ),
                    );
                }
            }
            if let Some(expected) = &peer.sent_sequence {
                let actual = &connections[0].sent_sequence;
                if actual != expected {
                    let at = actual
                        .iter()
                        .zip(expected)
                        .position(|(a, e)| a != e)
                        .unwrap_or(actual.len().min(expected.len()));
                    fail(PeerCheck::SentSequence, format!(
                        "{host}: the node's commands differ from message {at} on: sent {:?}, expected {:?}",
                        &actual[at..actual.len().min(at + 5)],
                        &expected[at..expected.len().min(at + 5)]
                    ));
                }
            }
            if let Some(handshake) = peer.handshake {
                let done = connections[0].handshake_at_ms.is_some();
                if done != handshake {
                    fail(PeerCheck::Handshake, format!("{host}: first connection handshake finished = {done}, expected {handshake}"));
                }
            }
            let first_disconnect = connections.iter().find(|c| c.closed_by_node());
            if let Some(never) = peer.never_disconnected {
                if never && first_disconnect.is_some() {
                    let c = first_disconnect.map_or_else(String::new, |c| end_text(c));
                    fail(
                        PeerCheck::NeverDisconnected,
                        format!("{host}: was disconnected ({c}), expected to stay connected"),
                    );
                }
                if !never && first_disconnect.is_none() {
                    fail(
                        PeerCheck::NeverDisconnected,
                        format!("{host}: was never disconnected"),
                    );
                }
            }
            let needs_disconnect = peer.disconnect_reason.is_some()
                || peer.disconnected_at.is_some()
                || peer.disconnected_after.is_some();
            let Some(c) = first_disconnect else {
                if needs_disconnect {
                    fail(
                        PeerCheck::Disconnected,
                        format!("{host}: the node never disconnected it"),
                    );
                }
                check_counts(
                    host,
                    "sent it",
                    |command| PeerCheck::Sent { command },
                    &connections,
                    |c| &c.sent,
                    &peer.sent,
                    &mut fail,
                );
                continue;
            };
            let at = c.ended_at_ms.unwrap_or(0);
            if let Some(reason) = &peer.disconnect_reason {
                if !reason_matches(c, reason) {
                    let end = end_text(c);
                    fail(PeerCheck::DisconnectReason, format!("{host}: first disconnect was `{end}`, expected a reason containing `{reason}`"));
                }
            }
            if let Some(w) = &peer.disconnected_at {
                if at < w.min_ms || at >= w.max_ms {
                    fail(
                        PeerCheck::DisconnectedAt,
                        format!(
                            "{host}: disconnected at {at} ms, expected in [{}, {}) ms",
                            w.min_ms, w.max_ms
                        ),
                    );
                }
            }
            if let Some(after) = &peer.disconnected_after {
                match c.last_sent_ms.get(&after.command) {
                    None => fail(
                        PeerCheck::DisconnectedAfter,
                        format!(
                            "{host}: no `{}` was sent on the disconnected connection",
                            after.command
                        ),
                    ),
                    Some(sent) => {
                        let delta = at - sent;
                        if delta < after.min_ms || delta >= after.max_ms {
                            fail(PeerCheck::DisconnectedAfter, format!(
                                "{host}: disconnected {delta} ms after the last `{}`, expected in [{}, {}) ms",
                                after.command, after.min_ms, after.max_ms
                            ));
                        }
                    }
                }
            }
            check_counts(
                host,
                "sent it",
                |command| PeerCheck::Sent { command },
                &connections,
                |c| &c.sent,
                &peer.sent,
                &mut fail,
            );
        }
        failures
    }
}

/// Checks that every ping in `pings` got a pong with its nonce from the node, sent to `host` at
/// most `limit_ms` after the ping was written.
fn check_pong_latency(
    host: &str,
    connections: &[&ConnectionRecord],
    pings: &[PingSent],
    limit_ms: u64,
    fail: &mut impl FnMut(PeerCheck, String),
) {
    if pings.is_empty() {
        fail(
            PeerCheck::PongLatency,
            format!("{host}: sent no ping, so none was answered"),
        );
        return;
    }
    for ping in pings {
        let latency_ms = connections
            .iter()
            .flat_map(|c| c.pongs_sent.iter())
            .filter(|(nonce, at_ms)| *nonce == ping.nonce && *at_ms >= ping.at_ms)
            .map(|(_, at_ms)| at_ms - ping.at_ms)
            .min();
        match latency_ms {
            None => fail(PeerCheck::PongLatency, format!("{host}: its ping {:#x} sent at {} ms was never answered", ping.nonce, ping.at_ms)),
            Some(latency_ms) if latency_ms > limit_ms => fail(PeerCheck::PongLatency, format!(
                "{host}: its ping {:#x} sent at {} ms was answered after {latency_ms} ms, expected at most {limit_ms} ms",
                ping.nonce, ping.at_ms
            )),
            Some(_) => {}
        }
    }
}

/// Checks the connection at `index` (0: the first) among the node's connections with `host`.
fn check_connection(
    host: &str,
    index: usize,
    connection: Option<&ConnectionRecord>,
    expect: &ConnectionExpect,
    fail: &mut impl FnMut(PeerCheck, String),
) {
    let mut fail = |check: ConnectionCheck, message: String| {
        fail(PeerCheck::Connection { index, check }, message);
    };
    let ordinal = index + 1;
    let Some(c) = connection else {
        fail(
            ConnectionCheck::Exists,
            format!("{host}: the node had no connection {ordinal} with it"),
        );
        return;
    };
    if let Some(expected) = expect.handshake {
        let done = c.handshake_at_ms.is_some();
        if done != expected {
            fail(
                ConnectionCheck::Handshake,
                format!("{host}: connection {ordinal} finished its handshake = {done}, expected {expected}"),
            );
        }
    }
    for (what, counts, expected) in [
        ("sent it", &c.sent, &expect.sent),
        ("received from it", &c.received, &expect.received),
    ] {
        for (command, count) in expected {
            let actual = counts.get(command).copied().unwrap_or(0);
            if actual != *count {
                let command = command.clone();
                let message = format!(
                    "{host}: on connection {ordinal} the node {what} {actual} `{command}`, expected {count}"
                );
                let check = if what == "sent it" {
                    ConnectionCheck::Sent { command }
                } else {
                    ConnectionCheck::Received { command }
                };
                fail(check, message);
            }
        }
    }
}

/// Checks one node run's connections with `host`.
fn check_run(
    host: &str,
    run: u32,
    connections: &[&ConnectionRecord],
    expect: &RunExpect,
    fail: &mut impl FnMut(PeerCheck, String),
) {
    let in_run: Vec<&ConnectionRecord> = connections
        .iter()
        .copied()
        .filter(|c| c.run == run)
        .collect();
    let count = in_run.len() as u64;
    if let Some(min) = expect.connections_min {
        if count < min {
            fail(
                PeerCheck::Run { run },
                format!("{host}: {count} connections in run {run}, expected at least {min}"),
            );
        }
    }
    if let Some(expected) = expect.handshakes {
        let done = in_run
            .iter()
            .filter(|c| c.handshake_at_ms.is_some())
            .count() as u64;
        if done != expected {
            fail(PeerCheck::Run { run }, format!("{host}: {done} of {count} connections in run {run} finished the handshake, expected {expected}"));
        }
    }
    if let Some(reason) = &expect.all_disconnected {
        if in_run.is_empty() {
            fail(
                PeerCheck::Run { run },
                format!("{host}: no connection in run {run}"),
            );
        }
        for c in &in_run {
            if !reason_matches(c, reason) {
                let end = end_text(c);
                fail(PeerCheck::Run { run }, format!("{host}: connection {} of run {run} ended `{end}`, expected a disconnect containing `{reason}`", c.peer_id));
            }
        }
    }
    if let Some(never) = expect.never_disconnected {
        let disconnected = in_run.iter().filter(|c| c.closed_by_node()).count();
        if never && disconnected > 0 {
            fail(PeerCheck::Run { run }, format!("{host}: the node ended {disconnected} of its connections in run {run}, expected none"));
        }
        if !never && disconnected == 0 {
            fail(
                PeerCheck::Run { run },
                format!("{host}: the node ended none of its connections in run {run}"),
            );
        }
    }
}

/// Whether the node closed `c` for a reason whose rendering contains `pattern`: the scenario
/// format's `disconnect_reason` and `all_disconnected` are text patterns a person writes
/// against the trace's wording, so this is the one place a reason's text is compared (typed
/// callers match on [`ConnectionRecord::disconnect_reason`] instead).
fn reason_matches(c: &ConnectionRecord, pattern: &str) -> bool {
    c.disconnect_reason()
        .is_some_and(|reason| reason.to_string().contains(pattern))
}

/// How `c` ended, in words (`still open` if it did not).
fn end_text(c: &ConnectionRecord) -> String {
    c.end
        .as_ref()
        .map_or_else(|| "still open".to_string(), ToString::to_string)
}

/// Compares per-command totals over all of a host's connections.
fn check_counts(
    host: &str,
    what: &str,
    check: impl Fn(String) -> PeerCheck,
    connections: &[&ConnectionRecord],
    counts: impl Fn(&ConnectionRecord) -> &BTreeMap<String, u64>,
    expected: &BTreeMap<String, u64>,
    fail: &mut impl FnMut(PeerCheck, String),
) {
    for (command, count) in expected {
        let actual: u64 = connections
            .iter()
            .map(|c| counts(c).get(command).copied().unwrap_or(0))
            .sum();
        if actual != *count {
            fail(
                check(command.clone()),
                format!("{host}: node {what} {actual} `{command}`, expected {count}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(pongs_sent: Vec<(u64, u64)>) -> ConnectionRecord {
        ConnectionRecord {
            host: "q".into(),
            run: 1,
            peer_id: 1,
            direction: node::protocol::Direction::Outbound(node::protocol::TargetId(0)),
            connection_type: node::protocol::ConnectionType::Manual,
            connected_at_ms: 0,
            handshake_at_ms: Some(10),
            sent: BTreeMap::new(),
            received: BTreeMap::new(),
            headers_accepted: 0,
            last_sent_ms: BTreeMap::new(),
            sent_sequence: Vec::new(),
            pongs_sent,
            ended_at_ms: None,
            end: None,
        }
    }

    fn failures(pongs: Vec<(u64, u64)>, pings: &[PingSent], limit_ms: u64) -> Vec<String> {
        let c = connection(pongs);
        let mut out = Vec::new();
        check_pong_latency("q", &[&c], pings, limit_ms, &mut |_, m| out.push(m));
        out
    }

    #[test]
    fn per_connection_expectations_name_the_connection_and_the_command() {
        let mut first = connection(Vec::new());
        first.sent.insert("getheaders".into(), 1);
        let mut second = connection(Vec::new());
        second.handshake_at_ms = None;
        second.received.insert("ping".into(), 1);
        let expect = [
            ConnectionExpect {
                sent: [("getheaders".to_string(), 1)].into(),
                ..ConnectionExpect::default()
            },
            ConnectionExpect {
                handshake: Some(true),
                received: [("ping".to_string(), 2)].into(),
                ..ConnectionExpect::default()
            },
            ConnectionExpect::default(),
        ];
        let records = [&first, &second];
        let mut out = Vec::new();
        for (index, expected) in expect.iter().enumerate() {
            let c = records.get(index).copied();
            check_connection("q", index, c, expected, &mut |check, message| {
                out.push(format!("{check}: {message}"))
            });
        }
        assert_eq!(
            out,
            [
                "connections[1].handshake: q: connection 2 finished its handshake = false, expected true",
                "connections[1].received.ping: q: on connection 2 the node received from it 1 `ping`, expected 2",
                "connections[2].exists: q: the node had no connection 3 with it",
            ]
        );
    }

    #[test]
    fn pong_latency_fails_when_slow_missing_or_never_pinged() {
        let pings = [
            PingSent {
                nonce: 1,
                at_ms: 100,
            },
            PingSent {
                nonce: 2,
                at_ms: 2000,
            },
        ];
        assert!(failures(vec![(1, 150), (2, 4000)], &pings, 2000).is_empty());
        let slow = failures(vec![(1, 150), (2, 4001)], &pings, 2000);
        assert_eq!(slow.len(), 1, "{slow:?}");
        assert!(
            slow[0].contains("0x2") && slow[0].contains("after 2001 ms"),
            "{slow:?}"
        );
        // A pong with the nonce sent before the ping does not answer it.
        let missing = failures(vec![(1, 150), (2, 1500)], &pings, 2000);
        assert!(
            missing.len() == 1 && missing[0].contains("never answered"),
            "{missing:?}"
        );
        let none = failures(Vec::new(), &[], 2000);
        assert!(
            none.len() == 1 && none[0].contains("sent no ping"),
            "{none:?}"
        );
    }
}

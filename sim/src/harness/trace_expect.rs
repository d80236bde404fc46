//! The trace expectations (`expect.trace_contains`, `expect.trace_lacks`): which lines a
//! [`TraceScope`] bounds (a window of simulated time, a host, one of its connections, a node
//! run) and the failures when a text is missing from them or found in them.

use node::Event;

use crate::harness::failure::{Check, Failure};
use crate::harness::trace::{Recorder, TraceEntry, TraceLine};
use crate::scenario::{Expect, TraceMatch, TraceScope};

/// One [`Failure::Expectation`] per `trace_contains` text no line of its scope holds and per
/// `trace_lacks` text a line of its scope holds (empty: all hold).
pub fn check_trace(expect: &Expect, recorder: &Recorder) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (wanted, list) in [(true, &expect.trace_contains), (false, &expect.trace_lacks)] {
        for trace in list {
            let check = if wanted {
                Check::TraceContains {
                    needle: trace.text.clone(),
                    scope: trace.scope.clone(),
                }
            } else {
                Check::TraceLacks {
                    needle: trace.text.clone(),
                    scope: trace.scope.clone(),
                }
            };
            if let Some(message) = problem(trace, wanted, recorder) {
                failures.push(Failure::Expectation { check, message });
            }
        }
    }
    failures
}

/// Why `trace` fails (`wanted`: some line of its scope must hold its text; else none may).
fn problem(trace: &TraceMatch, wanted: bool, recorder: &Recorder) -> Option<String> {
    let (needle, scope) = (&trace.text, &trace.scope);
    let lines = match scoped_lines(scope, recorder) {
        Ok(lines) => lines,
        Err(missing) => return Some(format!("no trace line contains {needle:?}: {missing}")),
    };
    let found = lines
        .into_iter()
        .find(|line| line.text.contains(needle.as_str()));
    match (wanted, found) {
        (true, None) => Some(format!("no trace line{scope} contains {needle:?}")),
        (false, Some(line)) => Some(format!(
            "trace line at {} ms contains {needle:?}: {}",
            line.at_ms, line.text
        )),
        _ => None,
    }
}

/// The trace lines `scope` bounds, in order; `Err` names the connection it asks for when the
/// node had no such connection.
pub fn scoped_lines<'a>(
    scope: &TraceScope,
    recorder: &'a Recorder,
) -> Result<Vec<&'a TraceLine>, String> {
    let connection = match (&scope.peer, scope.connection) {
        (Some(host), Some(k)) => {
            let mut with_host = recorder.connections.iter().filter(|c| &c.host == host);
            let index = usize::try_from(k).unwrap_or(usize::MAX).saturating_sub(1);
            match with_host.nth(index) {
                Some(c) => Some((c.run, c.peer_id)),
                None => {
                    let had = recorder
                        .connections
                        .iter()
                        .filter(|c| &c.host == host)
                        .count();
                    return Err(format!(
                        "the node had {had} connections with {host}, so no connection {k}"
                    ));
                }
            }
        }
        _ => None,
    };
    let from_ms = scope.from_s.map_or(0, |s| s.saturating_mul(1000));
    let until_ms = scope.until_s.map_or(u64::MAX, |s| s.saturating_mul(1000));
    Ok(recorder
        .lines
        .iter()
        .filter(|line| line.at_ms >= from_ms && line.at_ms < until_ms)
        .filter(|line| scope.run.is_none_or(|run| line.run == run))
        .filter(|line| {
            scope
                .peer
                .as_ref()
                .is_none_or(|host| line_host(line) == Some(host.as_str()))
        })
        .filter(|line| {
            connection.is_none_or(|(run, peer_id)| {
                line.run == run
                    && matches!(&line.entry, TraceEntry::Node(event) if event.peer().is_some_and(|p| p.0 == peer_id))
            })
        })
        .collect())
}

/// The host a trace line is about: its connection's host, or the host the node dials, redials
/// or bans; `None` for the node's other lines and for harness lines.
fn line_host(line: &TraceLine) -> Option<&str> {
    if let Some(host) = &line.host {
        return Some(host);
    }
    match &line.entry {
        TraceEntry::Node(
            Event::Dialing { addr, .. }
            | Event::DialFailed { addr, .. }
            | Event::Reconnecting { addr, .. },
        ) => addr.split(':').next(),
        TraceEntry::Node(Event::Banned { host, .. } | Event::BanLoaded { host, .. }) => Some(host),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::protocol::{Direction, MessageSummary};
    use node::PeerId;

    /// Run 1: p#1 connects at 1 s and gets a ping; q#2 connects at 2 s; run 2: p#1 (a new
    /// connection) connects at 10 s and gets a ping; a dial to p fails at 20 s.
    fn recorder() -> Recorder {
        let mut recorder = Recorder::new(0);
        let connected = |peer: u64, host: &str| Event::Connected {
            peer: PeerId(peer),
            addr: format!("{host}:8333"),
            direction: Direction::Inbound,
            connection: node::protocol::ConnectionType::Inbound,
        };
        let ping = |peer: u64| Event::Sent {
            peer: PeerId(peer),
            message: MessageSummary::Ping { nonce: peer },
        };
        recorder.start_run();
        recorder.record(1000, &connected(1, "p"));
        recorder.record(1500, &ping(1));
        recorder.record(2000, &connected(2, "q"));
        recorder.start_run();
        recorder.record(10_000, &connected(1, "p"));
        recorder.record(10_500, &ping(1));
        recorder.record(
            20_000,
            &Event::DialFailed {
                addr: "p:8333".into(),
                error: "p:8333: connection refused".into(),
                retry_in_ms: Some(5000),
                failed_attempts: None,
            },
        );
        recorder
    }

    fn texts(scope: TraceScope, recorder: &Recorder) -> Vec<String> {
        scoped_lines(&scope, recorder)
            .unwrap()
            .iter()
            .map(|l| format!("{} r{} {}", l.at_ms, l.run, l.text))
            .collect()
    }

    #[test]
    fn a_scope_bounds_time_host_connection_and_run() {
        let recorder = recorder();
        let scope = |t: TraceMatch| t.scope;
        assert_eq!(texts(TraceScope::default(), &recorder).len(), 6);
        assert_eq!(
            texts(scope(TraceMatch::new("").between_s(1, 2)), &recorder),
            [
                "1000 r1 connected p#1 addr=p:8333 inbound",
                "1500 r1 send p#1 ping nonce=0x0000000000000001"
            ]
        );
        let p = texts(scope(TraceMatch::new("").peer("p")), &recorder);
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p[4].contains("dial_failed p:8333"), "{p:?}");
        let second = texts(scope(TraceMatch::new("").connection("p", 2)), &recorder);
        assert_eq!(
            second,
            [
                "10000 r2 connected p#1 addr=p:8333 inbound",
                "10500 r2 send p#1 ping nonce=0x0000000000000001"
            ]
        );
        assert_eq!(texts(scope(TraceMatch::new("").run(1)), &recorder).len(), 3);
        let missing = scoped_lines(&TraceMatch::new("").connection("q", 2).scope, &recorder);
        assert_eq!(
            missing.unwrap_err(),
            "the node had 1 connections with q, so no connection 2"
        );
    }

    #[test]
    fn a_scoped_failure_names_its_scope() {
        let recorder = recorder();
        let expect = Expect {
            trace_contains: vec![
                TraceMatch::new("ping").connection("p", 1).run(1),
                TraceMatch::new("dial_failed").between_s(0, 20),
            ],
            trace_lacks: vec![
                TraceMatch::new("ping").peer("q"),
                TraceMatch::new("ping").connection("p", 2),
            ],
            ..Expect::default()
        };
        let failures = check_trace(&expect, &recorder);
        let text: Vec<String> = failures
            .iter()
            .map(|f| format!("{}: {f}", f.group()))
            .collect();
        assert_eq!(
            text,
            [
                "expect.trace_contains \"dial_failed\" in [0, 20) s: no trace line in [0, 20) s contains \"dial_failed\"",
                "expect.trace_lacks \"ping\" peer p connection 2: trace line at 10500 ms contains \"ping\": send p#1 ping nonce=0x0000000000000001",
            ]
        );
    }
}

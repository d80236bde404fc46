//! `sim run --html`: one self-contained HTML page that shows what happened in a run.
//!
//! [`html`] draws, top to bottom:
//!
//! * a header: scenario name and description, seed, simulated duration, tip height, stored
//!   rows and the verdict, beside a chart of the tip height over simulated time (an inline SVG
//!   step line from the trace's `started` and `tip_changed` lines; reorgs are dots);
//! * a sequence diagram (inline SVG): one vertical lane per host (`node`, then every fake peer
//!   in scenario order, then any other host the trace names), one arrow per message between
//!   the node and a peer (`send host#id ...` points from the node to the peer, `recv ...` back),
//!   labelled with the command and its key fields (hashes shortened) and with the simulated
//!   time; connections, disconnects (with their reasons), closes by the peer and node starts
//!   as marks on the lanes; every fault as a shaded span across the lanes it concerns, from
//!   when it was applied to when it ended (or the end of the run), hatched and labelled
//!   "never fired" when it never took effect;
//! * tables of the faults, the node's connections and how each ended, the invariants checked
//!   (with the first violation of each) and the expectations that failed.
//!
//! Long runs stay readable: a run of [`REPEAT_MIN`] or more consecutive messages with the
//! same host, direction and command is one arrow marked `×N`, so is each host's, direction's
//! and command's share of a stretch of [`KEEPALIVE_MIN`] or more consecutive `ping`/`pong`
//! messages, and at most [`ARROWS_MAX`] arrows and [`MARKERS_MAX`] lane marks are drawn (the
//! first and last halves; the page says what was left out and where). The page says so too.
//!
//! The page loads nothing and runs no script: everything is drawn here as HTML and SVG. It is
//! a function of the scenario and the run result only ([`RunResult::wall_ms`], the one field
//! of real time, is left out), so the same scenario and seed give the same bytes. Every text
//! from a trace is HTML-escaped.
//!
//! Hooks for tests (stable): `header#summary[data-verdict]`, `g.lane[data-host]`,
//! `g.arrow[data-command][data-direction][data-host][data-peer][data-at-ms][data-count]`,
//! `g.fault[data-label][data-hosts][data-start-ms][data-end-ms][data-fired]`,
//! `g.disconnect[data-host][data-by][data-reason]`, `g.connect`, `g.start`, `g.elided`,
//! `svg#tip-chart[data-final-height]`, `table#faults`, `table#connections`,
//! `table#invariants` (rows `tr.invariant[data-name][data-result]`), `ul#failures`.
//!
//! Fault spans come from [`RunResult::faults`]: applied at `start_ms`, undone at `end_ms`
//! (or lasting to the end), and marked when they never fired.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`html`]: the page, top to bottom |
//! | `read.rs` | the trace read as messages, lane marks and the tip series; the lanes |
//! | `layout.rs` | the diagram's rows: repeats and keepalives collapsed, long runs elided |
//! | `svg.rs` | the diagram drawn: lanes, arrows, labels, marks, fault spans |
//! | `chart.rs` | the tip chart |
//! | `tables.rs` | the header and the tables |
//! | `text.rs` | escaping, shortened hashes, cut labels |
//! | `style.rs` | the CSS |

mod chart;
mod layout;
mod read;
mod style;
mod svg;
mod tables;
mod text;

use std::fmt::Write as _;

use crate::harness::runner::RunResult;
use crate::scenario::Scenario;
use layout::Diagram;
use read::{lanes, tip_series};
use style::STYLE;
use tables::{connections_table, expectations, faults_table, invariants_table, summary};
use text::esc;

pub use layout::{ARROWS_MAX, KEEPALIVE_MIN, MARKERS_MAX, REPEAT_MIN};

/// The whole page for one run of `scenario` (named `name`, the file stem).
pub fn html(scenario: &Scenario, name: &str, result: &RunResult) -> String {
    let faults = result.faults.clone();
    let lanes = lanes(scenario, &result.recorder.lines);
    let tip = tip_series(&result.recorder.lines);
    let diagram = Diagram::build(&result.recorder.lines, &faults, &lanes);

    let mut out = String::with_capacity(64 * 1024 + diagram.rows.len() * 600);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{} — headersim run</title>", esc(name));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>");
    let _ = writeln!(
        out,
        "<body data-scenario=\"{}\" data-seed=\"{}\">",
        esc(name),
        result.outcome.seed
    );
    summary(&mut out, scenario, name, result, &tip, &faults);
    out.push_str(
        "<nav><a href=\"#diagram\">messages</a> · <a href=\"#faults\">faults</a> · \
         <a href=\"#connections\">connections</a> · <a href=\"#invariants\">invariants</a> · \
         <a href=\"#expectations\">expectations</a></nav>\n",
    );
    diagram.render(&mut out, scenario, &lanes, &faults);
    faults_table(&mut out, &faults, result.simulated_ms);
    connections_table(&mut out, result);
    invariants_table(&mut out, result);
    expectations(&mut out, scenario, result);
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::invariants::{InvariantReport, Violation};
    use crate::harness::outcome::Outcome;
    use std::collections::BTreeMap;

    use crate::harness::faults::FaultReport;
    use crate::harness::trace::{HarnessNote, Recorder};
    use node::protocol::MessageSummary;
    use node::{Event, PeerId};

    const SCENARIO: &str = r#"{"description":"two peers <and> a partition","seed":5,"duration_s":60,
        "node":{"network":"regtest","connect":["p","q"]},
        "peers":[{"name":"p","chain":{"regtest":{"height":5,"seed":1}}},
                 {"name":"q","chain":{"regtest":{"height":5,"seed":1}}}],
        "faults":[{"at_ms":5,"fault":{"partition":{"a":"node","b":"p"}}},
                  {"at_ms":50,"fault":{"repair":{"a":"node","b":"p"}}}],
        "expect":{}}"#;

    fn sent(peer: u64, message: MessageSummary) -> Event {
        Event::Sent {
            peer: PeerId(peer),
            message,
        }
    }

    fn received(peer: u64, message: MessageSummary) -> Event {
        Event::Received {
            peer: PeerId(peer),
            message,
        }
    }

    /// A message with no key fields.
    fn bare(command: &'static str) -> MessageSummary {
        MessageSummary::Other {
            command: node::wire::CommandString::try_from_static(command).expect("a command"),
            payload_digest: 0,
        }
    }

    fn version(user_agent: &str) -> MessageSummary {
        MessageSummary::Version {
            version: 70016,
            services: 9,
            start_height: 0,
            nonce: 1,
            user_agent: user_agent.into(),
        }
    }

    fn ping(nonce: u64) -> MessageSummary {
        MessageSummary::Ping { nonce }
    }

    fn pong(nonce: u64) -> MessageSummary {
        MessageSummary::Pong { nonce }
    }

    /// A run's result from events fed to a real recorder (epoch 0), with `faults` and
    /// `invariants` as given.
    fn result_of(
        events: &[(u64, Event)],
        notes: &[(u64, HarnessNote)],
        faults: Vec<FaultReport>,
        invariants: Vec<InvariantReport>,
    ) -> RunResult {
        let mut recorder = Recorder::new(0);
        recorder.start_run();
        for (at_ms, event) in events {
            recorder.record(*at_ms, event);
        }
        for (at_ms, note) in notes {
            recorder.note(*at_ms, note.clone());
        }
        recorder.lines.sort_by_key(|l| l.at_ms);
        let outcome = Outcome::new("unit", 5, &recorder, 6, String::new(), BTreeMap::new());
        RunResult {
            outcome,
            failures: vec![crate::harness::failure::Failure::Expectation {
                check: crate::harness::failure::Check::TipHeight,
                message: "tip_height 3 <expected 5>".into(),
            }],
            recorder,
            simulated_ms: 60_000,
            wall_ms: 1234,
            setup_wall_ms: 0,
            tip_wall_ms: None,
            faults,
            invariants,
        }
    }

    fn handshake(peer: u64, addr: &str, at_ms: u64, user_agent: &str) -> Vec<(u64, Event)> {
        vec![
            (
                at_ms,
                Event::Connected {
                    peer: PeerId(peer),
                    addr: format!("{addr}:8333"),
                    direction: node::protocol::Direction::Outbound(node::protocol::TargetId(0)),
                    connection: node::protocol::ConnectionType::Manual,
                },
            ),
            (at_ms, sent(peer, version("/headersim/"))),
            (at_ms + 20, received(peer, version(user_agent))),
            (at_ms + 20, sent(peer, bare("verack"))),
            (at_ms + 20, received(peer, bare("verack"))),
        ]
    }

    /// Opening tags with class `class` (exactly, as the page writes it).
    fn tags<'a>(page: &'a str, class: &str) -> Vec<&'a str> {
        let needle = format!("class=\"{class}\"");
        page.match_indices(&needle)
            .filter_map(|(at, _)| {
                let start = page[..at].rfind('<')?;
                let end = at + page[at..].find('>')?;
                Some(&page[start..=end])
            })
            .collect()
    }

    /// The text from `open` (an opening `<g ...>` tag) to the `</g>` that closes it.
    fn group<'a>(page: &'a str, open: &str) -> &'a str {
        let start = page.find(open).expect("the tag is in the page");
        let end = start + page[start..].find("</g>").expect("closed");
        &page[start..end]
    }

    #[test]
    fn the_page_has_a_lane_per_host_arrows_in_both_directions_and_escapes_trace_text() {
        let scenario = Scenario::parse("unit.json", SCENARIO).expect("scenario");
        let mut events = handshake(1, "p", 10, "/<b>evil</b>/");
        events.extend(handshake(2, "q", 10, "<script>alert(1)</script>"));
        let genesis: bitcoin::BlockHash =
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
                .parse()
                .expect("a hash");
        let getheaders = MessageSummary::GetHeaders {
            locator_heights: vec![None],
            first_locator: Some(genesis),
            stop_hash: <bitcoin::BlockHash as bitcoin::hashes::Hash>::all_zeros(),
        };
        events.push((40, sent(1, getheaders)));
        let headers = MessageSummary::Headers {
            count: 5,
            ends: Some((genesis, genesis)),
        };
        events.push((60, received(1, headers)));
        events.push((
            70,
            Event::Disconnected {
                peer: PeerId(2),
                reason: node::DisconnectReason::FirstMessageNotVersion {
                    command: "<img>".into(),
                },
            },
        ));
        let invariants = vec![InvariantReport {
            name: "tip_work_never_decreases",
            description: "the best chain's work never goes down",
            applied: true,
            violation: Some(Violation {
                invariant: "tip_work_never_decreases",
                at_ms: 61,
                seed: 5,
                peer: None,
                message: "work fell <below> its best".into(),
            }),
        }];
        let never = FaultReport {
            index: 0,
            label: "drop headers #2 from p".into(),
            hosts: vec!["node".into(), "p".into()],
            start_ms: 5,
            end_ms: None,
            fired_at_ms: None,
        };
        let result = result_of(&events, &[], vec![never], invariants);
        let page = html(&scenario, "unit", &result);

        let lanes = tags(&page, "lane");
        assert_eq!(lanes.len(), 3, "{lanes:?}");
        for (lane, host) in lanes.iter().zip(["node", "p", "q"]) {
            assert!(lane.contains(&format!("data-host=\"{host}\"")), "{lane}");
        }
        let arrows = tags(&page, "arrow");
        assert_eq!(
            arrows.len(),
            10,
            "four handshake messages per peer, getheaders, headers: {arrows:#?}"
        );
        let getheaders: Vec<_> = arrows
            .iter()
            .filter(|a| a.contains("data-command=\"getheaders\""))
            .collect();
        assert_eq!(getheaders.len(), 1);
        assert!(
            getheaders[0].contains("data-direction=\"send\"")
                && getheaders[0].contains("data-host=\"p\"")
                && getheaders[0].contains("data-at-ms=\"40\"")
        );
        assert!(
            group(&page, getheaders[0]).contains(">40 ms</text>"),
            "the arrow shows its time"
        );
        assert!(
            page.contains("locator[0]=0f9188f13… stop=0"),
            "hashes are shortened in labels"
        );
        assert!(arrows.iter().any(|a| a.contains("data-command=\"headers\"")
            && a.contains("data-direction=\"recv\"")
            && a.contains("data-at-ms=\"60\"")));

        // Every text from the trace is escaped, in content and in attributes.
        for raw in [
            "<script>",
            "<b>evil",
            "<img>",
            "<below>",
            "<expected",
            "<and>",
        ] {
            assert!(!page.contains(raw), "unescaped {raw}");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("/&lt;b&gt;evil&lt;/b&gt;/"));
        assert!(!page.contains("<script"), "the page runs no script");

        let disconnects = tags(&page, "disconnect");
        assert_eq!(disconnects.len(), 1);
        assert!(
            disconnects[0].contains("data-host=\"q\"")
                && disconnects[0].contains("data-by=\"node\"")
        );
        assert!(
            disconnects[0].contains("data-reason=\"first message was `&lt;img&gt;`"),
            "{}",
            disconnects[0]
        );

        let faults = tags(&page, "fault");
        assert_eq!(faults.len(), 1, "the runner's report is used as it is");
        assert!(
            faults[0].contains("data-fired=\"false\"") && !faults[0].contains("data-end-ms"),
            "{}",
            faults[0]
        );
        assert!(page.contains("drop headers #2 from p: 5 ms → end of run — never fired"));

        let invariant = tags(&page, "invariant fail");
        assert_eq!(invariant.len(), 1);
        assert!(page.contains("at 61 ms (seed 5): work fell &lt;below&gt; its best"));
        assert!(page.contains("<li class=\"failure\">tip_height 3 &lt;expected 5&gt;</li>"));
        assert!(page.contains("data-verdict=\"fail\""));
        assert!(
            !page.contains("1234"),
            "the run's wall-clock time stays out of the page"
        );
        assert_eq!(
            page,
            html(&scenario, "unit", &result),
            "the same result gives the same page"
        );
    }

    #[test]
    fn repeats_and_keepalive_stretches_collapse_and_long_runs_are_elided() {
        let scenario = Scenario::parse("unit.json", SCENARIO).expect("scenario");
        let mut events = handshake(1, "p", 0, "/p/");
        for k in 0..10u64 {
            let at = 1000 + k * 120_000;
            events.push((at, sent(1, ping(k))));
            events.push((at + 20, received(1, pong(k))));
        }
        for k in 0..5u64 {
            events.push((2_000_000 + k, received(1, bare("inv"))));
        }
        let result = result_of(&events, &[], Vec::new(), Vec::new());
        let page = html(&scenario, "unit", &result);
        let arrows = tags(&page, "arrow");
        let pings: Vec<_> = arrows
            .iter()
            .filter(|a| a.contains("data-command=\"ping\""))
            .collect();
        assert_eq!(pings.len(), 1, "{arrows:#?}");
        assert!(
            pings[0].contains("data-count=\"10\"")
                && pings[0].contains("data-at-ms=\"1000\"")
                && pings[0].contains("data-last-ms=\"1081000\"")
        );
        assert!(page.contains("×10 until 1081000 ms"));
        let invs: Vec<_> = arrows
            .iter()
            .filter(|a| a.contains("data-command=\"inv\""))
            .collect();
        assert_eq!(invs.len(), 1);
        assert!(invs[0].contains("data-count=\"5\""));
        assert_eq!(arrows.len(), 4 + 2 + 1);

        // Thousands of distinct messages: the first and last halves are drawn, the rest is one
        // elided row that counts them.
        let mut events = handshake(1, "p", 0, "/p/");
        let total = ARROWS_MAX as u64 * 2;
        for k in 0..total {
            let command = if k % 2 == 0 { "getheaders" } else { "headers" };
            events.push((
                100 + k,
                if k % 2 == 0 {
                    sent(1, bare(command))
                } else {
                    received(1, bare(command))
                },
            ));
        }
        let result = result_of(&events, &[], Vec::new(), Vec::new());
        let page = html(&scenario, "unit", &result);
        assert_eq!(tags(&page, "arrow").len(), ARROWS_MAX);
        let elided = tags(&page, "elided");
        assert_eq!(elided.len(), 1);
        let left_out = total as usize + 4 - ARROWS_MAX;
        assert!(
            elided[0].contains(&format!(
                "data-arrows=\"{left_out}\" data-messages=\"{left_out}\""
            )),
            "{}",
            elided[0]
        );
        assert!(page.contains(&format!("{left_out} arrows and 0 lane marks left out")));
    }
}

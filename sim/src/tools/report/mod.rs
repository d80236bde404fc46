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

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::harness::faults::FaultReport;
use crate::harness::runner::RunResult;
use crate::harness::trace::{TraceEntry, TraceLine};
use crate::scenario::Scenario;
use node::protocol::MessageSummary;
use node::{Event, PeerId};

/// Consecutive messages with the same host, direction and command are one arrow from this
/// many on.
pub const REPEAT_MIN: usize = 3;
/// A stretch of consecutive `ping`/`pong` messages (any hosts) this long or longer is one
/// arrow per host, direction and command.
pub const KEEPALIVE_MIN: usize = 4;
/// Arrows drawn at most; of more, the first and last halves are drawn.
pub const ARROWS_MAX: usize = 2000;
/// Lane marks (connections, disconnects, node starts) drawn at most, kept like arrows. Fault
/// marks are always drawn.
pub const MARKERS_MAX: usize = 1000;
/// Connections listed at most in the connections table.
const CONNECTIONS_MAX: usize = 500;
/// Points of the tip chart at most (evenly thinned, the last always kept).
const TIP_POINTS_MAX: usize = 4000;
/// A run of hex digits this long or longer is a hash and is shortened in arrow labels.
const HASH_DIGITS_MIN: usize = 24;

/// Width of the diagram's time column.
const TIME_COL_PX: i64 = 104;
/// Room left of the first lane and right of the last.
const LANE_MARGIN_PX: i64 = 110;
/// Distance between neighbouring lanes, at least and at most.
const LANE_GAP_MIN_PX: i64 = 230;
const LANE_GAP_MAX_PX: i64 = 760;
/// The diagram's width the lanes are spread over when they fit.
const DIAGRAM_WIDTH_PX: i64 = 1340;
/// Height of one row (an arrow or a mark).
const ROW_PX: i64 = 26;
/// How far a fault span reaches beyond the outermost lanes it covers.
const SPAN_PAD_PX: i64 = 80;
/// Extra height where simulated time jumps by [`GAP_MIN_MS`] or more between two rows.
const GAP_PX: i64 = 20;
/// A jump in simulated time this long between two rows is shown as a gap.
const GAP_MIN_MS: u64 = 1000;
/// Average width of one label character at the diagram's font size, in tenths of a pixel.
const CHAR_DECIPX: i64 = 66;

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

// ---------------------------------------------------------------------------------------------
// Reading the trace

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// The node sent it (`send`): node → peer.
    Send,
    /// The node received it (`recv`): peer → node.
    Recv,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Send => "send",
            Direction::Recv => "recv",
        }
    }
}

/// One `send` or `recv` trace line.
#[derive(Debug, Clone)]
struct Message {
    at_ms: u64,
    run: u32,
    host: String,
    /// `host#id`, as the trace writes the connection.
    peer: String,
    direction: Direction,
    command: String,
    detail: String,
    /// The whole trace line.
    text: String,
}

/// What a lane mark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkKind {
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
struct Mark {
    at_ms: u64,
    host: String,
    peer: String,
    kind: MarkKind,
    /// The reason (disconnects), or what to write beside the mark.
    text: String,
}

/// A trace event the diagram draws, in trace order.
#[derive(Debug, Clone)]
enum Item {
    Message(Message),
    Mark(Mark),
}

impl Item {
    fn at_ms(&self) -> u64 {
        match self {
            Item::Message(m) => m.at_ms,
            Item::Mark(m) => m.at_ms,
        }
    }
}

/// The host a trace line concerns (the recorder's label, `?` when it had none) and the
/// connection as the trace writes it, `host#id`.
fn host_and_peer(line: &TraceLine, peer: PeerId) -> (String, String) {
    let host = line.host.clone().unwrap_or_else(|| "?".to_string());
    let label = format!("{host}#{}", peer.0);
    (host, label)
}

/// The diagram's reading of one trace line, if it draws it.
fn parse_line(line: &TraceLine) -> Option<Item> {
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
fn lanes(scenario: &Scenario, lines: &[TraceLine]) -> Vec<String> {
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
struct TipPoint {
    at_ms: u64,
    height: u32,
    reorg_depth: u32,
}

/// The best height over time: each `started` (the stored tip) and `tip_changed` line.
fn tip_series(lines: &[TraceLine]) -> Vec<TipPoint> {
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

// ---------------------------------------------------------------------------------------------
// Faults

// ---------------------------------------------------------------------------------------------
// The sequence diagram

/// One or more messages drawn as one arrow.
#[derive(Debug, Clone)]
struct Arrow {
    first: Message,
    count: usize,
    last_ms: u64,
}

/// One row of the diagram.
#[derive(Debug, Clone)]
enum Row {
    Arrow(Arrow),
    Mark(Mark),
    /// Rows left out: how many arrows (and the messages in them) and marks, and their times.
    Elided {
        arrows: usize,
        messages: usize,
        marks: usize,
        from_ms: u64,
        to_ms: u64,
    },
}

impl Row {
    fn first_ms(&self) -> u64 {
        match self {
            Row::Arrow(a) => a.first.at_ms,
            Row::Mark(m) => m.at_ms,
            Row::Elided { from_ms, .. } => *from_ms,
        }
    }

    fn last_ms(&self) -> u64 {
        match self {
            Row::Arrow(a) => a.last_ms,
            Row::Mark(m) => m.at_ms,
            Row::Elided { to_ms, .. } => *to_ms,
        }
    }
}

fn is_keepalive(command: &str) -> bool {
    command == "ping" || command == "pong"
}

/// The diagram's rows (collapsed, then elided) and the counts the page states: messages in
/// the trace, arrows after collapsing, and arrows and marks left out.
#[derive(Debug)]
struct Diagram {
    rows: Vec<Row>,
    messages: usize,
    arrows: usize,
    elided_arrows: usize,
    elided_marks: usize,
}

impl Diagram {
    fn build(lines: &[TraceLine], faults: &[FaultReport], lanes: &[String]) -> Diagram {
        let mut fault_marks: Vec<Mark> = Vec::new();
        for (n, fault) in faults.iter().enumerate() {
            let host = fault
                .hosts
                .iter()
                .find(|h| lanes.contains(h))
                .cloned()
                .unwrap_or_else(|| "node".into());
            let start = Mark {
                at_ms: fault.start_ms,
                host,
                peer: String::new(),
                kind: MarkKind::FaultStart(n),
                text: fault.label.clone(),
            };
            if let Some(end_ms) = fault.end_ms.filter(|&end| end > fault.start_ms) {
                fault_marks.push(Mark {
                    at_ms: end_ms,
                    kind: MarkKind::FaultEnd(n),
                    ..start.clone()
                });
            }
            fault_marks.push(start);
        }
        // Ends before starts at the same time, then in list order.
        fault_marks.sort_by_key(|m| match m.kind {
            MarkKind::FaultEnd(n) => (m.at_ms, 0, n),
            MarkKind::FaultStart(n) => (m.at_ms, 1, n),
            _ => (m.at_ms, 2, 0),
        });
        let mut items = Vec::new();
        let mut pending = fault_marks.into_iter().peekable();
        let mut messages = 0;
        for item in lines.iter().filter_map(parse_line) {
            while let Some(mark) = pending.next_if(|m| m.at_ms <= item.at_ms()) {
                items.push(Item::Mark(mark));
            }
            messages += usize::from(matches!(item, Item::Message(_)));
            items.push(item);
        }
        items.extend(pending.map(Item::Mark));
        let rows = collapse(items);
        let arrows = rows.iter().filter(|r| matches!(r, Row::Arrow(_))).count();
        let (rows, elided_arrows, elided_marks) = elide(rows);
        Diagram {
            rows,
            messages,
            arrows,
            elided_arrows,
            elided_marks,
        }
    }
}

/// Collapses repeats and keep-alive stretches into single arrows; marks stay as they are.
fn collapse(items: Vec<Item>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let first = match &items[i] {
            Item::Mark(mark) => {
                rows.push(Row::Mark(mark.clone()));
                i += 1;
                continue;
            }
            Item::Message(m) => m,
        };
        let keepalive_end = i + items[i..]
            .iter()
            .take_while(|it| matches!(it, Item::Message(m) if is_keepalive(&m.command)))
            .count();
        if keepalive_end - i >= KEEPALIVE_MIN {
            let mut groups: Vec<Arrow> = Vec::new();
            for item in &items[i..keepalive_end] {
                let Item::Message(m) = item else { continue };
                let same = |a: &&mut Arrow| {
                    a.first.host == m.host
                        && a.first.run == m.run
                        && a.first.direction == m.direction
                        && a.first.command == m.command
                };
                match groups.iter_mut().find(same) {
                    Some(group) => {
                        group.count += 1;
                        group.last_ms = m.at_ms;
                    }
                    None => groups.push(Arrow {
                        first: m.clone(),
                        count: 1,
                        last_ms: m.at_ms,
                    }),
                }
            }
            rows.extend(groups.into_iter().map(Row::Arrow));
            i = keepalive_end;
            continue;
        }
        let repeat_end = i + items[i..]
            .iter()
            .take_while(|it| {
                matches!(it, Item::Message(m) if m.host == first.host && m.run == first.run
                    && m.direction == first.direction && m.command == first.command)
            })
            .count();
        let end = if repeat_end - i >= REPEAT_MIN {
            repeat_end
        } else {
            i + 1
        };
        rows.push(Row::Arrow(Arrow {
            first: first.clone(),
            count: end - i,
            last_ms: items[end - 1].at_ms(),
        }));
        i = end;
    }
    rows
}

/// Keeps the first and last halves of [`ARROWS_MAX`] arrows and of [`MARKERS_MAX`] marks (and
/// every fault mark); each stretch left out becomes one `Elided` row. Returns the rows and how
/// many arrows and marks were left out.
fn elide(rows: Vec<Row>) -> (Vec<Row>, usize, usize) {
    let arrows = rows.iter().filter(|r| matches!(r, Row::Arrow(_))).count();
    let marks = rows
        .iter()
        .filter(|r| matches!(r, Row::Mark(m) if !is_fault_mark(m)))
        .count();
    let keep =
        |n: usize, total: usize, max: usize| total <= max || n < max / 2 || n >= total - max / 2;
    let (mut arrow_n, mut mark_n) = (0, 0);
    let mut out: Vec<Row> = Vec::with_capacity(rows.len().min(ARROWS_MAX + MARKERS_MAX + 64));
    let (mut elided_arrows, mut elided_marks) = (0, 0);
    for row in rows {
        let kept = match &row {
            Row::Arrow(_) => {
                arrow_n += 1;
                keep(arrow_n - 1, arrows, ARROWS_MAX)
            }
            Row::Mark(m) if !is_fault_mark(m) => {
                mark_n += 1;
                keep(mark_n - 1, marks, MARKERS_MAX)
            }
            _ => true,
        };
        if kept {
            out.push(row);
            continue;
        }
        let (arrow, messages, mark) = match &row {
            Row::Arrow(a) => (1, a.count, 0),
            _ => (0, 0, 1),
        };
        elided_arrows += arrow;
        elided_marks += mark;
        match out.last_mut() {
            Some(Row::Elided {
                arrows: a,
                messages: m,
                marks: k,
                to_ms,
                ..
            }) => {
                *a += arrow;
                *m += messages;
                *k += mark;
                *to_ms = row.last_ms();
            }
            _ => out.push(Row::Elided {
                arrows: arrow,
                messages,
                marks: mark,
                from_ms: row.first_ms(),
                to_ms: row.last_ms(),
            }),
        }
    }
    (out, elided_arrows, elided_marks)
}

fn is_fault_mark(mark: &Mark) -> bool {
    matches!(mark.kind, MarkKind::FaultStart(_) | MarkKind::FaultEnd(_))
}

/// Horizontal geometry of the lanes.
struct Geometry {
    /// Distance between neighbouring lanes.
    gap_px: i64,
    lanes: usize,
    width_px: i64,
}

impl Geometry {
    fn new(lanes: usize) -> Geometry {
        // With the node's lane alone, the gap is the room right of it for loops and marks.
        let gap = if lanes > 1 {
            let spread = (DIAGRAM_WIDTH_PX - TIME_COL_PX - 2 * LANE_MARGIN_PX) / (lanes as i64 - 1);
            spread.clamp(LANE_GAP_MIN_PX, LANE_GAP_MAX_PX)
        } else {
            LANE_GAP_MAX_PX
        };
        let last = TIME_COL_PX + LANE_MARGIN_PX + gap * (lanes.max(1) as i64 - 1);
        let width = last
            + if lanes > 1 {
                LANE_MARGIN_PX
            } else {
                gap + LANE_MARGIN_PX
            };
        Geometry {
            gap_px: gap,
            lanes,
            width_px: width,
        }
    }

    fn x(&self, lane: usize) -> i64 {
        TIME_COL_PX + LANE_MARGIN_PX + self.gap_px * lane as i64
    }

    /// Where text beside a mark on `lane` goes, its anchor and how many characters fit.
    fn beside(&self, lane: usize) -> (i64, &'static str, usize) {
        let room = chars_in(self.gap_px - 30);
        if lane + 1 == self.lanes && self.lanes > 1 {
            (self.x(lane) - 14, "end", room)
        } else {
            (self.x(lane) + 14, "start", room)
        }
    }
}

/// How many label characters fit in `px` pixels.
fn chars_in(px: i64) -> usize {
    usize::try_from(px.max(0) * 10 / CHAR_DECIPX)
        .unwrap_or(0)
        .max(8)
}

impl Diagram {
    fn render(
        &self,
        out: &mut String,
        scenario: &Scenario,
        lanes: &[String],
        faults: &[FaultReport],
    ) {
        let geometry = Geometry::new(lanes.len());
        let lane_of: BTreeMap<&str, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect();
        let lane = |host: &str| lane_of.get(host).copied().unwrap_or(0);

        // Vertical layout: each row's top, and the gaps in simulated time between rows.
        let mut tops = Vec::with_capacity(self.rows.len());
        let mut gaps = Vec::new();
        let mut y = 8;
        let mut previous_ms: Option<u64> = None;
        for row in &self.rows {
            if let Some(previous) = previous_ms {
                let jump = row.first_ms().saturating_sub(previous);
                if jump >= GAP_MIN_MS {
                    gaps.push((y, jump));
                    y += GAP_PX;
                }
            }
            tops.push(y);
            y += ROW_PX;
            previous_ms = Some(row.last_ms());
        }
        let height = y + 12;

        out.push_str("<section id=\"diagram\">\n<h2>Messages</h2>\n");
        let _ = writeln!(
            out,
            "<p class=\"note\">One arrow per message between the node and a peer: <span class=\"k-send\">→ the node sent it</span>, \
             <span class=\"k-recv\">← the node received it</span>; times are simulated milliseconds since the start. \
             Shaded: a fault across the lanes it concerns; ✕: a disconnect, with its reason. \
             A run of {REPEAT_MIN} or more consecutive messages with the same host, direction and command, and each host's, \
             direction's and command's share of a stretch of {KEEPALIVE_MIN} or more consecutive ping/pong messages, \
             are drawn as one arrow marked ×N. At most {ARROWS_MAX} arrows and {MARKERS_MAX} lane marks are drawn; \
             of more, the first and last halves, and the page says what was left out. Hover an arrow for its trace line.</p>"
        );
        let elided = if self.elided_arrows + self.elided_marks == 0 {
            "nothing left out".to_string()
        } else {
            format!(
                "{} arrows and {} lane marks left out (<a href=\"#elided-1\">where</a>)",
                self.elided_arrows, self.elided_marks
            )
        };
        let _ = writeln!(
            out,
            "<p class=\"note\" id=\"diagram-counts\" data-messages=\"{}\" data-arrows=\"{}\" data-elided-arrows=\"{}\">This run: {} messages drawn as {} arrows; {elided}.</p>",
            self.messages, self.arrows, self.elided_arrows, self.messages, self.arrows
        );

        // Lane names, kept in view while scrolling.
        let _ = writeln!(out, "<div class=\"lane-heads\"><svg width=\"{}\" height=\"40\" role=\"img\" aria-label=\"lanes\">", geometry.width_px);
        for (i, host) in lanes.iter().enumerate() {
            let what = if i == 0 {
                format!("{} profile", scenario.node.profile.profile().as_str())
            } else {
                match scenario.peers.iter().find(|p| &p.name == host) {
                    Some(peer) => format!("fake {} peer", peer.profile.profile().as_str()),
                    None => "not in the scenario".to_string(),
                }
            };
            let x = geometry.x(i);
            let _ = writeln!(
                out,
                "<g class=\"lane-head\" data-host=\"{h}\"><text x=\"{x}\" y=\"17\" class=\"lane-name{node}\">{h}</text>\
                 <text x=\"{x}\" y=\"33\" class=\"lane-what\">{w}</text></g>",
                h = esc(host),
                node = if i == 0 { " node" } else { "" },
                w = esc(&what)
            );
        }
        out.push_str("</svg></div>\n");

        let _ = writeln!(
            out,
            "<svg class=\"diagram\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"sequence diagram\">",
            w = geometry.width_px
        );
        out.push_str(
            "<defs>\
             <marker id=\"head-send\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"head-send\"/></marker>\
             <marker id=\"head-recv\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"head-recv\"/></marker>\
             <pattern id=\"never-fired\" width=\"10\" height=\"10\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"10\" height=\"10\" fill=\"#f3f4f6\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"10\" stroke=\"#9ca3af\" stroke-width=\"3\"/></pattern>\
             </defs>\n",
        );

        // Fault spans, behind everything else, across the lanes of their hosts (all lanes if
        // none of them has one).
        let spans_x: Vec<(i64, i64)> = faults
            .iter()
            .map(|fault| {
                let span_lanes: Vec<usize> = fault
                    .hosts
                    .iter()
                    .filter_map(|h| lane_of.get(h.as_str()).copied())
                    .collect();
                let low = span_lanes.iter().min().copied().unwrap_or(0);
                let high = span_lanes
                    .iter()
                    .max()
                    .copied()
                    .unwrap_or(lanes.len().saturating_sub(1));
                (
                    geometry.x(low) - SPAN_PAD_PX,
                    geometry.x(high) + SPAN_PAD_PX,
                )
            })
            .collect();
        for (n, fault) in faults.iter().enumerate() {
            let start_row = self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Mark(m) if m.kind == MarkKind::FaultStart(n)));
            let end_row = self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Mark(m) if m.kind == MarkKind::FaultEnd(n)));
            let Some(start_row) = start_row else { continue };
            let top = tops[start_row] + 2;
            let bottom = match (end_row, fault.end_ms) {
                (Some(end_row), _) => tops[end_row] + ROW_PX - 4,
                (None, Some(_)) => top + ROW_PX - 4,
                (None, None) => height - 4,
            };
            let (left, right) = spans_x[n];
            let fired = fault.fired_at_ms.is_some();
            let until = match fault.end_ms {
                Some(end) if end == fault.start_ms => String::new(),
                Some(end) => format!(" → {end} ms"),
                None => " → end of run".to_string(),
            };
            let label = format!(
                "{}: {} ms{until}{}",
                fault.label,
                fault.start_ms,
                if fired { "" } else { " — never fired" }
            );
            let end_attr = fault
                .end_ms
                .map(|end| format!(" data-end-ms=\"{end}\""))
                .unwrap_or_default();
            let fired_attr = fault
                .fired_at_ms
                .map(|at| format!(" data-fired-at-ms=\"{at}\""))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<g class=\"fault\" data-index=\"{index}\" data-label=\"{l}\" data-hosts=\"{hosts}\" data-start-ms=\"{start}\"{end_attr}{fired_attr} data-fired=\"{fired}\">\
                 <title>{title}</title>\
                 <rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" rx=\"4\"/>\
                 <text class=\"fault-label\" x=\"{tx}\" y=\"{ty}\">{label}</text></g>",
                index = fault.index,
                l = esc(&fault.label),
                hosts = esc(&fault.hosts.join(" ")),
                start = fault.start_ms,
                title = esc(&label),
                w = right - left,
                h = (bottom - top).max(4),
                tx = left + 8,
                ty = top + 15,
                label = esc(&label),
            );
        }

        // Lanes and gaps.
        for (i, host) in lanes.iter().enumerate() {
            let x = geometry.x(i);
            let _ = writeln!(
                out,
                "<g class=\"lane\" data-host=\"{h}\"><line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{height}\"/></g>",
                h = esc(host)
            );
        }
        for (y, jump_ms) in &gaps {
            let mid = y + GAP_PX / 2;
            let _ = writeln!(
                out,
                "<g class=\"gap\" data-ms=\"{jump_ms}\"><line x1=\"{x1}\" y1=\"{mid}\" x2=\"{x2}\" y2=\"{mid}\"/><text x=\"{tx}\" y=\"{ty}\">+{s}</text></g>",
                x1 = TIME_COL_PX - 4,
                x2 = geometry.width_px - 8,
                tx = TIME_COL_PX - 12,
                ty = mid + 4,
                s = seconds(*jump_ms),
            );
        }

        let mut elided_n = 0;
        for (row, &top) in self.rows.iter().zip(&tops) {
            match row {
                Row::Arrow(arrow) => {
                    render_arrow(out, arrow, top, &geometry, lane(&arrow.first.host))
                }
                Row::Mark(mark) => render_mark(
                    out,
                    mark,
                    top,
                    &geometry,
                    lane(&mark.host),
                    faults,
                    &spans_x,
                ),
                Row::Elided {
                    arrows,
                    messages,
                    marks,
                    from_ms,
                    to_ms,
                } => {
                    elided_n += 1;
                    let _ = writeln!(
                        out,
                        "<g class=\"elided\" id=\"elided-{elided_n}\" data-arrows=\"{arrows}\" data-messages=\"{messages}\" data-marks=\"{marks}\">\
                         <text class=\"time\" x=\"{tx}\" y=\"{ty}\">{from_ms} ms</text>\
                         <rect x=\"{rx}\" y=\"{ry}\" width=\"{rw}\" height=\"{rh}\" rx=\"3\"/>\
                         <text class=\"elided-text\" x=\"{cx}\" y=\"{ty}\">⋯ {messages} messages in {arrows} arrows and {marks} lane marks left out, {from_ms}–{to_ms} ms (sim run --trace prints them all) ⋯</text></g>",
                        tx = TIME_COL_PX - 12,
                        ty = top + 17,
                        rx = TIME_COL_PX,
                        ry = top + 3,
                        rw = geometry.width_px - TIME_COL_PX - 8,
                        rh = ROW_PX - 6,
                        cx = TIME_COL_PX + 12,
                    );
                }
            }
        }
        out.push_str("</svg>\n</section>\n");
    }
}

fn render_arrow(out: &mut String, arrow: &Arrow, top: i64, geometry: &Geometry, peer_lane: usize) {
    let m = &arrow.first;
    let node_x = geometry.x(0);
    let peer_x = geometry.x(peer_lane);
    let line_y = top + 19;
    let (from, to) = match m.direction {
        Direction::Send => (node_x, peer_x),
        Direction::Recv => (peer_x, node_x),
    };
    let span = if arrow.count > 1 {
        format!(" data-last-ms=\"{}\"", arrow.last_ms)
    } else {
        String::new()
    };
    let title = if arrow.count > 1 {
        format!(
            "{} ms–{} ms r{}: {} × {} {} {} (first: {})",
            m.at_ms,
            arrow.last_ms,
            m.run,
            arrow.count,
            m.direction.as_str(),
            m.peer,
            m.command,
            m.text
        )
    } else {
        format!("{} ms r{}: {}", m.at_ms, m.run, m.text)
    };
    let _ = write!(
        out,
        "<g class=\"arrow\" data-command=\"{c}\" data-direction=\"{d}\" data-host=\"{h}\" data-peer=\"{p}\" data-run=\"{r}\" data-at-ms=\"{at}\" data-count=\"{n}\"{span}>\
         <title>{t}</title><text class=\"time\" x=\"{tx}\" y=\"{ty}\">{at} ms</text>",
        c = esc(&m.command),
        d = m.direction.as_str(),
        h = esc(&m.host),
        p = esc(&m.peer),
        r = m.run,
        at = m.at_ms,
        n = arrow.count,
        t = esc(&title),
        tx = TIME_COL_PX - 12,
        ty = line_y + 4,
    );
    let detail = if arrow.count > 1 {
        format!("×{} until {} ms", arrow.count, arrow.last_ms)
    } else {
        shorten_hashes(&m.detail)
    };
    if from == to {
        // A message on a connection to itself (a self-connection): a loop on the lane.
        let _ = write!(
            out,
            "<path class=\"shaft\" d=\"M{from},{y0} h34 v10 h-32\" marker-end=\"url(#head-{d})\"/>",
            y0 = line_y - 6,
            d = m.direction.as_str()
        );
        write_label(
            out,
            from + 44,
            line_y + 2,
            "start",
            &m.command,
            &detail,
            chars_in(geometry.gap_px - 60),
        );
    } else {
        let _ = write!(
            out,
            "<line class=\"shaft\" x1=\"{x1}\" y1=\"{line_y}\" x2=\"{x2}\" y2=\"{line_y}\" marker-end=\"url(#head-{d})\"/>",
            x1 = from + if from < to { 3 } else { -3 },
            x2 = to + if from < to { -4 } else { 4 },
            d = m.direction.as_str()
        );
        let mid = (from + to) / 2;
        write_label(
            out,
            mid,
            line_y - 5,
            "middle",
            &m.command,
            &detail,
            chars_in((to - from).abs() - 24),
        );
    }
    out.push_str("</g>\n");
}

/// An arrow's label: the command in bold, then the (shortened) detail, cut to `max_chars`.
fn write_label(
    out: &mut String,
    x: i64,
    y: i64,
    anchor: &str,
    command: &str,
    detail: &str,
    max_chars: usize,
) {
    let room = max_chars.saturating_sub(command.chars().count() + 1);
    let detail = if detail.is_empty() || room < 4 {
        String::new()
    } else {
        format!(" {}", truncate(detail, room))
    };
    let _ = write!(
        out,
        "<text class=\"label\" x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\"><tspan class=\"cmd\">{}</tspan><tspan class=\"detail\">{}</tspan></text>",
        esc(command),
        esc(&detail)
    );
}

fn render_mark(
    out: &mut String,
    mark: &Mark,
    top: i64,
    geometry: &Geometry,
    lane: usize,
    faults: &[FaultReport],
    spans_x: &[(i64, i64)],
) {
    let x = geometry.x(lane);
    let y = top + 15;
    let time = format!(
        "<text class=\"time\" x=\"{}\" y=\"{}\">{} ms</text>",
        TIME_COL_PX - 12,
        y + 4,
        mark.at_ms
    );
    let (text_x, anchor, room) = geometry.beside(lane);
    let common = format!(
        "data-host=\"{}\" data-peer=\"{}\" data-at-ms=\"{}\"",
        esc(&mark.host),
        esc(&mark.peer),
        mark.at_ms
    );
    match mark.kind {
        MarkKind::Disconnect | MarkKind::ClosedByPeer => {
            let (by, text) = match mark.kind {
                MarkKind::Disconnect => {
                    ("node", format!("disconnect {}: {}", mark.peer, mark.text))
                }
                _ => ("peer", format!("{}: {}", mark.peer, mark.text)),
            };
            let _ = writeln!(
                out,
                "<g class=\"disconnect\" {common} data-by=\"{by}\" data-reason=\"{r}\"><title>{t}</title>{time}\
                 <path class=\"cross\" d=\"M{a},{b} l10,10 m0,-10 l-10,10\"/>\
                 <text class=\"mark-text\" x=\"{text_x}\" y=\"{ty}\" text-anchor=\"{anchor}\">{s}</text></g>",
                r = esc(&mark.text),
                t = esc(&format!("{} ms: {text}", mark.at_ms)),
                a = x - 5,
                b = y - 5,
                ty = y + 4,
                s = esc(&truncate(&text, room)),
            );
        }
        MarkKind::Connected | MarkKind::Started => {
            let class = if mark.kind == MarkKind::Connected {
                "connect"
            } else {
                "start"
            };
            let _ = writeln!(
                out,
                "<g class=\"{class}\" {common}><title>{t}</title>{time}<circle cx=\"{x}\" cy=\"{y}\" r=\"4.5\"/>\
                 <text class=\"mark-text\" x=\"{text_x}\" y=\"{ty}\" text-anchor=\"{anchor}\">{s}</text></g>",
                t = esc(&format!("{} ms: {}", mark.at_ms, mark.text)),
                ty = y + 4,
                s = esc(&truncate(&mark.text, room)),
            );
        }
        MarkKind::FaultStart(n) => {
            // The span drawn behind carries the label; the row holds its time.
            let _ = writeln!(
                out,
                "<g class=\"fault-start\" {common} data-fault=\"{}\">{time}</g>",
                faults.get(n).map_or(0, |f| f.index)
            );
        }
        MarkKind::FaultEnd(n) => {
            let _ = writeln!(
                out,
                "<g class=\"fault-end\" {common} data-fault=\"{}\">{time}<text class=\"fault-end-text\" x=\"{}\" y=\"{}\">end of {}</text></g>",
                faults.get(n).map_or(0, |f| f.index),
                spans_x.get(n).map_or(TIME_COL_PX + 8, |(left, _)| left + 8),
                y + 4,
                esc(&mark.text)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Header and tables

fn summary(
    out: &mut String,
    scenario: &Scenario,
    name: &str,
    result: &RunResult,
    tip: &[TipPoint],
    faults: &[FaultReport],
) {
    let violations = result
        .invariants
        .iter()
        .filter(|i| i.violation.is_some())
        .count();
    let pass = result.failures.is_empty() && violations == 0;
    let verdict = if pass {
        "PASS".to_string()
    } else {
        format!(
            "FAIL: {} expectation failures, {violations} invariant violations",
            result.failures.len()
        )
    };
    let outcome = &result.outcome;
    let seed = if outcome.seed == scenario.seed {
        outcome.seed.to_string()
    } else {
        format!("{} (the scenario's own: {})", outcome.seed, scenario.seed)
    };
    let sent: u64 = outcome.sent.values().sum();
    let received: u64 = outcome.received.values().sum();
    let _ = writeln!(
        out,
        "<header id=\"summary\" data-verdict=\"{v}\">\n<div class=\"intro\">\n<h1>{n}</h1>\n<p class=\"description\">{d}</p>\n<dl class=\"facts\">",
        v = if pass { "pass" } else { "fail" },
        n = esc(name),
        d = esc(&scenario.description)
    );
    let facts: [(&str, &str, String); 7] = [
        ("verdict", "result", verdict),
        ("seed", "seed", seed),
        (
            "simulated",
            "simulated time",
            format!(
                "{} ({} ms)",
                seconds(result.simulated_ms),
                result.simulated_ms
            ),
        ),
        ("tip-height", "tip height", outcome.tip_height.to_string()),
        (
            "stored-rows",
            "stored rows",
            outcome.stored_rows.to_string(),
        ),
        ("runs", "node runs", outcome.node_runs.len().to_string()),
        (
            "traffic",
            "messages",
            format!(
                "{sent} sent, {received} received on {} connections; {} faults",
                outcome.connections.len(),
                faults.len()
            ),
        ),
    ];
    for (id, term, value) in &facts {
        let class = match *id {
            "verdict" if pass => " class=\"pass\"",
            "verdict" => " class=\"fail\"",
            _ => "",
        };
        let _ = writeln!(
            out,
            "<div><dt>{term}</dt><dd id=\"{id}\"{class}>{}</dd></div>",
            esc(value)
        );
    }
    out.push_str("</dl>\n</div>\n");
    tip_chart(out, tip, result, faults);
    out.push_str("</header>\n");
}

/// The tip height over simulated time as an SVG step line.
fn tip_chart(out: &mut String, points: &[TipPoint], result: &RunResult, faults: &[FaultReport]) {
    const W: i64 = 560;
    const H: i64 = 200;
    const LEFT: i64 = 70;
    const RIGHT: i64 = 64;
    const TOP: i64 = 14;
    const BOTTOM: i64 = 34;
    let plot_w = (W - LEFT - RIGHT) as f64;
    let plot_h = (H - TOP - BOTTOM) as f64;
    let end_ms = points
        .iter()
        .map(|p| p.at_ms)
        .max()
        .unwrap_or(0)
        .max(result.simulated_ms)
        .max(1);
    let step = points.len().div_ceil(TIP_POINTS_MAX).max(1);
    let points: Vec<TipPoint> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || i + 1 == points.len())
        .map(|(_, p)| *p)
        .collect();
    let low = points.iter().map(|p| p.height).min().unwrap_or(0);
    let high = points
        .iter()
        .map(|p| p.height)
        .max()
        .unwrap_or(0)
        .max(low + 1);
    let x = |ms: u64| LEFT as f64 + ms as f64 * plot_w / end_ms as f64;
    let y = |height: u32| {
        TOP as f64 + f64::from(high - height.min(high)) * plot_h / f64::from(high - low)
    };
    let final_height = result.outcome.tip_height;

    let _ = writeln!(
        out,
        "<figure class=\"tip\"><figcaption>Tip height over simulated time</figcaption>\n\
         <svg id=\"tip-chart\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"tip height over time\" data-final-height=\"{final_height}\" data-points=\"{}\">",
        points.len()
    );
    for fault in faults.iter().filter(|f| f.fired_at_ms.is_some()) {
        let end = fault.end_ms.unwrap_or(end_ms);
        let (x0, x1) = (x(fault.start_ms.min(end_ms)), x(end.min(end_ms)));
        let _ = writeln!(
            out,
            "<rect class=\"chart-fault\" x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{plot_h:.1}\"><title>{}</title></rect>",
            (x1 - x0).max(1.5),
            esc(&fault.label)
        );
    }
    let _ = writeln!(
        out,
        "<path class=\"axis\" d=\"M{LEFT},{TOP} V{b} H{r}\"/>",
        b = H - BOTTOM,
        r = W - RIGHT
    );
    let mut heights = vec![low, high];
    if high - low >= 2 {
        heights.insert(1, low + (high - low) / 2);
    }
    for height in heights {
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{height}</text>",
            LEFT - 6,
            y(height) + 4.0
        );
    }
    for quarter in 0..=4u64 {
        let ms = end_ms * quarter / 4;
        let anchor = match quarter {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            x(ms),
            H - BOTTOM + 16,
            seconds(ms)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"axis-name\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">simulated time</text>",
        LEFT as f64 + plot_w / 2.0,
        H - 2
    );
    match points.first() {
        None => {
            let _ = writeln!(
                out,
                "<text class=\"tick\" x=\"{}\" y=\"{}\">no tip reported</text>",
                LEFT + 10,
                TOP + 20
            );
        }
        Some(first) => {
            let mut path = format!("M{:.1},{:.1}", x(first.at_ms), y(first.height));
            for p in &points[1..] {
                let _ = write!(path, " H{:.1} V{:.1}", x(p.at_ms), y(p.height));
            }
            let _ = write!(path, " H{:.1}", x(end_ms));
            let _ = writeln!(out, "<path class=\"tip-line\" d=\"{path}\"/>");
            for p in points.iter().filter(|p| p.reorg_depth > 0) {
                let _ = writeln!(
                    out,
                    "<circle class=\"reorg\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>reorg of depth {} at {} ms to height {}</title></circle>",
                    x(p.at_ms),
                    y(p.height),
                    p.reorg_depth,
                    p.at_ms,
                    p.height
                );
            }
            let last = points.last().map_or(final_height, |p| p.height);
            let _ = writeln!(
                out,
                "<text class=\"final-tip\" x=\"{:.1}\" y=\"{:.1}\">{final_height}</text>",
                x(end_ms) + 6.0,
                y(last) + 4.0
            );
        }
    }
    out.push_str("</svg></figure>\n");
}

fn faults_table(out: &mut String, faults: &[FaultReport], simulated_ms: u64) {
    out.push_str("<section><h2>Faults</h2>\n");
    out.push_str("<table id=\"faults\"><thead><tr><th>#</th><th>fault</th><th>hosts</th><th>applied</th><th>ended</th><th>fired</th></tr></thead><tbody>\n");
    if faults.is_empty() {
        out.push_str(
            "<tr class=\"none\"><td colspan=\"6\">No faults in this scenario.</td></tr>\n",
        );
    }
    for fault in faults {
        let ended = match fault.end_ms {
            Some(end) => format!("{end} ms"),
            None => format!("not within the run (it ends at {simulated_ms} ms)"),
        };
        let fired = match fault.fired_at_ms {
            Some(at) => format!("at {at} ms"),
            None => "never fired".to_string(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"fault-row{}\" data-index=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td><td>{}</td></tr>",
            if fault.fired_at_ms.is_some() { "" } else { " never-fired" },
            fault.index,
            fault.index,
            esc(&fault.label),
            esc(&fault.hosts.join(", ")),
            fault.start_ms,
            esc(&ended),
            fired
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn connections_table(out: &mut String, result: &RunResult) {
    let connections = &result.outcome.connections;
    out.push_str("<section><h2>Connections</h2>\n");
    out.push_str(
        "<table id=\"connections\"><thead><tr><th>host</th><th>run</th><th>peer</th><th>direction</th><th>connected</th>\
         <th>handshake</th><th>ended</th><th>how it ended</th></tr></thead><tbody>\n",
    );
    if connections.is_empty() {
        out.push_str(
            "<tr class=\"none\"><td colspan=\"8\">The node made no connection.</td></tr>\n",
        );
    }
    let ms = |at: Option<u64>| at.map_or_else(|| "—".to_string(), |at| format!("{at} ms"));
    for c in connections.iter().take(CONNECTIONS_MAX) {
        let _ = writeln!(
            out,
            "<tr class=\"connection\" data-host=\"{h}\"><td>{h}</td><td>{}</td><td>{h}#{}</td><td>{}</td><td>{} ms</td><td>{}</td><td>{}</td><td class=\"end\">{}</td></tr>",
            c.run,
            c.peer_id,
            c.direction.as_str(),
            c.connected_at_ms,
            ms(c.handshake_at_ms),
            ms(c.ended_at_ms),
            esc(&c.end.as_ref().map_or_else(|| "open at the end of the run".to_string(), ToString::to_string)),
            h = esc(&c.host),
        );
    }
    if connections.len() > CONNECTIONS_MAX {
        let _ = writeln!(
            out,
            "<tr class=\"elided\"><td colspan=\"8\">{} more connections left out (the outcome JSON lists them all).</td></tr>",
            connections.len() - CONNECTIONS_MAX
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn invariants_table(out: &mut String, result: &RunResult) {
    out.push_str("<section><h2>Invariants</h2>\n");
    out.push_str(
        "<table id=\"invariants\"><thead><tr><th>invariant</th><th>what it asserts</th><th>applied</th><th>result</th>\
         <th>first violation</th></tr></thead><tbody>\n",
    );
    if result.invariants.is_empty() {
        out.push_str("<tr class=\"none\"><td colspan=\"5\">The runner reported no invariants for this run.</td></tr>\n");
    }
    for invariant in &result.invariants {
        let (class, shown) = match (&invariant.violation, invariant.applied) {
            (Some(_), _) => ("fail", "FAIL"),
            (None, true) => ("pass", "pass"),
            (None, false) => ("not-applied", "pass (did not apply)"),
        };
        let violation = invariant
            .violation
            .as_ref()
            .map(|v| format!("at {} ms (seed {}): {}", v.at_ms, v.seed, v.message))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr class=\"invariant {class}\" data-name=\"{n}\" data-result=\"{class}\"><td><code>{n}</code></td><td>{}</td><td>{}</td><td class=\"result\">{shown}</td><td class=\"violation\">{}</td></tr>",
            esc(invariant.description),
            if invariant.applied { "yes" } else { "no" },
            esc(&violation),
            n = esc(invariant.name),
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn expectations(out: &mut String, scenario: &Scenario, result: &RunResult) {
    out.push_str("<section id=\"expectations\"><h2>Expectations</h2>\n");
    if result.failures.is_empty() {
        out.push_str("<p class=\"all-met\">Every expectation of the scenario was met.</p>\n");
    } else {
        out.push_str("<ul id=\"failures\">\n");
        for failure in &result.failures {
            let _ = writeln!(
                out,
                "<li class=\"failure\">{}</li>",
                esc(&failure.to_string())
            );
        }
        out.push_str("</ul>\n");
    }
    let expect = serde_json::to_string_pretty(&scenario.expect).unwrap_or_default();
    let _ = writeln!(
        out,
        "<details><summary>The scenario's expectations</summary><pre>{}</pre></details>",
        esc(&expect)
    );
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------------------------------------
// Text

/// HTML-escapes `text` for element content and double-quoted attributes; control characters
/// (other than tab and newline) become U+FFFD.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Shortens every run of [`HASH_DIGITS_MIN`] or more hex digits to its leading zeros and
/// eight more digits, then `…`.
fn shorten_hashes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let digits = &chars[i..i + run];
        if run >= HASH_DIGITS_MIN {
            let zeros = digits.iter().take_while(|&&c| c == '0').count();
            out.extend(&digits[..(zeros + 8).min(run)]);
            out.push('…');
        } else {
            out.extend(digits);
        }
        i += run;
    }
    out
}

/// `text` cut to `max` characters, the last one `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `ms` as seconds with one decimal (`104.4 s`).
fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, ms % 1000 / 100)
}

const STYLE: &str = r#"
:root { --send: #1d4ed8; --recv: #047857; --fault: rgba(245, 158, 11, 0.16); --fault-edge: #d97706; --bad: #b91c1c; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 24px 48px; font: 14px/1.45 "DejaVu Sans", "Liberation Sans", system-ui, sans-serif; color: #111827; background: #fff; }
header#summary { display: flex; gap: 28px; align-items: flex-start; justify-content: space-between; border-bottom: 1px solid var(--line); padding-bottom: 10px; }
header .intro { flex: 1 1 520px; min-width: 420px; }
h1 { font-size: 22px; margin: 0 0 4px; font-family: "DejaVu Sans Mono", ui-monospace, monospace; }
h2 { font-size: 17px; margin: 22px 0 6px; }
.description { margin: 0 0 10px; color: #374151; max-width: 80ch; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(205px, 1fr)); gap: 6px 18px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts div:last-child { grid-column: 1 / -1; }
dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
dd { margin: 0; font-weight: 600; }
dd.pass { color: #047857; } dd.fail { color: var(--bad); }
figure.tip { margin: 0; flex: 0 0 auto; }
figcaption { font-size: 12px; color: var(--muted); }
nav { margin: 8px 0 0; font-size: 13px; }
nav a { color: var(--send); }
.note { color: #4b5563; font-size: 12.5px; max-width: 150ch; margin: 4px 0; }
.k-send { color: var(--send); font-weight: 600; } .k-recv { color: var(--recv); font-weight: 600; }
.lane-heads { position: sticky; top: 0; z-index: 2; background: rgba(255, 255, 255, 0.96); border-bottom: 1px solid var(--line); }
.lane-heads text { text-anchor: middle; }
.lane-name { font-weight: 700; font-size: 14px; fill: #111827; } .lane-name.node { fill: var(--send); }
.lane-what { font-size: 11px; fill: var(--muted); }
svg { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; }
svg.diagram { display: block; }
.lane line { stroke: #9ca3af; stroke-width: 1.5; stroke-dasharray: 2 3; }
.gap line { stroke: #d1d5db; stroke-dasharray: 6 4; } .gap text { font-size: 11px; fill: var(--muted); text-anchor: end; font-style: italic; }
.time { font: 11px "DejaVu Sans Mono", ui-monospace, monospace; fill: #4b5563; text-anchor: end; }
.arrow .shaft { stroke-width: 1.6; fill: none; }
.arrow[data-direction="send"] .shaft { stroke: var(--send); } .arrow[data-direction="recv"] .shaft { stroke: var(--recv); }
.head-send { fill: var(--send); } .head-recv { fill: var(--recv); }
.label, .mark-text, .fault-label, .fault-end-text, .elided-text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.fault .fault-label, .fault-end-text { stroke: #fef3e2; }
.label { font-size: 11px; }
.label .cmd { font-weight: 700; }
.arrow[data-direction="send"] .cmd { fill: var(--send); } .arrow[data-direction="recv"] .cmd { fill: var(--recv); }
.label .detail { fill: #4b5563; font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 10px; }
.arrow:hover .shaft { stroke-width: 3; } .arrow:hover .label { font-weight: 600; }
.fault rect { fill: var(--fault); stroke: var(--fault-edge); stroke-width: 1; }
.fault-label { font-size: 11.5px; font-weight: 700; fill: #92400e; }
.fault[data-fired="false"] rect { fill: url(#never-fired); stroke: #6b7280; stroke-dasharray: 5 3; opacity: .8; }
.fault[data-fired="false"] .fault-label { fill: #374151; }
.fault-end-text { font-size: 11px; fill: #92400e; font-style: italic; }
.disconnect .cross { stroke: var(--bad); stroke-width: 2.4; }
.disconnect .mark-text { fill: var(--bad); font-size: 11.5px; font-weight: 600; }
.disconnect[data-by="peer"] .cross { stroke: #c2410c; } .disconnect[data-by="peer"] .mark-text { fill: #c2410c; }
.connect circle { fill: #fff; stroke: #374151; stroke-width: 1.5; }
.start circle { fill: var(--send); }
.mark-text { font-size: 11px; fill: #374151; }
.elided rect { fill: #f9fafb; stroke: #9ca3af; stroke-dasharray: 4 3; }
.elided-text { font-size: 11.5px; fill: #374151; font-style: italic; }
#tip-chart .axis { stroke: #9ca3af; fill: none; }
#tip-chart .tick, #tip-chart .axis-name { font-size: 11px; fill: var(--muted); }
#tip-chart .tip-line { stroke: var(--send); stroke-width: 2; fill: none; }
#tip-chart .chart-fault { fill: var(--fault); }
#tip-chart .reorg { fill: var(--bad); }
#tip-chart .final-tip { font-size: 13px; font-weight: 700; fill: var(--send); }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
tr.fail td.result, tr.fail td.violation, tr.never-fired td { color: var(--bad); font-weight: 600; }
tr.pass td.result { color: #047857; }
tr.none td { color: var(--muted); font-style: italic; }
#failures li { color: var(--bad); }
.all-met { color: #047857; }
pre { background: #f9fafb; border: 1px solid var(--line); padding: 8px; font-size: 12px; overflow-x: auto; }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::invariants::{InvariantReport, Violation};
    use crate::harness::outcome::Outcome;
    use crate::harness::trace::{HarnessNote, Recorder};
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

    #[test]
    fn text_helpers_escape_shorten_and_cut() {
        assert_eq!(esc("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39;\u{fffd}");
        let hash = "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048";
        assert_eq!(
            shorten_hashes(&format!("first={hash} n=0x0586a8a73b595b36")),
            "first=00000000839a8e68… n=0x0586a8a73b595b36"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(seconds(104_480), "104.4 s");
    }
}

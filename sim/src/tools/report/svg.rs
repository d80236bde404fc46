//! Drawing the sequence diagram as inline SVG: lanes, arrows with their labels, marks, fault
//! spans and the gaps where simulated time jumps.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::layout::{Arrow, Diagram, Row, ARROWS_MAX, KEEPALIVE_MIN, MARKERS_MAX, REPEAT_MIN};
use super::read::{Direction, Mark, MarkKind};
use super::text::{esc, seconds, shorten_hashes, truncate};
use crate::harness::faults::FaultReport;
use crate::scenario::Scenario;

/// Width of the diagram's time column.
pub(super) const TIME_COL_PX: i64 = 104;
/// Room left of the first lane and right of the last.
pub(super) const LANE_MARGIN_PX: i64 = 110;
/// Distance between neighbouring lanes, at least and at most.
pub(super) const LANE_GAP_MIN_PX: i64 = 230;
pub(super) const LANE_GAP_MAX_PX: i64 = 760;
/// The diagram's width the lanes are spread over when they fit.
pub(super) const DIAGRAM_WIDTH_PX: i64 = 1340;
/// Height of one row (an arrow or a mark).
pub(super) const ROW_PX: i64 = 26;
/// How far a fault span reaches beyond the outermost lanes it covers.
pub(super) const SPAN_PAD_PX: i64 = 80;
/// Extra height where simulated time jumps by [`GAP_MIN_MS`] or more between two rows.
pub(super) const GAP_PX: i64 = 20;
/// A jump in simulated time this long between two rows is shown as a gap.
pub(super) const GAP_MIN_MS: u64 = 1000;
/// Average width of one label character at the diagram's font size, in tenths of a pixel.
pub(super) const CHAR_DECIPX: i64 = 66;

/// Horizontal geometry of the lanes.
pub(super) struct Geometry {
    /// Distance between neighbouring lanes.
    pub(super) gap_px: i64,
    pub(super) lanes: usize,
    pub(super) width_px: i64,
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
pub(super) fn chars_in(px: i64) -> usize {
    usize::try_from(px.max(0) * 10 / CHAR_DECIPX)
        .unwrap_or(0)
        .max(8)
}

impl Diagram {
    pub(super) fn render(
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

pub(super) fn render_arrow(
    out: &mut String,
    arrow: &Arrow,
    top: i64,
    geometry: &Geometry,
    peer_lane: usize,
) {
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
pub(super) fn write_label(
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

pub(super) fn render_mark(
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

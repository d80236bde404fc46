//! The sequence diagram's rows: one per message or mark, repeats and keepalive stretches
//! collapsed into one arrow, long runs elided to their first and last halves.

use super::read::{parse_line, Item, Mark, MarkKind, Message};
use crate::harness::faults::FaultReport;
use crate::harness::trace::TraceLine;

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
/// One or more messages drawn as one arrow.
#[derive(Debug, Clone)]
pub(super) struct Arrow {
    pub(super) first: Message,
    pub(super) count: usize,
    pub(super) last_ms: u64,
}

/// One row of the diagram.
#[derive(Debug, Clone)]
pub(super) enum Row {
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
    pub(super) fn first_ms(&self) -> u64 {
        match self {
            Row::Arrow(a) => a.first.at_ms,
            Row::Mark(m) => m.at_ms,
            Row::Elided { from_ms, .. } => *from_ms,
        }
    }

    pub(super) fn last_ms(&self) -> u64 {
        match self {
            Row::Arrow(a) => a.last_ms,
            Row::Mark(m) => m.at_ms,
            Row::Elided { to_ms, .. } => *to_ms,
        }
    }
}

pub(super) fn is_keepalive(command: &str) -> bool {
    command == "ping" || command == "pong"
}

/// The diagram's rows (collapsed, then elided) and the counts the page states: messages in
/// the trace, arrows after collapsing, and arrows and marks left out.
#[derive(Debug)]
pub(super) struct Diagram {
    pub(super) rows: Vec<Row>,
    pub(super) messages: usize,
    pub(super) arrows: usize,
    pub(super) elided_arrows: usize,
    pub(super) elided_marks: usize,
}

impl Diagram {
    pub(super) fn build(lines: &[TraceLine], faults: &[FaultReport], lanes: &[String]) -> Diagram {
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
pub(super) fn collapse(items: Vec<Item>) -> Vec<Row> {
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
pub(super) fn elide(rows: Vec<Row>) -> (Vec<Row>, usize, usize) {
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

pub(super) fn is_fault_mark(mark: &Mark) -> bool {
    matches!(mark.kind, MarkKind::FaultStart(_) | MarkKind::FaultEnd(_))
}

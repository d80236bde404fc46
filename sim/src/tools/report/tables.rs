//! The page's header (summary and verdict) and its tables: faults, connections, invariants,
//! failed expectations.

use std::fmt::Write as _;

use super::chart::tip_chart;
use super::read::TipPoint;
use super::text::{esc, seconds};
use crate::harness::faults::FaultReport;
use crate::harness::runner::RunResult;
use crate::scenario::Scenario;

/// Connections listed at most in the connections table.
pub(super) const CONNECTIONS_MAX: usize = 500;
pub(super) fn summary(
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

pub(super) fn faults_table(out: &mut String, faults: &[FaultReport], simulated_ms: u64) {
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

pub(super) fn connections_table(out: &mut String, result: &RunResult) {
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

pub(super) fn invariants_table(out: &mut String, result: &RunResult) {
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

pub(super) fn expectations(out: &mut String, scenario: &Scenario, result: &RunResult) {
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

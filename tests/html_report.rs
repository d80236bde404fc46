//! `sim run --html`: the page of a run with a fault and a disconnect, rendered by a real
//! headless Chromium (`--dump-dom`: the DOM after parsing and scripts), shows what the run did:
//! a lane per host, the handshake and sync messages with their times, the partition as a span
//! across both lanes, the stall disconnect with its reason, the tip chart ending at the final
//! height, and the invariants table. And the `sim run --html` command writes that page, or
//! names the path it could not write.
//!
//! Chromium comes from `HEADERSIM_CHROMIUM` or `/usr/bin/chromium` (`scripts/install-chromium.sh`
//! installs it; `scripts/test` does). Missing, the browser test fails under `CI=true` and is
//! skipped with a note elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use headersim_tests::real::workspace_binary;
use headersim_tests::{repo_root, scenario_path};
use sim::{run_scenario, RunResult, Scenario};

/// A partition mid-sync (a `partition` fault, then a `repair`), a stall disconnect, a reconnect
/// and a completed sync.
const SCENARIO: &str = "partition_then_repair";
/// How long Chromium may take to render the page before the test fails.
const CHROMIUM_WAIT_MAX: Duration = Duration::from_secs(120);

/// The flags that let headless Chromium run on a machine without outside network access.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium to render with; `None` (after a note) when it is missing outside CI.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("HEADERSIM_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} is missing: run scripts/install-chromium.sh (or set HEADERSIM_CHROMIUM)",
        path.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("note: the browser check is skipped: {message}");
    None
}

/// The DOM Chromium built from `page`, serialized.
fn dump_dom(chromium: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().expect("a fresh Chromium profile folder");
    let child = Command::new(chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let pid = child.id();
    let (done, outcome) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match outcome.recv_timeout(CHROMIUM_WAIT_MAX) {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => panic!("waiting for chromium: {error}"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("chromium rendered nothing within {CHROMIUM_WAIT_MAX:?}");
        }
    };
    assert!(
        output.status.success(),
        "chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8(output.stdout).expect("the DOM is UTF-8");
    assert!(dom.contains("<html"), "chromium printed no DOM: {dom}");
    dom
}

/// One element of a serialized document: its tag name, attributes (values decoded) and
/// where its opening tag ends.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    end: usize,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map_or("", String::as_str)
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class").split_whitespace().any(|c| c == class)
    }
}

/// Decodes the entities the page and Chromium's serializer write.
fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Every opening tag of `doc`, in order (quoted attribute values may hold `>`).
fn elements(doc: &str) -> Vec<Element> {
    let bytes = doc.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len()
            && !bytes[j].is_ascii_whitespace()
            && bytes[j] != b'>'
            && bytes[j] != b'/'
        {
            j += 1;
        }
        let name = doc[i + 1..j].to_ascii_lowercase();
        let mut attrs = BTreeMap::new();
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' {
                break;
            }
            let start = j;
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && bytes[j] != b'='
                && bytes[j] != b'>'
            {
                j += 1;
            }
            let key = doc[start..j].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                match bytes.get(j) {
                    Some(&quote) if quote == b'"' || quote == b'\'' => {
                        let close = doc[j + 1..]
                            .find(quote as char)
                            .map_or(bytes.len(), |k| j + 1 + k);
                        value = decode(&doc[j + 1..close]);
                        j = close + 1;
                    }
                    _ => {
                        let start = j;
                        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>'
                        {
                            j += 1;
                        }
                        value = decode(&doc[start..j]);
                    }
                }
            }
            attrs.insert(key, value);
        }
        found.push(Element {
            name,
            attrs,
            end: (j + 1).min(bytes.len()),
        });
        i = j + 1;
    }
    found
}

/// The text inside `element` up to the first `close` tag after it, tags stripped.
fn text_of(doc: &str, element: &Element, close: &str) -> String {
    let rest = &doc[element.end..];
    let inner = &rest[..rest.find(close).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode(&text)
}

/// The first trace line `<direction> peer1#.. <command> ...` and its time.
fn first_message(result: &RunResult, direction: &str, command: &str) -> (u64, String) {
    result
        .recorder
        .lines
        .iter()
        .find(|l| {
            let mut words = l.text.split(' ');
            words.next() == Some(direction)
                && words.next().is_some_and(|p| p.starts_with("peer1#"))
                && words.next() == Some(command)
        })
        .map(|l| (l.at_ms, l.text.clone()))
        .unwrap_or_else(|| panic!("the trace has no `{direction} peer1#.. {command}`"))
}

#[test]
fn a_browser_shows_the_runs_lanes_messages_fault_disconnect_tip_and_invariants() {
    let Some(chromium) = chromium() else { return };
    let scenario = Scenario::load(&scenario_path(SCENARIO)).unwrap_or_else(|e| panic!("{e}"));
    let result = run_scenario(&scenario, SCENARIO, None).unwrap_or_else(|e| panic!("{e}"));
    let page = sim::tools::report::html(&scenario, SCENARIO, &result);
    assert!(
        !page.contains("<script") && !page.contains("src=") && !page.contains("http"),
        "the page loads and runs nothing"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.html");
    std::fs::write(&path, &page).expect("write the page");
    let dom = dump_dom(&chromium, &path);
    let all = elements(&dom);
    let with_class = |class: &str| {
        all.iter()
            .filter(move |e| e.has_class(class))
            .collect::<Vec<_>>()
    };
    let by_id = |id: &str| {
        all.iter()
            .find(|e| e.attr("id") == id)
            .unwrap_or_else(|| panic!("no element #{id} in the DOM"))
    };

    // The header.
    let pass =
        result.failures.is_empty() && result.invariants.iter().all(|i| i.violation.is_none());
    assert_eq!(
        by_id("summary").attr("data-verdict"),
        if pass { "pass" } else { "fail" }
    );
    assert!(text_of(&dom, by_id("summary"), "</h1>").contains(SCENARIO));
    assert_eq!(
        text_of(&dom, by_id("seed"), "</dd>"),
        result.outcome.seed.to_string()
    );
    assert_eq!(
        text_of(&dom, by_id("tip-height"), "</dd>"),
        result.outcome.tip_height.to_string()
    );
    assert_eq!(
        text_of(&dom, by_id("stored-rows"), "</dd>"),
        result.outcome.stored_rows.to_string()
    );

    // A lane per host, in scenario order.
    let lanes: Vec<&str> = with_class("lane")
        .iter()
        .map(|e| e.attr("data-host"))
        .collect();
    assert_eq!(lanes, ["node", "peer1"]);

    // The handshake and the sync as arrows with their times: the first of each at the time
    // the trace gives, pointing the way the trace says.
    let arrows = with_class("arrow");
    for (direction, command) in [
        ("send", "version"),
        ("recv", "version"),
        ("send", "verack"),
        ("recv", "verack"),
        ("send", "getheaders"),
        ("recv", "headers"),
    ] {
        let (at_ms, line) = first_message(&result, direction, command);
        let arrow = arrows
            .iter()
            .find(|a| {
                a.attr("data-command") == command
                    && a.attr("data-direction") == direction
                    && a.attr("data-at-ms") == at_ms.to_string()
            })
            .unwrap_or_else(|| panic!("no {direction} {command} arrow at {at_ms} ms for `{line}`"));
        assert_eq!(arrow.attr("data-host"), "peer1");
        assert_eq!(arrow.name, "g");
        let text = text_of(&dom, arrow, "</g>");
        assert!(
            text.contains(&format!("{at_ms} ms")) && text.contains(command),
            "{direction} {command}: {text}"
        );
    }
    let (_, headers) = first_message(&result, "recv", "headers");
    assert!(headers.contains("count=2000"), "{headers}");
    assert!(arrows
        .iter()
        .any(|a| a.attr("data-command") == "headers"
            && text_of(&dom, a, "</g>").contains("count=2000")));
    // No message lost on the way: the browser has every arrow the page wrote, and the arrows
    // count every message of the trace.
    assert_eq!(
        arrows.len(),
        elements(&page)
            .iter()
            .filter(|e| e.has_class("arrow"))
            .count()
    );
    let messages = result
        .recorder
        .lines
        .iter()
        .filter(|l| l.text.starts_with("send ") || l.text.starts_with("recv "))
        .count();
    let drawn: usize = arrows
        .iter()
        .map(|a| a.attr("data-count").parse::<usize>().expect("data-count"))
        .sum();
    assert_eq!(drawn, messages);

    // The partition as a span across both lanes, from when it was applied to the repair.
    let applied = |label: &str| {
        let text = format!("fault {label}");
        result
            .recorder
            .lines
            .iter()
            .find(|l| l.text == text)
            .map(|l| l.at_ms)
            .unwrap_or_else(|| panic!("no `{text}` line"))
    };
    let faults = with_class("fault");
    let partition = faults
        .iter()
        .find(|f| f.attr("data-label").starts_with("partition"))
        .expect("a partition span");
    assert_eq!(partition.attr("data-hosts"), "node peer1");
    assert_eq!(
        partition.attr("data-start-ms"),
        applied("partition node peer1").to_string()
    );
    assert_eq!(
        partition.attr("data-end-ms"),
        applied("repair node peer1").to_string()
    );
    assert_eq!(partition.attr("data-fired"), "true");
    assert!(text_of(&dom, partition, "</g>").contains("partition node peer1"));

    // The stall disconnect on peer1's lane, with the reason the connection record gives.
    let ended = result
        .outcome
        .connections
        .iter()
        .find(|c| c.closed_by_node())
        .expect("a disconnect");
    let reason = ended
        .disconnect_reason()
        .expect("the node closed it")
        .clone();
    assert!(
        matches!(
            reason,
            node::DisconnectReason::Stalled {
                command: "headers",
                ..
            }
        ),
        "{reason:?}"
    );
    let reason = &reason.to_string();
    let by_node: Vec<_> = with_class("disconnect")
        .into_iter()
        .filter(|d| d.attr("data-by") == "node")
        .collect();
    let ends_by_node = result
        .outcome
        .connections
        .iter()
        .filter(|c| c.closed_by_node())
        .count();
    assert_eq!(
        by_node.len(),
        ends_by_node,
        "a mark per connection the node closed: {by_node:?}"
    );
    let mark = by_node
        .iter()
        .find(|d| d.attr("data-peer") == format!("{}#{}", ended.host, ended.peer_id))
        .expect("the stall's mark");
    assert_eq!(
        (
            mark.attr("data-host"),
            mark.attr("data-by"),
            mark.attr("data-reason")
        ),
        ("peer1", "node", reason.as_str())
    );
    assert_eq!(
        Some(mark.attr("data-at-ms").parse::<u64>().expect("data-at-ms")),
        ended.ended_at_ms
    );
    assert!(
        text_of(&dom, mark, "</g>").contains(reason),
        "the reason is shown"
    );
    let connection_ends: Vec<String> = with_class("end")
        .iter()
        .map(|e| text_of(&dom, e, "</td>"))
        .collect();
    assert!(
        connection_ends
            .iter()
            .any(|e| e == &format!("disconnected: {reason}")),
        "{connection_ends:?}"
    );

    // The tip chart ends at the final height and has a point per tip the trace reported.
    let chart = by_id("tip-chart");
    assert_eq!(chart.name, "svg");
    assert_eq!(
        chart.attr("data-final-height"),
        result.outcome.tip_height.to_string()
    );
    assert_eq!(result.outcome.tip_height, 6000);
    let tips = result
        .recorder
        .lines
        .iter()
        .filter(|l| l.text.starts_with("started ") || l.text.starts_with("tip_changed "))
        .count();
    assert_eq!(chart.attr("data-points"), tips.to_string());
    let final_tip = with_class("final-tip");
    assert_eq!(final_tip.len(), 1);
    assert_eq!(text_of(&dom, final_tip[0], "</text>"), "6000");
    assert_eq!(with_class("tip-line").len(), 1);

    // The invariants table: a row per invariant the runner reported (or says there were none).
    let table = by_id("invariants");
    assert_eq!(table.name, "table");
    let rows = with_class("invariant");
    assert_eq!(rows.len(), result.invariants.len());
    for (row, invariant) in rows.iter().zip(&result.invariants) {
        assert_eq!(row.attr("data-name"), invariant.name);
        let expected = if invariant.violation.is_some() {
            "fail"
        } else if invariant.applied {
            "pass"
        } else {
            "not-applied"
        };
        assert_eq!(row.attr("data-result"), expected);
    }
    if result.invariants.is_empty() {
        assert!(text_of(&dom, table, "</table>").contains("no invariants"));
    }
    assert_eq!(with_class("failure").len(), result.failures.len());
}

#[test]
fn sim_run_html_writes_the_page_and_names_a_path_it_cannot_write() {
    let sim = workspace_binary("sim");
    let name = "h01_outbound_handshake_btcd";
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.html");
    let run = |html: &Path| {
        Command::new(&sim)
            .current_dir(repo_root())
            .args(["run", &format!("scenarios/{name}.json"), "--html"])
            .arg(html)
            .output()
            .expect("run sim")
    };
    let output = run(&out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l == format!("wrote {}", out.display())),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&out).expect("the page was written");
    // The same scenario and seed give the same page in another process.
    let scenario = Scenario::load(&scenario_path(name)).unwrap_or_else(|e| panic!("{e}"));
    let result = run_scenario(&scenario, name, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        written == sim::tools::report::html(&scenario, name, &result),
        "the written page differs from this process's"
    );

    let unwritable = dir.path().join("no such folder").join("report.html");
    let output = run(&unwritable);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot write the HTML report to {}",
            unwritable.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

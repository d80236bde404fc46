//! Reading a scenario: the JSON (unknown fields rejected, errors naming the file and the
//! field path), then the checks serde cannot make (hosts known, times inside the run, values
//! in range), the same for the builder; and the suite's scenario files in a folder.

use std::path::{Path, PathBuf};

use super::behaviour::{
    hex_bytes, Behaviour, SendSpec, Step, JUNK_PAYLOAD_BYTES_MAX, UNSERVED_COUNT_MAX,
};
use super::expect::TraceScope;
use super::fault::{Fault, MessageAction};
use super::format::{NetworkName, Scenario};
use super::version::{VersionFields, VersionNonce};
use crate::error::SimError;

/// A serde field path as errors name it: `-` for the whole file where serde names no field
/// (an unknown key at the top level comes back as an empty path; found by the
/// `scenario_loading` fuzz target).
fn field_path(path: &str) -> String {
    if path.is_empty() || path == "." {
        "-".to_string()
    } else {
        path.to_string()
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// [`SimError::Read`] if unreadable; [`SimError::Scenario`] naming the file, the field path
    /// and the problem if not valid.
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Read {
            path: display.clone(),
            source,
        })?;
        Scenario::parse(&display, &text)
    }

    /// Parses and validates scenario JSON; `path` only names it in errors.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field path and the problem.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, SimError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario =
            serde_path_to_error::deserialize(deserializer).map_err(|e| SimError::Scenario {
                path: path.to_string(),
                field: field_path(&e.path().to_string()),
                message: e.inner().to_string(),
            })?;
        scenario.validate(path)?;
        Ok(scenario)
    }

    /// Runs the checks [`Scenario::load`] and [`Scenario::parse`] run after reading the JSON
    /// (hosts known, times inside the run, values in range); `path` only names the scenario in
    /// errors. The builder ([`crate::scenario::builder`]) validates through it too.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field path and the problem.
    pub fn validate(&self, path: &str) -> Result<(), SimError> {
        self.problem()
            .map_err(|(field, message)| SimError::Scenario {
                path: path.to_string(),
                field,
                message,
            })
    }

    /// The first problem found, as (field path, message).
    fn problem(&self) -> Result<(), (String, String)> {
        let err = |field: &str, message: String| Err((field.to_string(), message));
        if self.duration_s == 0 {
            return err("duration_s", "must be at least 1".into());
        }
        if self.tick_ms == 0 {
            return err("tick_ms", "must be at least 1".into());
        }
        if self.latency_ms_min > self.latency_ms_max {
            return err(
                "latency_ms_min",
                format!(
                    "{} is above latency_ms_max {}",
                    self.latency_ms_min, self.latency_ms_max
                ),
            );
        }
        if let Ok(serde_json::Value::Object(timers)) = serde_json::to_value(&self.node.timing) {
            if let Some((name, _)) = timers.iter().find(|(_, ms)| ms.as_u64() == Some(0)) {
                return err(&format!("node.timing.{name}"), "must be at least 1".into());
            }
        }
        let mut hosts = vec!["node".to_string()];
        let names: Vec<&str> = self.peers.iter().map(|p| p.name.as_str()).collect();
        for (i, peer) in self.peers.iter().enumerate() {
            if hosts.contains(&peer.name) {
                return err(
                    &format!("peers[{i}].name"),
                    format!("`{}` is used twice (or is `node`)", peer.name),
                );
            }
            if peer
                .chain
                .as_ref()
                .is_some_and(|c| c.network() != self.node.network.network())
            {
                return err(
                    &format!("peers[{i}].chain"),
                    "its network differs from node.network".into(),
                );
            }
            if peer.chain.is_none() && !matches!(peer.behaviour, Behaviour::Replay(_)) {
                return err(
                    &format!("peers[{i}].chain"),
                    "missing (only a `replay` peer may leave it out)".into(),
                );
            }
            if let Behaviour::Script(steps) = &peer.behaviour {
                let mut flat = Vec::new();
                flat_steps(steps, &format!("peers[{i}].behaviour.script"), &mut flat);
                for (step, at) in flat {
                    step_problem(step, &at, self.node.network, &names)
                        .map_or(Ok(()), |(field, message)| err(&field, message))?;
                }
            }
            if let Some(problem) = peer_version_problem(&peer.version_fields) {
                let (field, message) = problem;
                return err(&format!("peers[{i}].version_fields.{field}"), message);
            }
            if let Some(interval_ms) = peer.block_interval_ms {
                let field = format!("peers[{i}].block_interval_ms");
                if interval_ms == 0 {
                    return err(&field, "must be at least 1".into());
                }
                if peer.start_height.is_none() {
                    return err(
                        &field,
                        "a growing chain needs start_height (the height it holds at the start)"
                            .into(),
                    );
                }
                if !matches!(
                    peer.behaviour,
                    Behaviour::Honest | Behaviour::WrongPongNonce
                ) {
                    return err(
                        &field,
                        "only an `honest` or `wrong_pong_nonce` peer grows its chain".into(),
                    );
                }
            }
            if let Behaviour::Replay(script) = &peer.behaviour {
                if let Err(message) = script.validate() {
                    let (path, message) =
                        message.split_once(": ").unwrap_or(("", message.as_str()));
                    return err(
                        &format!("peers[{i}].behaviour.replay.{path}"),
                        message.to_string(),
                    );
                }
            }
            hosts.push(peer.name.clone());
        }
        let dialled = [
            ("connect", &self.node.connect),
            ("automatic", &self.node.automatic),
        ];
        for (list, names) in dialled {
            for (i, host) in names.iter().enumerate() {
                if !hosts.contains(host) {
                    return err(
                        &format!("node.{list}[{i}]"),
                        format!("unknown host `{host}`"),
                    );
                }
                if host == "node" && !self.node.listen {
                    return err(
                        &format!("node.{list}[{i}]"),
                        "a self-connection needs node.listen".into(),
                    );
                }
            }
        }
        for (i, step) in self.faults.iter().enumerate() {
            for host in step.fault.hosts() {
                if !hosts.contains(host) {
                    return err(
                        &format!("faults[{i}].fault"),
                        format!("unknown host `{host}`"),
                    );
                }
            }
            if step.at_ms > self.duration_s * 1000 {
                return err(
                    &format!("faults[{i}].at_ms"),
                    "after the end of the scenario".into(),
                );
            }
            if let Some(for_ms) = step.for_ms {
                if !step.fault.has_undo() {
                    return err(
                        &format!("faults[{i}].for_ms"),
                        format!("`{}` has no undo", step.fault.label()),
                    );
                }
                if for_ms == 0 {
                    return err(&format!("faults[{i}].for_ms"), "must be at least 1".into());
                }
            }
            let field = format!("faults[{i}].fault");
            match &step.fault {
                Fault::Message(m) => {
                    if m.peer == "node" {
                        return err(
                            &format!("{field}.message.peer"),
                            "must be a fake peer, not `node`".into(),
                        );
                    }
                    if !is_command(&m.command) {
                        return err(
                            &format!("{field}.message.command"),
                            format!("`{}` is not 1..=12 printable ASCII characters", m.command),
                        );
                    }
                    if m.nth == 0 {
                        return err(&format!("{field}.message.nth"), "must be at least 1".into());
                    }
                    match m.action {
                        MessageAction::Truncate { bytes: 0 } => {
                            return err(
                                &format!("{field}.message.action.truncate.bytes"),
                                "must be at least 1".into(),
                            )
                        }
                        MessageAction::Split { chunk_bytes: 0, .. } => {
                            return err(
                                &format!("{field}.message.action.split.chunk_bytes"),
                                "must be at least 1".into(),
                            )
                        }
                        _ => {}
                    }
                }
                Fault::Loss(l) if l.per_mille == 0 || l.per_mille > 1000 => {
                    return err(
                        &format!("{field}.loss.per_mille"),
                        format!("{} is not in 1..=1000", l.per_mille),
                    );
                }
                Fault::Stop(host) if host != "node" => {
                    return err(
                        &format!("{field}.stop"),
                        format!("`{host}`: only `node` can be stopped cleanly (crash a fake peer)"),
                    );
                }
                Fault::RefuseDials(host) if host == "node" => {
                    return err(
                        &format!("{field}.refuse_dials"),
                        "must be a fake peer, not `node`".into(),
                    );
                }
                Fault::VersionTimeSkew(v) if v.peer == "node" => {
                    return err(
                        &format!("{field}.version_time_skew.peer"),
                        "must be a fake peer, not `node`".into(),
                    );
                }
                Fault::HeaderTimeSkew(h) => {
                    if h.peer == "node" {
                        return err(
                            &format!("{field}.header_time_skew.peer"),
                            "must be a fake peer, not `node`".into(),
                        );
                    }
                    if self.node.network != NetworkName::Regtest {
                        return err(&format!("{field}.header_time_skew"), "skewed headers are ground again, which only regtest's proof of work allows".into());
                    }
                    if h.from_height == 0 {
                        return err(
                            &format!("{field}.header_time_skew.from_height"),
                            "must be at least 1".into(),
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some(work) = &self.node.minimum_chain_work {
            if let Err(problem) = work.work() {
                return err("node.minimum_chain_work", problem);
            }
        }
        for (i, host) in self.node.noban.iter().enumerate() {
            if !self.peers.iter().any(|p| &p.name == host) {
                return err(
                    &format!("node.noban[{i}]"),
                    format!("unknown host `{host}`"),
                );
            }
        }
        for (i, checkpoint) in self.node.checkpoints.iter().enumerate() {
            if !self
                .peers
                .iter()
                .any(|p| p.name == checkpoint.peer && p.chain.is_some())
            {
                return err(
                    &format!("node.checkpoints[{i}].peer"),
                    format!("`{}` is not a peer with a chain", checkpoint.peer),
                );
            }
        }
        for host in self.expect.peers.keys() {
            if !hosts.contains(host) {
                return err(&format!("expect.peers.{host}"), "unknown host".into());
            }
        }
        for (list, matches) in [
            ("trace_contains", &self.expect.trace_contains),
            ("trace_lacks", &self.expect.trace_lacks),
        ] {
            for (k, trace) in matches.iter().enumerate() {
                if let Some((field, message)) = scope_problem(&trace.scope, &hosts) {
                    return err(&format!("expect.{list}[{k}].{field}"), message);
                }
            }
        }
        Ok(())
    }
}

/// The first problem of a trace expectation's bounds, as (field, message).
fn scope_problem(scope: &TraceScope, hosts: &[String]) -> Option<(&'static str, String)> {
    if let (Some(from_s), Some(until_s)) = (scope.from_s, scope.until_s) {
        if from_s >= until_s {
            return Some(("until_s", format!("{until_s} is not after from_s {from_s}")));
        }
    }
    if let Some(peer) = &scope.peer {
        if !hosts.contains(peer) {
            return Some(("peer", format!("unknown host `{peer}`")));
        }
    }
    match scope.connection {
        Some(0) => return Some(("connection", "must be at least 1 (1 is the first)".into())),
        Some(_) if scope.peer.is_none() => {
            return Some(("connection", "needs `peer` (whose connection)".into()))
        }
        _ => {}
    }
    if scope.run == Some(0) {
        return Some(("run", "must be at least 1 (1 is the first start)".into()));
    }
    None
}

/// The first problem of one script step (not of the steps inside a `repeat`), as (field path,
/// message); `peers` are the scenario's fake peers.
fn step_problem(
    step: &Step,
    at: &str,
    network: NetworkName,
    peers: &[&str],
) -> Option<(String, String)> {
    match step {
        Step::Send(spec) => send_problem(spec, &format!("{at}.send"), network, peers),
        Step::SendSplit {
            send,
            first_bytes,
            split_at,
            ..
        } => {
            let field = format!("{at}.send_split");
            if matches!(
                (first_bytes, split_at.is_empty()),
                (Some(_), false) | (None, true)
            ) {
                return Some((
                    field,
                    "give exactly one of `first_bytes` and `split_at`".into(),
                ));
            }
            if let Some(pair) = split_at.windows(2).find(|pair| pair[0] >= pair[1]) {
                return Some((
                    format!("{field}.split_at"),
                    format!("offsets must increase ({} then {})", pair[0], pair[1]),
                ));
            }
            send_problem(send, &format!("{field}.send"), network, peers)
        }
        _ => None,
    }
}

/// The first problem of a message a script sends, as (field path, message).
fn send_problem(
    spec: &SendSpec,
    at: &str,
    network: NetworkName,
    peers: &[&str],
) -> Option<(String, String)> {
    match spec {
        SendSpec::Crafted { bits, .. } => {
            let field = format!("{at}.crafted");
            if network != NetworkName::Regtest {
                return Some((
                    field,
                    "crafted headers are ground again, which only regtest's proof of work allows"
                        .into(),
                ));
            }
            if bits.is_some_and(|b| (b >> 24) < 0x1f) {
                return Some((
                    field,
                    format!(
                        "bits {:#010x} are too hard to grind here (exponent below 0x1f)",
                        bits.unwrap_or(0)
                    ),
                ));
            }
            None
        }
        SendSpec::Raw(frame) => frame
            .frame([0; 4])
            .err()
            .map(|(field, message)| (format!("{at}.raw.{field}"), message)),
        SendSpec::BytesHex(hex) => hex_bytes(hex)
            .is_none()
            .then(|| (format!("{at}.bytes_hex"), "not hex".into())),
        SendSpec::VersionWith(fields) => {
            if let Some((field, message)) = fields.problem() {
                return Some((format!("{at}.version_with.{field}"), message));
            }
            match &fields.nonce {
                Some(VersionNonce::NodeVersionOf(peer)) if !peers.contains(&peer.as_str()) => {
                    Some((
                        format!("{at}.version_with.nonce.node_version_of"),
                        format!("`{peer}` is not a fake peer of the scenario"),
                    ))
                }
                _ => None,
            }
        }
        SendSpec::Unserved { count, .. } if *count > UNSERVED_COUNT_MAX => Some((
            format!("{at}.unserved.count"),
            format!("{count} entries, above the largest {UNSERVED_COUNT_MAX}"),
        )),
        SendSpec::Junk {
            command,
            payload_bytes,
        } => {
            let field = format!("{at}.junk");
            if !is_command(command) {
                return Some((
                    field,
                    format!("command `{command}` is not 1..=12 printable ASCII characters"),
                ));
            }
            if *payload_bytes > JUNK_PAYLOAD_BYTES_MAX {
                let max = JUNK_PAYLOAD_BYTES_MAX;
                return Some((
                    field,
                    format!("payload_bytes {payload_bytes} is over {max}"),
                ));
            }
            None
        }
        _ => None,
    }
}

/// The first problem of a peer's own `version_fields`, as (field, message): its protocol
/// version, services and height are the peer's fields of those names, and a nonce taken from
/// the node needs a script step.
fn peer_version_problem(fields: &VersionFields) -> Option<(&'static str, String)> {
    for (field, given, instead) in [
        ("version", fields.version.is_some(), "the peer's `version`"),
        (
            "services",
            fields.services.is_some(),
            "the peer's `services`",
        ),
        (
            "start_height",
            fields.start_height.is_some(),
            "the peer's `start_height`",
        ),
    ] {
        if given {
            return Some((field, format!("set it with {instead}")));
        }
    }
    if matches!(fields.nonce, Some(VersionNonce::NodeVersionOf(_))) {
        return Some((
            "nonce",
            "`node_version_of` only in a script's `version_with`".into(),
        ));
    }
    fields.problem()
}

/// Whether `command` can name a frame: 1 to 12 printable ASCII characters.
fn is_command(command: &str) -> bool {
    !command.is_empty() && command.len() <= 12 && command.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Every step of a script with its field path, the steps inside `repeat`s too.
fn flat_steps<'a>(steps: &'a [Step], at: &str, out: &mut Vec<(&'a Step, String)>) {
    for (j, step) in steps.iter().enumerate() {
        let path = format!("{at}[{j}]");
        if let Step::Repeat { steps, .. } = step {
            flat_steps(steps, &format!("{path}.repeat.steps"), out);
        }
        out.push((step, path));
    }
}

/// The scenario files directly in `dir` (its `.json` files, not those of subfolders), sorted
/// by path: what `sim suite` and `sim bench` run.
///
/// # Errors
/// The folder cannot be read.
pub fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::expect::{Expect, TraceMatch};
    use crate::scenario::fault::BanFault;
    use crate::scenario::frame::RawFrame;
    use crate::scenario::version::PongNonce;

    /// The smallest valid scenario: one honest regtest peer the node dials.
    pub(crate) const MINIMAL: &str = r#"{"description":"d","seed":1,"duration_s":10,
        "node":{"network":"regtest","connect":["p"]},
        "peers":[{"name":"p","chain":{"regtest":{"height":5,"seed":1}}}],
        "expect":{}}"#;

    /// Regression (the `scenario_loading` fuzz target): an unknown empty key at the top level
    /// came back with an empty field path, so the error named no field.
    #[test]
    fn an_unknown_key_at_the_top_level_names_the_whole_file() {
        match Scenario::parse("x.json", r#"{"": 1}"#) {
            Err(SimError::Scenario { field, message, .. }) => {
                assert_eq!(field, "-");
                assert!(message.contains("unknown field"), "{message}");
            }
            other => panic!("expected a scenario error, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_scenario_loads_with_defaults() {
        let s = Scenario::parse("x.json", MINIMAL).unwrap();
        assert_eq!(s.tick_ms, 10);
        assert_eq!(s.peers[0].behaviour, Behaviour::Honest);
        assert_eq!(s.peers[0].services, 9);
    }

    #[test]
    fn a_scenario_without_description_or_expect_loads_with_empty_ones() {
        let text = r#"{"seed":1,"duration_s":10,
            "node":{"network":"regtest","connect":["p"]},
            "peers":[{"name":"p","chain":{"regtest":{"height":5,"seed":1}}}]}"#;
        let s = Scenario::parse("x.json", text).unwrap();
        assert_eq!(s.description, "");
        assert_eq!(s.expect, Expect::default());
        let mut with_both = Scenario::parse("x.json", MINIMAL).unwrap();
        with_both.description.clear();
        assert_eq!(s, with_both);
    }

    #[test]
    fn ban_faults_automatic_addresses_and_per_run_expectations_parse_and_a_ban_needs_a_known_host()
    {
        let text = MINIMAL
            .replace("\"connect\":[\"p\"]", "\"addresses\":[\"p\",\"nowhere\"],\"target_outbound\":3")
            .replace(
                "\"expect\":{}",
                r#""faults":[{"at_ms":5,"fault":{"ban":{"host":"p","duration_s":60}}}],
                   "expect":{"dials":{"retry_runs_ms":[[0,24]],"windows":[{"after_failure":25,"min_ms":0,"max_ms":10,"dials_max":3}]},
                             "peers":{"p":{"runs":{"2":{"handshakes":1,"never_disconnected":true}}}}}"#,
            );
        let s = Scenario::parse("x.json", &text).unwrap();
        assert_eq!(
            s.node.addresses,
            ["p", "nowhere"],
            "an address need not be a host: its dials fail"
        );
        assert_eq!(
            s.faults[0].fault,
            Fault::Ban(BanFault {
                host: "p".into(),
                duration_s: 60
            })
        );
        assert_eq!(s.expect.peers["p"].runs[&2].handshakes, Some(1));
        let e = Scenario::parse("x.json", &text.replace("\"host\":\"p\"", "\"host\":\"q\""))
            .unwrap_err();
        assert_eq!(e.to_string(), "x.json: faults[0].fault: unknown host `q`");
    }

    #[test]
    fn a_zero_timer_override_is_rejected_with_its_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("zero.json");
        let text = r#"{"description": "x", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "timing": {"ping_interval_ms": 0}}, "expect": {}}"#;
        std::fs::write(&path, text).expect("write");
        let error = Scenario::load(&path).expect_err("a zero timer").to_string();
        assert!(
            error.contains("node.timing.ping_interval_ms") && error.contains("at least 1"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_field_is_reported_with_file_and_path() {
        let text = MINIMAL.replace("\"seed\":1}}", "\"seed\":1,\"colour\":2}}");
        let e = Scenario::parse("x.json", &text).unwrap_err().to_string();
        assert!(e.starts_with("x.json: peers[0].chain.regtest"), "{e}");
        assert!(e.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn a_wrong_type_and_an_unknown_host_are_reported_with_their_fields() {
        let e = Scenario::parse(
            "x.json",
            &MINIMAL.replace("\"duration_s\":10", "\"duration_s\":\"ten\""),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.json: duration_s: invalid type"),
            "{e}"
        );
        let e = Scenario::parse(
            "x.json",
            &MINIMAL.replace("\"connect\":[\"p\"]", "\"connect\":[\"q\"]"),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "x.json: node.connect[0]: unknown host `q`");
    }

    #[test]
    fn automatic_peers_parse_beside_connect_and_name_known_hosts() {
        let with = |node: &str| MINIMAL.replace("\"connect\":[\"p\"]", node);
        let s =
            Scenario::parse("x.json", &with("\"connect\":[\"p\"],\"automatic\":[\"p\"]")).unwrap();
        assert_eq!(
            (s.node.connect.len(), s.node.automatic.as_slice()),
            (1, &["p".to_string()][..])
        );
        let old = Scenario::parse("x.json", MINIMAL).unwrap();
        assert!(
            old.node.automatic.is_empty(),
            "files without the field still load"
        );
        assert!(
            !serde_json::to_string(&old.node)
                .unwrap()
                .contains("automatic"),
            "an empty list is not written"
        );
        let e = Scenario::parse("x.json", &with("\"automatic\":[\"q\"]")).unwrap_err();
        assert_eq!(e.to_string(), "x.json: node.automatic[0]: unknown host `q`");
        let e = Scenario::parse("x.json", &with("\"automatic\":[\"node\"]")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.json: node.automatic[0]: a self-connection needs node.listen"
        );
    }

    #[test]
    fn crafted_headers_are_refused_off_regtest_and_raw_payloads_must_be_hex() {
        let crafted = r#"{"description":"d","seed":1,"duration_s":10,
            "node":{"network":"mainnet","connect":["p"]},
            "peers":[{"name":"p","chain":{"mainnet":{}},"behaviour":{"script":[
                {"send":{"crafted":{"from_height":1,"count":1,"index":0,"version":1}}}]}}],
            "expect":{}}"#;
        let e = Scenario::parse("x.json", crafted).unwrap_err().to_string();
        assert!(
            e.starts_with("x.json: peers[0].behaviour.script[0].send.crafted: ")
                && e.contains("regtest"),
            "{e}"
        );
        let raw = MINIMAL.replace(
            r#""chain":{"regtest":{"height":5,"seed":1}}"#,
            r#""chain":{"regtest":{"height":5,"seed":1}},"behaviour":{"script":[{"send":{"raw":{"command":"ping","payload_hex":"zz"}}}]}"#,
        );
        let e = Scenario::parse("x.json", &raw).unwrap_err().to_string();
        assert!(
            e.contains("peers[0].behaviour.script[0].send.raw") && e.contains("not hex"),
            "{e}"
        );
    }

    #[test]
    fn junk_inside_a_repeat_is_checked_with_its_path() {
        let with = |steps: &str| {
            MINIMAL.replace(
                r#""chain":{"regtest":{"height":5,"seed":1}}"#,
                &format!(r#""chain":{{"regtest":{{"height":5,"seed":1}}}},"behaviour":{{"script":[{{"repeat":{{"times":3,"steps":[{steps}]}}}}]}}"#),
            )
        };
        let fine = with(r#"{"send":{"junk":{"command":"junk","payload_bytes":4000000}}}"#);
        let s = Scenario::parse("x.json", &fine).unwrap();
        assert!(matches!(&s.peers[0].behaviour, Behaviour::Script(steps) if steps.len() == 1));
        let big =
            with(r#"{"delay_ms":1},{"send":{"junk":{"command":"junk","payload_bytes":40000000}}}"#);
        let e = Scenario::parse("x.json", &big).unwrap_err().to_string();
        assert!(
            e.contains("peers[0].behaviour.script[0].repeat.steps[1].send.junk")
                && e.contains("over"),
            "{e}"
        );
        let long = with(r#"{"send":{"junk":{"command":"thirteen_char","payload_bytes":1}}}"#);
        let e = Scenario::parse("x.json", &long).unwrap_err().to_string();
        assert!(e.contains("not 1..=12 printable ASCII"), "{e}");
    }

    /// `MINIMAL` with peer `p` running `steps` (JSON) as its script.
    fn scripted(steps: &str) -> String {
        MINIMAL.replace(
            r#""chain":{"regtest":{"height":5,"seed":1}}"#,
            &format!(r#""chain":{{"regtest":{{"height":5,"seed":1}}}},"behaviour":{{"script":[{steps}]}}"#),
        )
    }

    fn error_of(text: &str) -> String {
        Scenario::parse("x.json", text).unwrap_err().to_string()
    }

    #[test]
    fn raw_frames_and_split_writes_are_checked_with_their_field_paths() {
        let s = Scenario::parse(
            "x.json",
            &scripted(
                r#"{"send":{"raw":{"command":"ping","payload_hex":"00"}}},
                   {"send_split":{"send":{"raw":{"command_hex":"70690067ff","payload_hex":"",
                     "length_bytes":90,"checksum_hex":"00000000","magic_hex":"f9beb4d9"}},"split_at":[1,17],"delay_ms":5}},
                   {"send":{"bytes_hex":"fabfb5da"}}"#,
            ),
        )
        .unwrap();
        let Behaviour::Script(steps) = &s.peers[0].behaviour else {
            panic!("a script")
        };
        assert_eq!(
            steps[0],
            Step::Send(SendSpec::Raw(RawFrame::new("ping", "00"))),
            "the old form reads as before"
        );
        let cases = [
            (
                r#"{"send":{"raw":{"command":"ping","command_hex":"00"}}}"#,
                "x.json: peers[0].behaviour.script[0].send.raw.command: give exactly one of `command` (text) and `command_hex` (bytes)",
            ),
            (
                r#"{"repeat":{"times":2,"steps":[{"send":{"raw":{"command_hex":"00","checksum_hex":"0102"}}}]}}"#,
                "x.json: peers[0].behaviour.script[0].repeat.steps[0].send.raw.checksum_hex: `0102` is 2 bytes, not 4",
            ),
            (
                r#"{"send":{"bytes_hex":"f"}}"#,
                "x.json: peers[0].behaviour.script[0].send.bytes_hex: not hex",
            ),
            (
                r#"{"send_split":{"send":"verack","first_bytes":3,"split_at":[5],"delay_ms":1}}"#,
                "x.json: peers[0].behaviour.script[0].send_split: give exactly one of `first_bytes` and `split_at`",
            ),
            (
                r#"{"send_split":{"send":"verack","split_at":[5,5],"delay_ms":1}}"#,
                "x.json: peers[0].behaviour.script[0].send_split.split_at: offsets must increase (5 then 5)",
            ),
        ];
        for (steps, expected) in cases {
            assert_eq!(error_of(&scripted(steps)), expected);
        }
    }

    #[test]
    fn version_fields_pong_echoes_and_borrowed_nonces_are_checked() {
        let s = Scenario::parse(
            "x.json",
            &scripted(
                r#"{"send":{"version_with":{"version":70015,"services":1033,"timestamp":{"unix_s":1},
                     "receiver_services":1,"receiver_addr":"10.0.0.1:8333","sender_services":0,
                     "sender_addr":"[::1]:18444","nonce":{"node_version_of":"p"},"user_agent":"/x/",
                     "start_height":7,"relay":true}}},
                   {"send":{"pong_echo":"minus_one"}}"#,
            ),
        )
        .unwrap();
        let Behaviour::Script(steps) = &s.peers[0].behaviour else {
            panic!("a script")
        };
        assert_eq!(
            steps[1],
            Step::Send(SendSpec::PongEcho(PongNonce::MinusOne))
        );
        let unknown = scripted(r#"{"send":{"version_with":{"nonce":{"node_version_of":"q"}}}}"#);
        assert_eq!(
            error_of(&unknown),
            "x.json: peers[0].behaviour.script[0].send.version_with.nonce.node_version_of: `q` is not a fake peer of the scenario"
        );
        let addr = scripted(r#"{"send":{"version_with":{"receiver_addr":"nowhere"}}}"#);
        assert_eq!(
            error_of(&addr),
            "x.json: peers[0].behaviour.script[0].send.version_with.receiver_addr: `nowhere` is not ip:port"
        );
        let peer_level = |fields: &str| {
            MINIMAL.replace(
                r#""chain":{"regtest":{"height":5,"seed":1}}"#,
                &format!(
                    r#""chain":{{"regtest":{{"height":5,"seed":1}}}},"version_fields":{fields}"#
                ),
            )
        };
        let fine = Scenario::parse(
            "x.json",
            &peer_level(r#"{"user_agent":"/y/","relay":true,"timestamp":{"offset_s":-60},"nonce":{"value":9}}"#),
        )
        .unwrap();
        assert_eq!(fine.peers[0].version_fields.relay, Some(true));
        assert_eq!(
            error_of(&peer_level(r#"{"version":1}"#)),
            "x.json: peers[0].version_fields.version: set it with the peer's `version`"
        );
        assert_eq!(
            error_of(&peer_level(r#"{"nonce":{"node_version_of":"p"}}"#)),
            "x.json: peers[0].version_fields.nonce: `node_version_of` only in a script's `version_with`"
        );
        let typo = error_of(&peer_level(r#"{"user_agnet":"/y/"}"#));
        assert!(
            typo.starts_with("x.json: peers[0].version_fields.user_agnet: unknown field"),
            "{typo}"
        );
    }

    #[test]
    fn only_the_node_stops_cleanly() {
        let with = |host: &str| {
            MINIMAL.replace(
                "\"expect\":{}",
                &format!(r#""faults":[{{"at_ms":0,"for_ms":5000,"fault":{{"stop":"{host}"}}}}],"expect":{{}}"#),
            )
        };
        let s = Scenario::parse("x.json", &with("node")).unwrap();
        assert_eq!(s.faults[0].fault, Fault::Stop("node".into()));
        assert_eq!(
            error_of(&with("p")),
            "x.json: faults[0].fault.stop: `p`: only `node` can be stopped cleanly (crash a fake peer)"
        );
    }

    #[test]
    fn refused_dials_need_a_fake_peer() {
        let with = |host: &str| {
            MINIMAL.replace(
                "\"expect\":{}",
                &format!(r#""faults":[{{"at_ms":0,"for_ms":5000,"fault":{{"refuse_dials":"{host}"}}}}],"expect":{{}}"#),
            )
        };
        let s = Scenario::parse("x.json", &with("p")).unwrap();
        assert_eq!(s.faults[0].fault, Fault::RefuseDials("p".into()));
        assert_eq!(
            error_of(&with("node")),
            "x.json: faults[0].fault.refuse_dials: must be a fake peer, not `node`"
        );
        assert_eq!(
            error_of(&with("q")),
            "x.json: faults[0].fault: unknown host `q`"
        );
    }

    #[test]
    fn trace_expectations_take_a_text_or_bounds_and_per_connection_counts_parse() {
        let with =
            |expect: &str| MINIMAL.replace("\"expect\":{}", &format!(r#""expect":{expect}"#));
        let s = Scenario::parse(
            "x.json",
            &with(
                r#"{"trace_contains":["tip_changed",{"text":"dial_failed","from_s":0,"until_s":5,"peer":"p"}],
                    "trace_lacks":[{"text":"disconnect","peer":"p","connection":2,"run":1}],
                    "peers":{"p":{"connections":[{},{"handshake":true,"sent":{"getheaders":1},"received":{"headers":1}}]}}}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            s.expect.trace_contains,
            [
                TraceMatch::new("tip_changed"),
                TraceMatch::new("dial_failed").peer("p").between_s(0, 5)
            ]
        );
        assert_eq!(
            s.expect.trace_lacks,
            [TraceMatch::new("disconnect").connection("p", 2).run(1)]
        );
        assert_eq!(s.expect.peers["p"].connections[1].sent["getheaders"], 1);
        let text = serde_json::to_string(&s.expect).unwrap();
        assert!(
            text.contains(r#""trace_contains":["tip_changed",{"text":"dial_failed","from_s":0,"until_s":5,"peer":"p"}]"#),
            "{text}"
        );
        assert_eq!(
            Scenario::parse("x.json", &serde_json::to_string(&s).unwrap()).unwrap(),
            s
        );
        let cases = [
            (
                r#"{"trace_contains":[{"text":"x","until_s":3,"from_s":3}]}"#,
                "x.json: expect.trace_contains[0].until_s: 3 is not after from_s 3",
            ),
            (
                r#"{"trace_lacks":["a",{"text":"x","connection":1}]}"#,
                "x.json: expect.trace_lacks[1].connection: needs `peer` (whose connection)",
            ),
            (
                r#"{"trace_lacks":[{"text":"x","peer":"p","connection":0}]}"#,
                "x.json: expect.trace_lacks[0].connection: must be at least 1 (1 is the first)",
            ),
            (
                r#"{"trace_contains":[{"text":"x","peer":"q"}]}"#,
                "x.json: expect.trace_contains[0].peer: unknown host `q`",
            ),
            (
                r#"{"trace_contains":[{"text":"x","run":0}]}"#,
                "x.json: expect.trace_contains[0].run: must be at least 1 (1 is the first start)",
            ),
        ];
        for (expect, expected) in cases {
            assert_eq!(error_of(&with(expect)), expected);
        }
        let typo = error_of(&with(r#"{"trace_contains":[{"text":"x","form_s":1}]}"#));
        assert!(
            typo.starts_with("x.json: expect.trace_contains[0].form_s: unknown field `form_s`"),
            "{typo}"
        );
        let number = error_of(&with(r#"{"trace_contains":[7]}"#));
        assert!(
            number.starts_with("x.json: expect.trace_contains[0]: invalid type: integer `7`, expected a text, or an object"),
            "{number}"
        );
    }

    #[test]
    fn a_replay_peer_with_a_bad_frame_is_rejected_with_its_field_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.json");
        let scenario = r#"{"description": "bad replay", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "connect": ["r"]},
            "peers": [{"name": "r", "behaviour": {"replay": {"source": "test", "messages": [
                {"delay_ms": 0, "command": "verack", "frame_hex": "fabfb5da76657261636b000000000000000000005df6e0e2"},
                {"after": {"command": "getheaders", "nth": 1}, "delay_ms": 5, "command": "headers", "frame_hex": "0g"}
            ]}}}],
            "expect": {}}"#;
        std::fs::write(&path, scenario).expect("write");
        let error = Scenario::load(&path).expect_err("a bad frame").to_string();
        assert!(
            error.contains("peers[0].behaviour.replay.messages[1].frame_hex"),
            "{error}"
        );
        assert!(error.contains("not hex"), "{error}");
    }
}

//! Edits that simplify rather than cut: a peer's behaviour (a script shortened step by step, a
//! preset misbehaviour's parameters lowered), a
//! fault weakened (a smaller latency, loss, skew, ban or delay; a message fault on the first
//! message of its kind), and the node's options dropped (checkpoints, NoBan entries, the
//! inbound limit, the minimum chain work; automatic connections made manual). Each returns the
//! edited scenarios with their edit text; [`super::edits::candidates`] orders them.

use crate::scenario::{Behaviour, Fault, MessageAction, Scenario, Step};

/// Simpler behaviours for each peer: a script without its second half, without its last step,
/// without each one step; a `repeat` with half or one round; a delay of 0 or half; a
/// misbehaviour on its first batch. A misbehaving peer is never made honest (that would be
/// another run, not a smaller one); a script can still shrink down to its `honest` step.
pub fn simpler_behaviours(scenario: &Scenario) -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    for (i, peer) in scenario.peers.iter().enumerate() {
        let name = &peer.name;
        let mut with = |behaviour: Behaviour, edit: String| {
            let mut c = scenario.clone();
            c.peers[i].behaviour = behaviour;
            out.push((c, format!("peer {name} {edit}")));
        };
        match &peer.behaviour {
            Behaviour::Honest | Behaviour::Replay(_) => {}
            Behaviour::Script(steps) => {
                for (steps, edit) in shorter_scripts(steps) {
                    with(Behaviour::Script(steps), edit);
                }
            }
            other => {
                let lowered = match other {
                    Behaviour::BadPow { batch, index } if (*batch, *index) != (1, 0) => {
                        Some(Behaviour::BadPow { batch: 1, index: 0 })
                    }
                    Behaviour::NonContinuous { batch, index } if (*batch, *index) != (1, 1) => {
                        Some(Behaviour::NonContinuous { batch: 1, index: 1 })
                    }
                    Behaviour::CloseMidBatch { batch } if *batch != 1 => {
                        Some(Behaviour::CloseMidBatch { batch: 1 })
                    }
                    _ => None,
                };
                if let Some(lowered) = lowered {
                    let edit = format!("{} on its first batch", behaviour_name(other));
                    with(lowered, edit);
                }
            }
        }
    }
    out
}

/// A preset behaviour's name as scenario files spell it.
fn behaviour_name(behaviour: &Behaviour) -> String {
    serde_json::to_value(behaviour)
        .ok()
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Object(map) => map.keys().next().cloned(),
            _ => None,
        })
        .unwrap_or_else(|| "behaviour".into())
}

/// Shorter variants of a script, the shortest first.
fn shorter_scripts(steps: &[Step]) -> Vec<(Vec<Step>, String)> {
    let n = steps.len();
    let mut out = Vec::new();
    if n >= 4 {
        out.push((
            steps[..n / 2].to_vec(),
            format!("script {n} → {} steps (first half)", n / 2),
        ));
    }
    if n >= 2 {
        out.push((
            steps[..n - 1].to_vec(),
            format!("script {n} → {} steps (last dropped)", n - 1),
        ));
    }
    for k in 0..n {
        let mut fewer = steps.to_vec();
        fewer.remove(k);
        out.push((fewer, format!("script without step {k} of {n}")));
    }
    for (k, step) in steps.iter().enumerate() {
        let mut replace = |step: Step, edit: String| {
            let mut c = steps.to_vec();
            c[k] = step;
            out.push((c, format!("script step {k}: {edit}")));
        };
        match step {
            Step::Repeat {
                times,
                shift,
                steps: inner,
            } if *times > 1 => {
                for fewer in [1, times / 2] {
                    if fewer >= 1 && fewer < *times {
                        replace(
                            Step::Repeat {
                                times: fewer,
                                shift: *shift,
                                steps: inner.clone(),
                            },
                            format!("repeat {times} → {fewer} rounds"),
                        );
                    }
                }
            }
            Step::DelayMs(ms) if *ms > 0 => {
                for shorter in [0, ms / 2] {
                    if shorter < *ms {
                        replace(Step::DelayMs(shorter), format!("delay {ms} → {shorter} ms"));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Each fault made weaker, one at a time: a latency, loss, clock skew or ban halved; a
/// message fault's delay halved, its `nth` made 1.
pub fn weaker_faults(scenario: &Scenario) -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    for (j, step) in scenario.faults.iter().enumerate() {
        let label = step.fault.label();
        let mut weaker = step.fault.clone();
        let edit = match &mut weaker {
            Fault::Latency(l) if l.latency_ms > 1 => {
                let before = l.latency_ms;
                l.latency_ms /= 2;
                format!("latency {before} → {} ms", l.latency_ms)
            }
            Fault::Loss(l) if l.per_mille > 1 => {
                let before = l.per_mille;
                l.per_mille /= 2;
                format!("loss {before} → {} ‰", l.per_mille)
            }
            Fault::VersionTimeSkew(v) if v.offset_s.abs() > 1 => {
                let before = v.offset_s;
                v.offset_s /= 2;
                format!("version time skew {before} → {} s", v.offset_s)
            }
            Fault::HeaderTimeSkew(h) if h.offset_s.abs() > 1 => {
                let before = h.offset_s;
                h.offset_s /= 2;
                format!("header time skew {before} → {} s", h.offset_s)
            }
            Fault::Ban(b) if b.duration_s > 1 => {
                let before = b.duration_s;
                b.duration_s /= 2;
                format!("ban {before} → {} s", b.duration_s)
            }
            Fault::Message(m) if m.nth > 1 => {
                let before = m.nth;
                m.nth = 1;
                format!("message fault on message {before} → 1")
            }
            Fault::Message(m) => match &mut m.action {
                MessageAction::DelayMs(ms) if *ms > 1 => {
                    let before = *ms;
                    *ms /= 2;
                    format!("message delay {before} → {ms} ms")
                }
                _ => continue,
            },
            _ => continue,
        };
        let mut c = scenario.clone();
        c.faults[j].fault = weaker;
        out.push((c, format!("fault `{label}`: {edit}")));
    }
    out
}

/// The node's options dropped one at a time: each checkpoint, each NoBan entry, the inbound
/// limit, the minimum chain work; each automatic connection made manual.
pub fn fewer_node_options(scenario: &Scenario) -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    let node = &scenario.node;
    for (k, checkpoint) in node.checkpoints.iter().enumerate() {
        let mut c = scenario.clone();
        c.node.checkpoints.remove(k);
        out.push((c, format!("remove checkpoint at {}", checkpoint.height)));
    }
    for (k, host) in node.noban.iter().enumerate() {
        let mut c = scenario.clone();
        c.node.noban.remove(k);
        out.push((c, format!("remove noban {host}")));
    }
    if let Some(max) = node.inbound_max {
        let mut c = scenario.clone();
        c.node.inbound_max = None;
        out.push((c, format!("remove inbound_max {max}")));
    }
    if node.minimum_chain_work.is_some() {
        let mut c = scenario.clone();
        c.node.minimum_chain_work = None;
        out.push((c, "remove minimum_chain_work".into()));
    }
    for k in 0..node.automatic.len() {
        let mut c = scenario.clone();
        let host = c.node.automatic.remove(k);
        out.push((c.clone(), format!("automatic {host} → connect")));
        out.last_mut().expect("pushed").0.node.connect.push(host);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{SendSpec, Step};

    #[test]
    fn a_script_gets_shorter_a_step_at_a_time() {
        let mut s = crate::tools::generator::generate(1);
        let steps = vec![
            Step::WaitFor("version".into()),
            Step::Send(SendSpec::Version),
            Step::DelayMs(400),
            Step::Repeat {
                times: 8,
                shift: 1,
                steps: vec![Step::Send(SendSpec::Ping(1))],
            },
            Step::Close,
        ];
        s.peers[0].behaviour = Behaviour::Script(steps.clone());
        let edits = simpler_behaviours(&s);
        let texts: Vec<&str> = edits.iter().map(|(_, e)| e.as_str()).collect();
        let first = format!("peer {} script 5 → 2 steps (first half)", s.peers[0].name);
        assert_eq!(texts[0], first);
        assert!(texts
            .iter()
            .any(|t| t.ends_with("script 5 → 2 steps (first half)")));
        assert!(texts
            .iter()
            .any(|t| t.ends_with("script without step 4 of 5")));
        assert!(texts
            .iter()
            .any(|t| t.ends_with("script step 3: repeat 8 → 1 rounds")));
        assert!(texts
            .iter()
            .any(|t| t.ends_with("script step 2: delay 400 → 0 ms")));
        // Every edit leaves the scenario valid.
        for (c, edit) in &edits {
            let json = serde_json::to_string(c).expect("serializes");
            Scenario::parse("edit.json", &json).unwrap_or_else(|e| panic!("{edit}: {e}"));
        }
    }

    #[test]
    fn faults_weaken_and_node_options_go_one_at_a_time() {
        let mut s = crate::tools::generator::generate(1);
        s.faults = vec![crate::scenario::FaultStep {
            at_ms: 0,
            for_ms: None,
            fault: Fault::Ban(crate::scenario::BanFault {
                host: s.peers[0].name.clone(),
                duration_s: 600,
            }),
        }];
        let weaker = weaker_faults(&s);
        assert_eq!(weaker.len(), 1);
        assert!(matches!(&weaker[0].0.faults[0].fault, Fault::Ban(b) if b.duration_s == 300));
        s.node.inbound_max = Some(1);
        s.node.noban = vec![s.peers[0].name.clone()];
        let fewer = fewer_node_options(&s);
        assert!(fewer
            .iter()
            .any(|(c, _)| c.node.inbound_max.is_none() && c.node.noban.len() == 1));
        assert!(fewer
            .iter()
            .any(|(c, _)| c.node.noban.is_empty() && c.node.inbound_max == Some(1)));
    }
}

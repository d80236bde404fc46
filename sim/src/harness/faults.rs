//! Faults: what a scenario's timed fault steps did, and whether each one fired.

use serde::Serialize;

/// One configured fault and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultReport {
    /// Its index in the scenario's `faults` list.
    pub index: usize,
    /// A short label: `partition node p1`, `drop headers #2 from p1`, `crash node`.
    pub label: String,
    /// The hosts it concerns (one or two).
    pub hosts: Vec<String>,
    /// When it was applied (link and host faults) or armed (message and clock faults), in
    /// simulated milliseconds since the start.
    pub start_ms: u64,
    /// When its effect ended (the repair, release, restart or restore of a fault with
    /// `for_ms`), if it has an end within the run.
    pub end_ms: Option<u64>,
    /// When it took effect: for a link or host fault the moment it was applied; for a message
    /// fault the moment its message was altered; for a clock fault the first skewed message.
    /// `None`: it never fired, which fails the scenario.
    pub fired_at_ms: Option<u64>,
}

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use bitcoin::block::Header;
use bitcoin::BlockHash;

use crate::harness::trace::{HarnessNote, Recorder};
use crate::scenario::{Fault, FaultStep, MessageAction};

/// Simulated milliseconds since the start of the run (0 outside a simulation).
pub fn sim_now_ms() -> u64 {
    turmoil::sim_elapsed().map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A message fault waiting for its message.
#[derive(Debug)]
struct ArmedMessage {
    index: usize,
    at_ms: u64,
    command: String,
    nth: u32,
    action: MessageAction,
    label: String,
    seen: Cell<u32>,
}

/// A `version` clock skew over `[at_ms, end_ms)`.
#[derive(Debug)]
struct ArmedVersionSkew {
    index: usize,
    at_ms: u64,
    end_ms: Option<u64>,
    offset_s: i64,
    label: String,
}

/// A header time skew: the peer's chain with skewed times from `from_index` on.
#[derive(Debug)]
struct ArmedHeaderSkew {
    index: usize,
    at_ms: u64,
    from_index: usize,
    label: String,
    chain: Vec<Header>,
    hash_to_index: BTreeMap<BlockHash, u32>,
}

/// The faults one fake peer applies to its own messages and clock, and when each fired.
/// Shared by all the peer's connections.
#[derive(Debug, Default)]
pub struct PeerFaults {
    messages: Vec<ArmedMessage>,
    version_skews: Vec<ArmedVersionSkew>,
    header_skew: Option<ArmedHeaderSkew>,
    fired: RefCell<BTreeMap<usize, u64>>,
    recorder: Option<Rc<RefCell<Recorder>>>,
}

impl PeerFaults {
    /// The faults among `steps` (with their indexes in the scenario's list) that concern the
    /// fake peer `name` serving `chain` (its first header at `first_height`); fired faults are
    /// noted in `recorder`'s trace.
    pub fn new(
        name: &str,
        steps: &[FaultStep],
        chain: &[Header],
        first_height: u32,
        recorder: Option<Rc<RefCell<Recorder>>>,
    ) -> PeerFaults {
        let mut faults = PeerFaults {
            recorder,
            ..PeerFaults::default()
        };
        for (index, step) in steps.iter().enumerate() {
            match &step.fault {
                Fault::Message(m) if m.peer == name => faults.messages.push(ArmedMessage {
                    index,
                    at_ms: step.at_ms,
                    command: m.command.clone(),
                    nth: m.nth,
                    action: m.action.clone(),
                    label: step.fault.label(),
                    seen: Cell::new(0),
                }),
                Fault::VersionTimeSkew(v) if v.peer == name => {
                    faults.version_skews.push(ArmedVersionSkew {
                        index,
                        at_ms: step.at_ms,
                        end_ms: step.for_ms.map(|f| step.at_ms.saturating_add(f)),
                        offset_s: v.offset_s,
                        label: step.fault.label(),
                    })
                }
                Fault::HeaderTimeSkew(h) if h.peer == name && faults.header_skew.is_none() => {
                    let from_index = h.from_height.saturating_sub(first_height) as usize;
                    let chain = skew_times(chain, from_index, h.offset_s);
                    let hash_to_index = chain
                        .iter()
                        .enumerate()
                        .map(|(i, header)| (header.block_hash(), i as u32))
                        .collect();
                    faults.header_skew = Some(ArmedHeaderSkew {
                        index,
                        at_ms: step.at_ms,
                        from_index,
                        label: step.fault.label(),
                        chain,
                        hash_to_index,
                    });
                }
                _ => {}
            }
        }
        faults
    }

    /// When each of this peer's faults fired, by index in the scenario's list.
    pub fn fired(&self) -> BTreeMap<usize, u64> {
        self.fired.borrow().clone()
    }

    fn fire(&self, index: usize, label: &str) {
        let now_ms = sim_now_ms();
        let mut fired = self.fired.borrow_mut();
        if fired.contains_key(&index) {
            return;
        }
        fired.insert(index, now_ms);
        if let Some(recorder) = &self.recorder {
            recorder.borrow_mut().note(
                now_ms,
                HarnessNote::FaultFired {
                    label: label.to_string(),
                },
            );
        }
    }

    /// Counts a whole frame of `command` about to be sent and returns what to do to it, if a
    /// message fault picks it (the fault fires).
    pub fn on_send(&self, command: &str) -> Option<MessageAction> {
        let now_ms = sim_now_ms();
        let mut action = None;
        for armed in &self.messages {
            if armed.command != command || now_ms < armed.at_ms || armed.seen.get() >= armed.nth {
                continue;
            }
            armed.seen.set(armed.seen.get() + 1);
            if armed.seen.get() == armed.nth && action.is_none() {
                self.fire(armed.index, &armed.label);
                action = Some(armed.action.clone());
            }
        }
        action
    }

    /// Seconds to add to a `version` timestamp sent now (the skew fires).
    pub fn version_offset_s(&self) -> i64 {
        let now_ms = sim_now_ms();
        let active = self
            .version_skews
            .iter()
            .find(|s| now_ms >= s.at_ms && s.end_ms.is_none_or(|end| now_ms < end));
        match active {
            Some(skew) => {
                self.fire(skew.index, &skew.label);
                skew.offset_s
            }
            None => 0,
        }
    }

    /// The chain to serve now and its hash index: the skewed one once a header time skew is
    /// armed, else `None` (serve the peer's own).
    pub fn serving_chain(&self) -> Option<(&[Header], &BTreeMap<BlockHash, u32>)> {
        let skew = self.header_skew.as_ref()?;
        (sim_now_ms() >= skew.at_ms).then_some((skew.chain.as_slice(), &skew.hash_to_index))
    }

    /// Notes that headers at chain indexes `first_index..first_index + count` of the serving
    /// chain were sent (a header time skew fires when one of them is skewed).
    pub fn on_headers_served(&self, first_index: usize, count: usize) {
        if let Some(skew) = &self.header_skew {
            if count > 0 && first_index + count > skew.from_index && sim_now_ms() >= skew.at_ms {
                self.fire(skew.index, &skew.label);
            }
        }
    }
}

/// `chain` with the time of every header from `from_index` on moved by `offset_s`, each then
/// linked to the one before and ground again to meet its own bits' target.
fn skew_times(chain: &[Header], from_index: usize, offset_s: i64) -> Vec<Header> {
    let mut out = chain.to_vec();
    for i in from_index..out.len() {
        let time = i64::from(out[i].time)
            .saturating_add(offset_s)
            .clamp(0, i64::from(u32::MAX));
        out[i].time = u32::try_from(time).unwrap_or(u32::MAX);
        if i > 0 {
            out[i].prev_blockhash = out[i - 1].block_hash();
        }
        let target = out[i].target();
        while !target.is_met_by(out[i].block_hash()) {
            out[i].nonce = out[i].nonce.wrapping_add(1);
        }
    }
    out
}

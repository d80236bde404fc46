//! Reachability: which named behaviours a run reached, and over a sweep how many seeds reached
//! each, with the ones no seed reached (`sim explore` prints both).
//!
//! A behaviour is a typed [`Reached`] value read from a run's typed trace and fault reports:
//! every disconnect kind ([`DisconnectKind`]), every header rejection kind
//! ([`HeaderErrorKind`], whether or not the peer was punished for it), every fault kind that
//! fired ([`FaultKind`]), Core's low-work PRESYNC and REDOWNLOAD, a reorganisation deeper than
//! one `headers` batch, a retarget boundary crossed by the best header, each connection type,
//! and a node restart while a peer still had more headers to give.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use node::protocol::events::{DropReason, HeadersSyncStep};
use node::protocol::header_chain::HeaderErrorKind;
use node::protocol::{ConnectionType, DisconnectKind, DisconnectReason, Event};
use strum::IntoEnumIterator;

use crate::harness::runner::RunResult;
use crate::harness::trace::TraceEntry;
use crate::scenario::{FaultKind, Scenario};

/// Headers per `headers` message (`MAX_HEADERS_RESULTS`, Core `net_processing.h`): a reorg
/// deeper than this replaced more than one batch.
const BATCH: u32 = node::wire::HEADERS_PER_MESSAGE_MAX as u32;

/// Headers between difficulty retargets (Core `DifficultyAdjustmentInterval`, 2016 on every
/// network this node knows).
const RETARGET_INTERVAL: u32 = 2016;

/// A named behaviour a run can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reached {
    /// The node closed a connection for this kind of reason.
    Disconnect(DisconnectKind),
    /// The node rejected a header for this kind of reason (punished or not).
    HeaderRejected(HeaderErrorKind),
    /// A fault of this kind fired.
    Fault(FaultKind),
    /// Core's low-work headers sync ran PRESYNC.
    Presync,
    /// Core's low-work headers sync ran REDOWNLOAD.
    Redownload,
    /// The best chain was reorganised by more than one batch of headers.
    ReorgDeeperThanBatch,
    /// The best header crossed a retarget boundary (a multiple of 2016).
    RetargetCrossed,
    /// A connection of this type was established.
    Connection(ConnectionType),
    /// The node restarted while some peer's chain was longer than its best header.
    RestartMidSync,
}

impl Reached {
    /// Why no simulated world can reach this behaviour, for the few that none can; `None` for
    /// every other (a behaviour never reached without a reason here is a gap of the
    /// generator).
    pub fn unreachable_in_simulation(&self) -> Option<&'static str> {
        match self {
            Reached::Disconnect(DisconnectKind::UserAgentTooLong) => Some(
                "both wire dialects refuse a user agent over 256 bytes while decoding `version` \
                 (btcd MsgVersion.BtcDecode, Core's LIMITED_STRING), before the handshake's own \
                 check, which only a caller handing the node decoded messages can meet",
            ),
            Reached::HeaderRejected(HeaderErrorKind::UnsupportedNetwork) => Some(
                "every network a scenario can name has its difficulty rules; only a network \
                 rust-bitcoin adds later could meet it",
            ),
            Reached::HeaderRejected(HeaderErrorKind::TimewarpAttack) => Some(
                "testnet4 only, which no scenario can name: no testnet4 headers are in \
                 ../shared/data, and its proof of work cannot be ground per seed",
            ),
            _ => None,
        }
    }

    /// Every behaviour there is, in order.
    pub fn all() -> Vec<Reached> {
        let mut all: Vec<Reached> = DisconnectKind::iter().map(Reached::Disconnect).collect();
        all.extend(HeaderErrorKind::iter().map(Reached::HeaderRejected));
        all.extend(FaultKind::iter().map(Reached::Fault));
        all.extend([
            Reached::Presync,
            Reached::Redownload,
            Reached::ReorgDeeperThanBatch,
            Reached::RetargetCrossed,
        ]);
        all.extend(
            [
                ConnectionType::Inbound,
                ConnectionType::Manual,
                ConnectionType::OutboundFullRelay,
            ]
            .map(Reached::Connection),
        );
        all.push(Reached::RestartMidSync);
        all
    }
}

impl fmt::Display for Reached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reached::Disconnect(kind) => write!(f, "disconnect {}", <&str>::from(kind)),
            Reached::HeaderRejected(kind) => write!(f, "header rejected {}", <&str>::from(kind)),
            Reached::Fault(kind) => write!(f, "fault {} fired", <&str>::from(kind)),
            Reached::Presync => f.write_str("low-work presync"),
            Reached::Redownload => f.write_str("low-work redownload"),
            Reached::ReorgDeeperThanBatch => write!(f, "reorg deeper than {BATCH} headers"),
            Reached::RetargetCrossed => f.write_str("retarget boundary crossed"),
            Reached::Connection(kind) => write!(f, "connection {kind}"),
            Reached::RestartMidSync => f.write_str("restart mid-sync"),
        }
    }
}

/// The header rejection inside a disconnect reason, if it is one.
fn header_kind(reason: &DisconnectReason) -> Option<HeaderErrorKind> {
    match reason {
        DisconnectReason::InvalidHeader(error) => Some(HeaderErrorKind::from(error)),
        _ => None,
    }
}

/// Everything `result`, a run of `scenario`, reached.
pub fn reached(scenario: &Scenario, result: &RunResult) -> BTreeSet<Reached> {
    let mut set = BTreeSet::new();
    let mut best_height = 0u32;
    for line in &result.recorder.lines {
        let TraceEntry::Node(event) = &line.entry else {
            continue;
        };
        match event {
            Event::Disconnected { reason, .. } => {
                set.insert(Reached::Disconnect(DisconnectKind::from(reason)));
                set.extend(header_kind(reason).map(Reached::HeaderRejected));
            }
            Event::Dropped {
                reason: DropReason::ManualNotPunished(reason) | DropReason::NoBanNotPunished(reason),
                ..
            } => {
                set.extend(header_kind(reason).map(Reached::HeaderRejected));
            }
            Event::HeadersSync { step, .. } => match step {
                HeadersSyncStep::Started { .. } | HeadersSyncStep::Presync { .. } => {
                    set.insert(Reached::Presync);
                }
                HeadersSyncStep::Redownload { .. } => {
                    set.insert(Reached::Redownload);
                }
                _ => {}
            },
            Event::TipChanged {
                height,
                reorg_depth,
                ..
            } => {
                if *reorg_depth > BATCH {
                    set.insert(Reached::ReorgDeeperThanBatch);
                }
                if height / RETARGET_INTERVAL > best_height / RETARGET_INTERVAL {
                    set.insert(Reached::RetargetCrossed);
                }
                best_height = *height;
            }
            Event::Connected { connection, .. } => {
                set.insert(Reached::Connection(*connection));
            }
            _ => {}
        }
    }
    for report in &result.faults {
        if report.fired_at_ms.is_none() {
            continue;
        }
        if let Some(step) = scenario.faults.get(report.index) {
            set.insert(Reached::Fault(FaultKind::from(&step.fault)));
        }
    }
    if restarted_mid_sync(scenario, result) {
        set.insert(Reached::RestartMidSync);
    }
    set
}

/// Whether the node restarted (a second run in the trace) while its best header was below
/// the longest fake peer's chain.
fn restarted_mid_sync(scenario: &Scenario, result: &RunResult) -> bool {
    let longest = scenario
        .peers
        .iter()
        .filter_map(|peer| peer.chain.as_ref())
        .filter_map(|chain| {
            chain
                .build()
                .ok()
                .map(|c| c.len() as u64 + u64::from(chain.first_height()))
        })
        .max()
        .unwrap_or(0);
    let mut best_height = 0u64;
    for line in &result.recorder.lines {
        if line.run > 1 {
            return best_height + 1 < longest;
        }
        if let TraceEntry::Node(Event::TipChanged { height, .. }) = &line.entry {
            best_height = u64::from(*height);
        }
    }
    false
}

/// How many seeds of a sweep reached each behaviour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reachability {
    /// Seeds counted.
    pub seeds: u64,
    /// Per behaviour reached at least once: the number of seeds that reached it.
    pub counts: BTreeMap<Reached, u64>,
}

impl Reachability {
    /// Counts one seed's behaviours.
    pub fn add(&mut self, reached: &BTreeSet<Reached>) {
        self.seeds += 1;
        for behaviour in reached {
            *self.counts.entry(*behaviour).or_default() += 1;
        }
    }

    /// The behaviours no seed reached, in [`Reached::all`]'s order.
    pub fn never_reached(&self) -> Vec<Reached> {
        Reached::all()
            .into_iter()
            .filter(|b| !self.counts.contains_key(b))
            .collect()
    }

    /// The report: one line per behaviour reached with its seed count, then the ones never
    /// reached (with the reason, for those no simulated world can reach).
    pub fn render(&self) -> String {
        let mut text = format!(
            "reachability over {} seeds: {} of {} behaviours reached\n",
            self.seeds,
            self.counts.len(),
            Reached::all().len()
        );
        for (behaviour, count) in &self.counts {
            text.push_str(&format!("  {count:>6}  {behaviour}\n"));
        }
        let never = self.never_reached();
        if !never.is_empty() {
            text.push_str(&format!("never reached ({}):\n", never.len()));
            for behaviour in never {
                match behaviour.unreachable_in_simulation() {
                    Some(why) => {
                        text.push_str(&format!("          {behaviour} (unreachable: {why})\n"))
                    }
                    None => text.push_str(&format!("          {behaviour}\n")),
                }
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::harness::runner::run_scenario;

    #[test]
    fn every_behaviour_is_listed_once_with_its_own_name() {
        let all = Reached::all();
        let distinct: BTreeSet<Reached> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "no behaviour listed twice");
        let names: BTreeSet<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), all.len(), "every behaviour has its own name");
        assert_eq!(
            all.len(),
            DisconnectKind::iter().count()
                + HeaderErrorKind::iter().count()
                + FaultKind::iter().count()
                + 8
        );
        assert!(names.contains("disconnect headers-sync-timeout"));
        assert!(names.contains("header rejected high-hash"));
        assert!(names.contains("fault crash fired"));
    }

    #[test]
    fn a_sweep_counts_seeds_per_behaviour_and_names_what_none_reached() {
        let mut reach = Reachability::default();
        reach.add(&BTreeSet::from([Reached::Presync, Reached::Redownload]));
        reach.add(&BTreeSet::from([Reached::Presync]));
        assert_eq!(reach.seeds, 2);
        assert_eq!(reach.counts.get(&Reached::Presync), Some(&2));
        assert_eq!(reach.counts.get(&Reached::Redownload), Some(&1));
        let never = reach.never_reached();
        assert_eq!(never.len(), Reached::all().len() - 2);
        assert!(!never.contains(&Reached::Presync));
        let text = reach.render();
        assert!(
            text.starts_with("reachability over 2 seeds: 2 of "),
            "{text}"
        );
        assert!(text.contains("       2  low-work presync\n"), "{text}");
        assert!(text.contains("never reached ("), "{text}");
        assert!(text.contains("          restart mid-sync\n"), "{text}");
    }

    #[test]
    fn a_run_reaches_its_disconnect_its_header_rejection_and_its_connection_type() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("scenarios/v01_invalid_pow_core.json");
        let scenario = Scenario::load(&path).expect("the catalog scenario loads");
        let result = run_scenario(&scenario, "v01_invalid_pow_core", None).expect("it runs");
        let reached = reached(&scenario, &result);
        assert!(
            reached.contains(&Reached::Disconnect(DisconnectKind::InvalidHeader)),
            "{reached:?}"
        );
        assert!(
            reached.contains(&Reached::HeaderRejected(HeaderErrorKind::HighHash)),
            "{reached:?}"
        );
        assert!(
            reached.contains(&Reached::Connection(ConnectionType::OutboundFullRelay)),
            "v01's peers are automatic: {reached:?}"
        );
        assert!(!reached.contains(&Reached::RestartMidSync), "{reached:?}");
        assert!(!reached.contains(&Reached::Presync), "{reached:?}");
    }
}

//! [`LOW_WORK_CHAINS_HELD_BACK`](super::LOW_WORK_CHAINS_HELD_BACK): under Core with a minimum
//! chain work, headers of a chain with less work are not stored. Core takes a chain claiming
//! less than the anti-DoS threshold (at least the minimum chain work) out of normal processing
//! (`TryLowWorkHeadersSync`) and releases its headers only once their work is proven
//! (`headerssync.cpp`): at the end of REDOWNLOAD, or earlier only from a buffer of more than
//! `REDOWNLOAD_BUFFER_SIZE` redownloaded headers. Two exemptions: a NoBan peer skips the check,
//! and a message outside a low-work sync whose headers were not all taken (an invalid one
//! part-way) may leave a stored prefix below a threshold the whole message claimed.

use std::collections::BTreeMap;

use bitcoin::pow::Work;
use node::protocol::headers_presync::PresyncNote;
use node::protocol::HeadersSyncStep;
use node::{Event, PeerId};

/// Core v28 `headerssync.cpp` `REDOWNLOAD_BUFFER_SIZE`: redownloaded headers kept back before
/// any is released while the work is not yet proven. Written out here, not read from the node.
const CORE_REDOWNLOAD_BUFFER_SIZE: usize = 14_441;

/// The peer and why, when `event` takes a NoBan peer's headers for a low-work chain (ignored
/// as one, or a low-work sync started): Core sets `already_validated_work` for a NoBan peer
/// and skips the anti-DoS check (`ProcessHeadersMessage`, before `TryLowWorkHeadersSync`).
/// `noban` says whether a connection's host is NoBan.
pub(super) fn noban_held_back(
    event: &Event,
    noban: impl Fn(&PeerId) -> bool,
) -> Option<(&PeerId, String)> {
    let Event::HeadersSync { peer, step } = event else {
        return None;
    };
    let first = matches!(
        step,
        HeadersSyncStep::IgnoredLowWorkChain { .. } | HeadersSyncStep::Started { .. }
    );
    (first && noban(peer)).then(|| {
        (
            peer,
            format!("took a NoBan peer's headers for a low-work chain ({step}); Core skips the anti-DoS check for NoBan peers"),
        )
    })
}

/// The rule's state for one run.
#[derive(Debug, Default)]
pub(super) struct LowWork {
    /// The minimum chain work (zero: the rule does not apply).
    minimum: Option<Work>,
    /// Per connection in REDOWNLOAD: the headers it sent since REDOWNLOAD started.
    redownloaded: BTreeMap<u64, usize>,
    /// The chainwork of a best-chain change below the minimum not yet tied to its message.
    below: Option<Work>,
}

impl LowWork {
    /// The rule for a Core node with `minimum` chain work (nothing to check at zero).
    pub(super) fn new(minimum: Work) -> LowWork {
        LowWork {
            minimum: (minimum > Work::from_be_bytes([0; 32])).then_some(minimum),
            ..LowWork::default()
        }
    }

    /// The node restarted or stopped: no sync survives it.
    pub(super) fn reset(&mut self) {
        self.redownloaded.clear();
        self.below = None;
    }

    /// One event; `noban`: whether the connection it concerns has NoBan. Returns what was
    /// stored against the rule.
    pub(super) fn event(&mut self, event: &Event, noban: bool) -> Option<String> {
        let minimum = self.minimum?;
        match event {
            Event::HeadersSync {
                peer,
                step: HeadersSyncStep::Note(PresyncNote::ReachedSufficientWork { .. }),
            } => {
                self.redownloaded.insert(peer.0, 0);
            }
            Event::HeadersSync {
                peer,
                step: HeadersSyncStep::Note(PresyncNote::Aborted { .. }),
            } => {
                self.redownloaded.remove(&peer.0);
            }
            Event::Received {
                peer,
                message: node::protocol::MessageSummary::Headers { count, .. },
            } => {
                if let Some(total) = self.redownloaded.get_mut(&peer.0) {
                    *total += count;
                }
            }
            Event::TipChanged { chainwork, .. } if *chainwork < minimum => {
                self.below = Some(*chainwork);
            }
            Event::TipChanged { .. } => self.below = None,
            Event::HeadersImported {
                peer,
                received,
                accepted,
                ..
            } => {
                let chainwork = self.below.take()?;
                let redownloading = self.redownloaded.get(&peer.0).copied();
                let buffered = redownloading.unwrap_or(0);
                let exempt = noban
                    || buffered > CORE_REDOWNLOAD_BUFFER_SIZE
                    || (redownloading.is_none() && accepted < received);
                if !exempt {
                    return Some(format!(
                        "stored a best chain of work {chainwork:x}, below the minimum chain work {minimum:x}, from a peer without NoBan ({buffered} headers redownloaded)"
                    ));
                }
            }
            Event::Disconnected { peer, .. } | Event::PeerClosed { peer, .. } => {
                self.redownloaded.remove(&peer.0);
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noban_peers_headers_are_never_taken_for_a_low_work_chain() {
        let step = |step| Event::HeadersSync {
            peer: PeerId(1),
            step,
        };
        let ignored = step(HeadersSyncStep::IgnoredLowWorkChain { height: 61 });
        let started = step(HeadersSyncStep::Started { height: 0 });
        let went_on = step(HeadersSyncStep::Presync { height: 2_000 });
        assert!(noban_held_back(&ignored, |_| true).is_some());
        assert!(noban_held_back(&started, |_| true).is_some());
        // Not NoBan, or a step after the start: nothing to judge here.
        assert!(noban_held_back(&ignored, |_| false).is_none());
        assert!(noban_held_back(&went_on, |_| true).is_none());
    }
}

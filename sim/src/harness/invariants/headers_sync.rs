//! The upper bound of Core's headers-sync timeout, part of `deadlines_kept`: a sync peer that
//! is past its deadline while it can be replaced is dropped (or, NoBan, has its sync reset)
//! within the checker's slack.
//!
//! Core (`net_processing.cpp`): when a peer becomes a sync peer (`fSyncStarted`), its
//! deadline is `HEADERS_DOWNLOAD_TIMEOUT_BASE` plus `HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER` per
//! `nPowTargetSpacing` (600 s) between our best header's time and now. `SendMessages` then, on
//! every pass while our best header is older than `max_tip_age`, drops a peer past its deadline
//! if it is the only sync peer (`nSyncStarted == 1`) and another peer is preferred for download
//! (outbound or NoBan, handshake done, serving blocks); once our best header is recent the
//! deadline is cleared for good. The rule's own model of that, fed the node's events and the
//! time of its best header.

use std::collections::BTreeMap;

use node::protocol::events::DropReason;
use node::protocol::peer::Direction;
use node::{Event, Timing};

/// `NODE_NETWORK` or `NODE_NETWORK_LIMITED`: a peer that serves blocks (`CanServeBlocks`).
const SERVES_BLOCKS: u64 = 1 | (1 << 10);
/// Core's `nPowTargetSpacing` for every network the node runs (seconds).
const POW_TARGET_SPACING_S: u64 = 600;

/// One open connection as the bound sees it.
#[derive(Debug, Clone)]
struct Watched {
    host: String,
    inbound: bool,
    /// Preferred for download: outbound or NoBan, handshake done, serving blocks.
    preferred: bool,
    /// A sync peer (Core `fSyncStarted`).
    sync_started: bool,
    /// Its headers-sync deadline (ms since the start), until cleared.
    deadline_ms: Option<u64>,
}

/// The bound's state for one run.
#[derive(Debug)]
pub(super) struct HeadersSyncDeadlines {
    timing: Timing,
    noban: Vec<String>,
    conns: BTreeMap<u64, Watched>,
    /// Since when (ms since the start) the sync peer has been past its deadline with someone
    /// to take over: the node has the slack from then, not from the deadline (it may only
    /// now have gained the peer that can take over).
    due_since_ms: Option<u64>,
}

impl HeadersSyncDeadlines {
    /// The bound for a Core node with `timing` whose NoBan hosts are `noban`.
    pub(super) fn new(timing: Timing, noban: Vec<String>) -> HeadersSyncDeadlines {
        HeadersSyncDeadlines {
            timing,
            noban,
            conns: BTreeMap::new(),
            due_since_ms: None,
        }
    }

    /// The node's process stopped: its connections are gone.
    pub(super) fn node_stopped(&mut self) {
        self.conns.clear();
    }

    /// One node event at `at_ms` (ms since the start); `behind_s` is how far the node's best
    /// header lags the clock (seconds) and `best_header_recent` whether it is within
    /// `max_tip_age`.
    pub(super) fn event(
        &mut self,
        at_ms: u64,
        event: &Event,
        behind_s: u64,
        best_header_recent: bool,
    ) {
        match event {
            Event::Started { .. } => self.conns.clear(),
            Event::Connected {
                peer,
                addr,
                direction,
                ..
            } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                let watched = Watched {
                    host,
                    inbound: matches!(direction, Direction::Inbound),
                    preferred: false,
                    sync_started: false,
                    deadline_ms: None,
                };
                self.conns.insert(peer.0, watched);
            }
            Event::HandshakeDone { peer, services, .. } => {
                if let Some(c) = self.conns.get_mut(&peer.0) {
                    let trusted = !c.inbound || self.noban.contains(&c.host);
                    c.preferred = trusted && services & SERVES_BLOCKS != 0;
                }
            }
            Event::SyncPeer { peer: Some(peer) } => {
                let allowance_ms = self.allowance_ms(behind_s);
                if let Some(c) = self.conns.get_mut(&peer.0) {
                    c.sync_started = true;
                    c.deadline_ms = Some(at_ms.saturating_add(allowance_ms));
                }
            }
            Event::Dropped {
                peer,
                reason: DropReason::NoBanHeadersSyncTimeout { .. },
            } => {
                if let Some(c) = self.conns.get_mut(&peer.0) {
                    c.sync_started = false;
                    c.deadline_ms = None;
                }
            }
            Event::Disconnected { peer, .. } | Event::PeerClosed { peer, .. } => {
                self.conns.remove(&peer.0);
            }
            _ => {}
        }
        if best_header_recent {
            for c in self.conns.values_mut() {
                c.deadline_ms = None;
            }
        }
    }

    /// Core's allowance for a headers sync started with the best header `behind_s` seconds
    /// old: the base plus the per-header time for each 600 s behind (in microseconds, rounded
    /// up to whole milliseconds).
    fn allowance_ms(&self, behind_s: u64) -> u64 {
        let base_ms = u64::try_from(self.timing.headers_download_timeout_base.as_millis())
            .unwrap_or(u64::MAX);
        let per_header_us =
            u64::try_from(self.timing.headers_download_timeout_per_header.as_micros())
                .unwrap_or(u64::MAX);
        let extra_us = per_header_us.saturating_mul(behind_s) / POW_TARGET_SPACING_S;
        base_ms.saturating_add(extra_us.div_ceil(1000))
    }

    /// At `at_ms`, the sync peer still connected more than `slack_ms` after it became due to
    /// go: past its deadline, with the best header old (`best_header_recent` false) and
    /// another peer that could take over. Its label and how late, if any.
    pub(super) fn overdue(
        &mut self,
        at_ms: u64,
        best_header_recent: bool,
        slack_ms: u64,
    ) -> Option<String> {
        let Some((label, past_ms, others)) = self.due(at_ms, best_header_recent) else {
            self.due_since_ms = None;
            return None;
        };
        let since = *self.due_since_ms.get_or_insert(at_ms);
        (at_ms > since.saturating_add(slack_ms)).then(|| {
            format!(
                "{label} still the sync peer {past_ms} ms past its headers-sync deadline, with {others} other peer(s) preferred for download to take over for {} ms",
                at_ms - since
            )
        })
    }

    /// Whether the sync peer is due to go at `at_ms`: its label, how far past its deadline,
    /// and how many others could take over.
    fn due(&self, at_ms: u64, best_header_recent: bool) -> Option<(String, u64, usize)> {
        if best_header_recent {
            return None;
        }
        let mut started = self.conns.iter().filter(|(_, c)| c.sync_started);
        let (id, sync) = started.next()?;
        if started.next().is_some() {
            return None;
        }
        let deadline_ms = sync.deadline_ms?;
        let others = self
            .conns
            .iter()
            .filter(|(other, c)| *other != id && c.preferred)
            .count();
        (others >= 1 && at_ms > deadline_ms)
            .then(|| (format!("{}#{id}", sync.host), at_ms - deadline_ms, others))
    }
}

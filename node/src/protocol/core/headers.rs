//! Core `ProcessHeadersMessage` and the low-work headers sync: a message's proof of work and
//! continuity checked whole before any of it is stored, and a chain below the anti-DoS work
//! threshold synced through PRESYNC/REDOWNLOAD ([`crate::protocol::headers_presync`]) without
//! being stored until its work is proven.

use bitcoin::block::Header;
use bitcoin::pow::Work;

use crate::config::{Profile, ANTI_DOS_TIP_BUFFER_BLOCKS};
use crate::deliberate_bugs::Bug;
use crate::protocol::disconnect::DisconnectReason;
use crate::protocol::events::{Event, HeadersSyncStep};
use crate::protocol::header_chain::{ChainUpdate, HeaderError, IndexEntry};
use crate::protocol::headers_presync::{add_claimed_work, ChainStart, HeadersPresync, Phase};
use crate::protocol::ids::PeerId;
use crate::protocol::node::Node;
use crate::protocol::output::Output;
use crate::protocol::peer::Peer;
use crate::wire;

impl Node {
    /// Core `ProcessHeadersMessage`, in its order:
    ///
    /// 1. more than 2000 headers disconnects and discourages; an empty message ends any
    ///    low-work sync and counts as the answer to our last `getheaders`;
    /// 2. proof of work and continuity of the whole message (`CheckHeadersPoW`);
    /// 3. a low-work sync in progress takes the message (`IsContinuationOfLowWorkHeadersSync`)
    ///    and may hand back headers that passed its commitment checks;
    /// 4. headers whose first does not connect get a `getheaders`, no penalty (D14);
    /// 5. unless the headers are already on our best chain or the peer has NoBan, a chain
    ///    whose claimed work stays below the anti-DoS threshold is ignored, or synced without
    ///    being stored if the message was full (`TryLowWorkHeadersSync`, V10, V11);
    /// 6. header-by-header acceptance, where every failure but `time-too-new` (D16)
    ///    disconnects and discourages;
    /// 7. a full message of 2000 asks for more with a full locator from its last header (D13,
    ///    D26), and the peer's best known header, the initial-sync work check and the eviction
    ///    protection are updated (`UpdatePeerStateForReceivedHeaders`).
    pub(in crate::protocol) fn core_on_headers(
        &mut self,
        peer: PeerId,
        headers: Vec<Header>,
        now_ms: u64,
    ) {
        let count = headers.len();
        if count > wire::HEADERS_PER_MESSAGE_MAX {
            self.core_misbehaving(peer, DisconnectReason::TooManyHeaders { count }, now_ms);
            return;
        }
        if headers.is_empty() {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.reset_getheaders_timestamp();
                if p.take_headers_presync().is_some() {
                    let step = HeadersSyncStep::ResetByEmptyHeaders;
                    self.event(Event::HeadersSync { peer, step });
                }
            }
            self.event(Event::HeadersImported {
                peer,
                received: 0,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        let mut hashes = match self.chain.check_headers_message(&headers) {
            Ok(hashes) => hashes,
            Err(error) => {
                if self.config.has_bug(Bug::RejectedBatchStored) {
                    self.deliberately_store_rejected_prefix(&headers, &error);
                }
                self.core_misbehaving(peer, DisconnectReason::InvalidHeader(error), now_ms);
                return;
            }
        };
        let full = if self.config.has_bug(Bug::BoundaryOffByOne) {
            count > wire::HEADERS_PER_MESSAGE_MAX
        } else {
            count == wire::HEADERS_PER_MESSAGE_MAX
        };
        let mut headers = headers;
        let mut already_validated_work = false;
        if let Some(presync) = self
            .peers
            .get_mut(&peer)
            .and_then(Peer::take_headers_presync)
        {
            let (success, released) =
                self.core_continue_presync(peer, presync, &headers, full, now_ms);
            if success {
                already_validated_work = true;
                headers = released;
                hashes = headers.iter().map(Header::block_hash).collect();
                if headers.is_empty() {
                    self.event(Event::HeadersImported {
                        peer,
                        received: count,
                        accepted: 0,
                        tip_height: self.chain.tip_height(),
                    });
                    return;
                }
            }
        }
        let have_headers_sync = self.peers.get(&peer).is_some_and(Peer::has_headers_presync);
        let first_hash = hashes[0];
        let Some(chain_start) = self.chain.get(&headers[0].prev_blockhash).copied() else {
            self.event(Event::Unconnecting {
                peer,
                hash: first_hash,
            });
            let locator = self.chain.locator();
            self.core_maybe_send_getheaders(peer, locator, now_ms);
            return;
        };
        if let Some(p) = self.peers.get_mut(&peer) {
            p.reset_getheaders_timestamp();
        }
        let last_hash = hashes[hashes.len() - 1];
        if self.chain.active_height_of(&last_hash).is_some() || self.is_noban(peer) {
            already_validated_work = true;
        }
        if !already_validated_work
            && self.core_try_low_work_headers_sync(peer, chain_start, &headers, now_ms)
        {
            self.event(Event::HeadersImported {
                peer,
                received: count,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        let import = self.import_headers(peer, &headers, &hashes, count, now_ms, Profile::Core);
        match import.and_then(|i| i.error) {
            None => {}
            Some(HeaderError::TimeTooNew { .. }) => return,
            Some(error) => {
                self.core_misbehaving(peer, DisconnectReason::InvalidHeader(error), now_ms);
                return;
            }
        }
        if full && !have_headers_sync {
            let locator = self.chain.locator_from(&last_hash);
            self.core_maybe_send_getheaders(peer, locator, now_ms);
        }
        self.core_update_peer_state_for_received_headers(peer, last_hash, full, now_ms);
    }

    /// Deliberate bug [`Bug::RejectedBatchStored`]: the headers of a rejected message up to
    /// its first bad one are persisted, though the index never took them.
    fn deliberately_store_rejected_prefix(&mut self, headers: &[Header], error: &HeaderError) {
        let bad = match error {
            HeaderError::HighHash { index, .. } | HeaderError::NonContinuous { index, .. } => {
                *index
            }
            _ => return,
        };
        if bad == 0 || headers[0].prev_blockhash != self.chain.tip_hash() {
            return;
        }
        let update = ChainUpdate::new(self.chain.tip_height() + 1, headers[..bad].to_vec());
        self.outputs.push_back(Output::Persist(update));
    }

    /// Core `GetAntiDoSWorkThreshold`: the larger of our tip's work less 144 blocks' worth
    /// of its proof and the configured minimum chain work.
    fn core_anti_dos_work_threshold(&self) -> Work {
        let tip_work = self.chain.tip_chainwork();
        let proof = self.chain.tip_header().work();
        let mut buffer = Work::from_be_bytes([0; 32]);
        for _ in 0..ANTI_DOS_TIP_BUFFER_BLOCKS {
            buffer = buffer + proof;
            if buffer >= tip_work {
                break;
            }
        }
        let near_tip = if buffer >= tip_work {
            Work::from_be_bytes([0; 32])
        } else {
            tip_work - buffer
        };
        near_tip.max(self.config.minimum_chain_work)
    }

    /// Core `TryLowWorkHeadersSync`: `true` if the headers were taken out of normal processing
    /// because the chain they claim (from `chain_start`) has less work than the anti-DoS
    /// threshold. A full message starts a low-work sync; a shorter one is ignored, with no
    /// penalty.
    fn core_try_low_work_headers_sync(
        &mut self,
        peer: PeerId,
        chain_start: IndexEntry,
        headers: &[Header],
        now_ms: u64,
    ) -> bool {
        // Claimed work, summed as the low-work sync sums it (held at the maximum rather than
        // overflowing; the proof of work was checked first, so it cannot come near).
        let total_work = headers.iter().fold(chain_start.chainwork, |total, header| {
            add_claimed_work(total, header.work())
        });
        let threshold = self.core_anti_dos_work_threshold();
        if total_work >= threshold {
            return false;
        }
        let height = u64::from(chain_start.height) + headers.len() as u64;
        if headers.len() == wire::HEADERS_PER_MESSAGE_MAX {
            let start_hash = chain_start.header.block_hash();
            let start = ChainStart {
                header: chain_start.header,
                height: chain_start.height,
                chainwork: chain_start.chainwork,
                median_time_past_s: self
                    .chain
                    .median_time_past(&start_hash)
                    .unwrap_or(chain_start.header.time),
            };
            let locator = self.chain.locator_from(&start_hash);
            let presync = HeadersPresync::new(
                self.chain.network(),
                start,
                locator,
                threshold,
                &mut self.rng,
                now_ms / 1000,
            );
            let step = HeadersSyncStep::Started {
                height: chain_start.height,
            };
            self.event(Event::HeadersSync { peer, step });
            // Failures end the sync inside; nothing is stored either way.
            let _ = self.core_continue_presync(peer, Box::new(presync), headers, true, now_ms);
        } else {
            let step = HeadersSyncStep::IgnoredLowWorkChain { height };
            self.event(Event::HeadersSync { peer, step });
        }
        true
    }

    /// Core `IsContinuationOfLowWorkHeadersSync` for a sync in progress: feeds it the message,
    /// asks for more when it wants more, and keeps it unless it ended. Returns whether the
    /// message was a valid continuation and the headers it released for validation.
    fn core_continue_presync(
        &mut self,
        peer: PeerId,
        mut presync: Box<HeadersPresync>,
        headers: &[Header],
        full: bool,
        now_ms: u64,
    ) -> (bool, Vec<Header>) {
        let outcome = presync.process(headers, full);
        if outcome.success {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.reset_getheaders_timestamp();
            }
        }
        let step = match (&outcome.note, presync.phase()) {
            (Some(note), _) => HeadersSyncStep::Note(*note),
            (None, Phase::Presync) => HeadersSyncStep::Presync {
                height: presync.presync_height(),
            },
            (None, _) => HeadersSyncStep::Redownload {
                released: outcome.released.len(),
            },
        };
        self.event(Event::HeadersSync { peer, step });
        if outcome.request_more {
            let locator = presync.next_locator();
            self.core_maybe_send_getheaders(peer, locator, now_ms);
        }
        if presync.phase() != Phase::Final {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.set_headers_presync(presync);
            }
        }
        (outcome.success, outcome.released)
    }
}

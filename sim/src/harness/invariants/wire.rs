//! The `node_reads_what_was_written` invariant: on every connection, the messages the node says
//! it received are the messages the fake peer wrote, as rust-bitcoin's decoder reads the same
//! bytes back ([`crate::peers::fake_peer::WrittenStream`]), compared by their key fields
//! ([`WireFact`]). The node's two wire dialects are its own code; rust-bitcoin's decoder shares
//! none of it, so a dialect that misreads a message (a field, a count, a message taken for an
//! unknown command) is seen whatever the node then does with it.
//!
//! A connection is matched to the fake peer's by the nonce of the first `version` each side
//! recorded (every fake peer draws a fresh nonce per connection; where a script reuses one, the
//! k-th connection with it pairs with the k-th stream); a connection whose first message is not
//! a `version` is not compared, and one whose `version` carries a nonce that none of the
//! host's streams wrote (all read to their end) breaks the invariant: that nonce was misread.
//! A message with key fields is compared by them; any other message the node decoded by the
//! digest of its decoding against the digest of rust-bitcoin's (under btcd, an `addrv2`
//! without the entries btcd reads and skips, and a `ping` at protocol 60000 or below read
//! without its nonce); one the node kept undecoded by its command.
//! The comparison stops where either account stops: at the node's first dropped message on
//! the connection (a frame it refused or a message it set aside) or its end, and at the first
//! bytes rust-bitcoin does not read as a frame (garbage, a broken frame, a faulted write). The
//! node reading fewer messages than were written is fine (it closed the connection, or the
//! run ended); reading a different one, or more than a readable stream held, is not.
//!
//! The refusal that stops the comparison is judged too: under btcd a message that
//! rust-bitcoin read to its last byte, within the per-message bounds btcd adds (its address,
//! inventory, locator and bloom-filter limits; [`btcd_reads`]), is never refused by btcd's
//! decoding as malformed; under Core no message rust-bitcoin read is refused as undecodable
//! (both read the fields and ignore what follows them). A version gate, an unknown command and a frame's size are the
//! profile rules' to judge (`version_gates_kept`, `btcd_commands_read`, `frame_limits_kept`).

use std::collections::BTreeMap;

use node::protocol::events::{DropReason, MessageSummary};
use node::wire::btcd_payload::BtcdReadError;
use node::wire::DecodeError;
use node::{DisconnectReason, Event, PeerId};

use super::rules::btcd_pver;
use crate::peers::fake_peer::{PayloadFact, WireFact, WrittenStream, WrittenStreams};

/// The key fields of a message the node received, as its trace summarises it.
pub fn fact_of(summary: &MessageSummary) -> WireFact {
    match summary {
        MessageSummary::Version {
            version,
            services,
            start_height,
            nonce,
            user_agent,
        } => WireFact::Version {
            version: *version,
            services: *services,
            start_height: *start_height,
            nonce: *nonce,
            user_agent: user_agent.clone(),
        },
        MessageSummary::GetHeaders {
            first_locator,
            stop_hash,
            ..
        } => WireFact::GetHeaders {
            first_locator: *first_locator,
            stop_hash: *stop_hash,
        },
        MessageSummary::Headers { count, ends } => WireFact::Headers {
            count: *count,
            ends: *ends,
        },
        MessageSummary::Ping { nonce } => WireFact::Ping(*nonce),
        MessageSummary::Pong { nonce } => WireFact::Pong(*nonce),
        MessageSummary::Other {
            command,
            payload_digest,
        } => WireFact::Decoded {
            command: command.to_string(),
            digest: *payload_digest,
        },
        MessageSummary::Inv { payload_digest, .. } => WireFact::Decoded {
            command: "inv".to_string(),
            digest: *payload_digest,
        },
        MessageSummary::Reject { payload_digest, .. } => WireFact::Decoded {
            command: "reject".to_string(),
            digest: *payload_digest,
        },
        other => WireFact::Command(other.command().to_string()),
    }
}

/// The protocol version from which btcd reads an `addr` entry's time (`wire/protocol.go`
/// `NetAddressTimeVersion`); rust-bitcoin always reads it.
const NET_ADDRESS_TIME_VERSION: u32 = 31_402;

/// The last protocol version at which btcd reads a `ping` without its nonce
/// (`wire/protocol.go` `BIP0031Version`, `MsgPing.BtcDecode`): the node then reads nonce 0
/// whatever the payload holds; rust-bitcoin always reads the nonce.
const BIP0031_VERSION: u32 = 60_000;

/// The `NODE_WITNESS` service bit (BIP 144).
const NODE_WITNESS: u64 = 1 << 3;

/// The protocol version from which btcd reads a `reject` (`wire/protocol.go` `RejectVersion`).
const REJECT_VERSION: u32 = 70_002;

/// Whether the node's reading `got` is the peer's message `wrote`. A message the node decoded
/// is compared by its digest (under btcd, its reading of an `addrv2` leaves out the entries
/// btcd skips; and below [`NET_ADDRESS_TIME_VERSION`] an `addr` is compared by command only,
/// since btcd then reads entries without a time); one the node kept undecoded by its command.
/// Under btcd at [`BIP0031_VERSION`] and below a `ping` is read as nonce 0.
/// `btcd_pver` is the version the node reads at under btcd (`None` under Core).
fn read_as(wrote: &WireFact, got: &WireFact, btcd_pver: Option<u32>) -> bool {
    match (wrote, got) {
        (WireFact::Ping(_), got) if btcd_pver.is_some_and(|pver| pver <= BIP0031_VERSION) => {
            *got == WireFact::Ping(0)
        }
        (WireFact::Payload(fact), WireFact::Decoded { command, digest }) => {
            if fact.command != *command {
                return false;
            }
            match btcd_pver {
                None => *digest == fact.digest,
                Some(pver) if command == "addr" && pver < NET_ADDRESS_TIME_VERSION => true,
                Some(_) => *digest == fact.btcd_digest,
            }
        }
        (WireFact::Payload(fact), WireFact::Command(command)) => fact.command == *command,
        (wrote, got) => wrote == got,
    }
}

/// btcd's per-message bounds beyond the frame's size, as far as this rule models them (btcd
/// `wire`: `MaxAddrPerMsg`, `MaxInvPerMsg`, `MaxBlockLocatorsPerMsg`, `MaxFilterAddDataSize`,
/// `MaxFilterLoadFilterSize`, `MaxFilterLoadHashFuncs`, `maxTxPerBlock`): whether btcd reads `fact`, a message
/// rust-bitcoin read to its last byte, at a version `pver` that has its command, from a peer
/// that offered `NODE_WITNESS` or not (`witness`). `None` for a command the rule does not
/// model (btcd may refuse it for reasons rust-bitcoin lacks), and for a `tx` or `block` from a
/// peer without `NODE_WITNESS`: btcd then reads transactions in the base encoding
/// (`peer.go` sets `wireEncoding` to `WitnessEncoding` only for such a peer), where a
/// segregated-witness transaction is misread and refused for bytes left over; rust-bitcoin
/// reads either encoding.
fn btcd_reads(fact: &PayloadFact, pver: u32, witness: bool) -> Option<bool> {
    if !witness && matches!(fact.command.as_str(), "tx" | "block") {
        return None;
    }
    let within = match fact.command.as_str() {
        // Every count and size bound of btcd's `MsgTx` is above what a frame within `tx`'s
        // 4,000,000-byte limit can hold.
        "tx" | "verack" | "getaddr" | "mempool" | "sendheaders" | "feefilter" | "filterclear"
        | "sendaddrv2" | "getcfilters" | "getcfheaders" | "getcfcheckpt" => true,
        // btcd's `maxTxPerBlock` (`MaxBlockPayload / 10 + 1`) is above the transactions a
        // frame within `block`'s 4,000,000-byte limit can hold.
        "block" => true,
        // btcd reads a hash only in a reject of a `block` or `tx` (`MsgReject.BtcDecode`);
        // rust-bitcoin always reads one, which btcd leaves over in any other reject.
        "reject" => {
            pver >= REJECT_VERSION && matches!(fact.reject_of.as_deref(), Some("block" | "tx"))
        }
        "addr" => pver >= NET_ADDRESS_TIME_VERSION && fact.entries <= 1_000,
        "addrv2" => fact.entries <= 1_000,
        "inv" | "getdata" | "notfound" => fact.entries <= 50_000,
        "getblocks" => fact.entries <= 500,
        "filteradd" => fact.entries <= 520,
        "filterload" => fact.entries <= 36_000 && fact.hash_funcs <= 50,
        _ => return None,
    };
    Some(within && fact.whole)
}

/// What the node read on one connection.
#[derive(Debug, Clone, Default)]
struct NodeRead {
    host: String,
    facts: Vec<WireFact>,
    /// Set at the node's first dropped message: later reads are not compared.
    stopped: bool,
    /// The first dropped message, when the node's decoding refused its payload: the
    /// command and the error (under btcd as malformed: not for a version gate, an unknown
    /// command or the frame's size, which the profile rules judge).
    refused: Option<(String, DecodeError)>,
    /// The read stopped at a punishment for a list message's entries (carried out or, for a
    /// manual or NoBan peer, set aside).
    punished_for_entries: bool,
    /// The node reported the connection's end (its own disconnect or the peer's close).
    ended: bool,
}

/// The node's reads on every connection of a run, by node run and connection id.
#[derive(Debug, Default)]
pub struct NodeReads {
    conns: BTreeMap<(u32, u64), NodeRead>,
}

impl NodeReads {
    /// One node event of node run `run` (1 for the first process, 2 after a restart, ...).
    pub fn event(&mut self, run: u32, event: &Event) {
        match event {
            Event::Connected { peer, addr, .. } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                self.conns.insert(
                    (run, peer.0),
                    NodeRead {
                        host,
                        ..NodeRead::default()
                    },
                );
            }
            Event::Received { peer, message } => {
                if let Some(read) = self.conns.get_mut(&(run, peer.0)) {
                    if !read.stopped {
                        read.facts.push(fact_of(message));
                    }
                }
            }
            Event::Dropped { peer, reason } => {
                let (frame, punished) = match reason {
                    DropReason::Frame(error) => (Some(error), None),
                    DropReason::NoBanNotPunished(reason)
                    | DropReason::ManualNotPunished(reason) => (None, Some(reason)),
                    _ => (None, None),
                };
                self.stop(run, *peer, frame, punished.is_some_and(for_entries));
            }
            Event::PeerClosed { peer, .. } => {
                self.stop(run, *peer, None, false);
                self.end(run, *peer);
            }
            Event::Disconnected { peer, reason } => {
                let frame = match reason {
                    DisconnectReason::Frame(error) => Some(error),
                    _ => None,
                };
                self.stop(run, *peer, frame, for_entries(reason));
                self.end(run, *peer);
            }
            _ => {}
        }
    }

    /// The node reported the end of connection `peer` of node run `run`.
    fn end(&mut self, run: u32, peer: PeerId) {
        if let Some(read) = self.conns.get_mut(&(run, peer.0)) {
            read.ended = true;
        }
    }

    /// The first connection of the node's last run that its peer closed (a script's `close`)
    /// more than `slack_ms` before `end_ms` (ms since the start) without the node reporting
    /// its end: its label and when it was closed. A node that does not notice a close keeps
    /// a dead peer: its sync, its slot and its timers stay with it.
    pub fn unnoticed_close(
        &self,
        written: &[(String, WrittenStreams)],
        end_ms: u64,
        slack_ms: u64,
    ) -> Option<(String, String)> {
        let last_run = self.conns.keys().map(|(run, _)| *run).max()?;
        let mut used = BTreeMap::new();
        for ((run, id), read) in &self.conns {
            let Some((_, Some(stream))) = streams_of(read, written, &mut used) else {
                continue;
            };
            let Some(closed_ms) = stream.closed_at_ms else {
                continue;
            };
            if *run == last_run && !read.ended && closed_ms.saturating_add(slack_ms) < end_ms {
                return Some((
                    format!("{}#{id}", read.host),
                    format!(
                        "the peer closed the connection at {closed_ms} ms; the node never reported its end (run end {end_ms} ms)"
                    ),
                ));
            }
        }
        None
    }

    /// The node's first dropped message on connection `peer` of node run `run`, or the
    /// connection's end; `frame` the decoding error when a frame was refused, `punished`
    /// whether it was a punishment for a list message's entries.
    fn stop(&mut self, run: u32, peer: PeerId, frame: Option<&DecodeError>, punished: bool) {
        let Some(read) = self.conns.get_mut(&(run, peer.0)) else {
            return;
        };
        if read.stopped {
            return;
        }
        read.stopped = true;
        read.punished_for_entries = punished;
        read.refused = match frame {
            Some(DecodeError::BtcdPayload { command, error })
                if !matches!(
                    error,
                    BtcdReadError::TooOld { .. } | BtcdReadError::UnknownCommand { .. }
                ) =>
            {
                Some(command.clone())
            }
            Some(DecodeError::Undecodable { command, .. }) => Some(command.clone()),
            _ => None,
        }
        .zip(frame.cloned());
    }

    /// Under Core, the first connection on which the node read a list message over Core's
    /// limit ([`core_entries_max`]) without punishing the peer for it right then (its read
    /// ending there with the punishment, carried out or set aside): its label and the
    /// message. Part of `misbehaviour_counts_hold`; the count comes from what the peer wrote.
    pub fn unpunished_lists(
        &self,
        written: &[(String, WrittenStreams)],
    ) -> Option<(String, String)> {
        let mut used = BTreeMap::new();
        for ((_, id), read) in &self.conns {
            let Some((_, Some(stream))) = streams_of(read, written, &mut used) else {
                continue;
            };
            for (i, wrote) in stream.messages.iter().take(read.facts.len()).enumerate() {
                let WireFact::Payload(fact) = wrote else {
                    continue;
                };
                let Some(max) = core_entries_max(&fact.command) else {
                    continue;
                };
                let punished_here = read.punished_for_entries && i + 1 == read.facts.len();
                if fact.entries > max && !punished_here {
                    return Some((
                        format!("{}#{id}", read.host),
                        format!(
                            "message {i} on the connection, a {} of {} entries, over Core's {max}, was read without punishing the peer",
                            fact.command, fact.entries
                        ),
                    ));
                }
            }
        }
        None
    }

    /// Compares every connection with what its fake peer wrote (`written`: each fake peer's
    /// host and streams). `Err` names the first connection that read something else: its
    /// label (`host#id`) and what differed.
    pub fn compare(
        &self,
        written: &[(String, WrittenStreams)],
        btcd: bool,
    ) -> Result<(), (String, String)> {
        let mut used = BTreeMap::new();
        for ((_, id), read) in &self.conns {
            let Some((streams, stream)) = streams_of(read, written, &mut used) else {
                continue;
            };
            let Some(WireFact::Version { nonce, .. }) = read.facts.first() else {
                continue;
            };
            let label = format!("{}#{id}", read.host);
            let Some(stream) = stream else {
                // The nonce is the decoder's own reading: one that no connection of the host
                // wrote, where every stream of the host was read to its end, was misread.
                let written_anywhere = streams.iter().any(|s| {
                    s.messages
                        .iter()
                        .any(|m| matches!(m, WireFact::Version { nonce: n, .. } if n == nonce))
                });
                if !streams.is_empty() && !written_anywhere && streams.iter().all(|s| !s.broken) {
                    return Err((
                        label,
                        format!(
                            "the node read a version with nonce {nonce:#x}, which no connection of {} wrote",
                            read.host
                        ),
                    ));
                }
                continue;
            };
            let pver = btcd.then(|| match read.facts.first() {
                Some(WireFact::Version { version, .. }) => btcd_pver(Some(*version)),
                _ => btcd_pver(None),
            });
            let witness = matches!(read.facts.first(),
                Some(WireFact::Version { services, .. }) if services & NODE_WITNESS != 0);
            for (i, (wrote, got)) in stream.messages.iter().zip(&read.facts).enumerate() {
                if !read_as(wrote, got, pver) {
                    return Err((
                        label,
                        format!("message {i} on the connection: the peer wrote {wrote:?}, the node read {got:?}"),
                    ));
                }
            }
            // The message the node refused is the next one the peer wrote: under btcd one
            // rust-bitcoin read whole within btcd's bounds, under Core any rust-bitcoin read
            // (Core, as rust-bitcoin, ignores bytes after the fields) is never refused.
            if let (Some((command, error)), Some(WireFact::Payload(fact))) =
                (&read.refused, stream.messages.get(read.facts.len()))
            {
                let wrong = fact.command == *command
                    && match (pver, error) {
                        (Some(pver), DecodeError::BtcdPayload { .. }) => {
                            btcd_reads(fact, pver, witness) == Some(true)
                        }
                        (None, DecodeError::Undecodable { .. }) => true,
                        _ => false,
                    };
                if wrong {
                    return Err((
                        label,
                        format!(
                            "message {} on the connection: the node's decoding refused \
                             `{command}` ({error}), which rust-bitcoin read ({} entries, \
                             whole: {})",
                            read.facts.len(),
                            fact.entries,
                            fact.whole
                        ),
                    ));
                }
            }
            if read.facts.len() > stream.messages.len() && !stream.broken {
                return Err((
                    label,
                    format!(
                        "the node read {} messages, the peer wrote {}",
                        read.facts.len(),
                        stream.messages.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Per host and `version` nonce, how many of its connections were paired so far.
type Used<'r> = BTreeMap<(&'r str, u64), usize>;

/// The fake peer's streams of `read`'s host, and the one written for `read`: a nonce may open
/// several connections of one host (a script that borrows one), so the k-th node connection
/// with it pairs with the k-th stream, both in the order opened. `None` for a connection whose
/// first message read is not a `version`.
fn streams_of<'w, 'r>(
    read: &'r NodeRead,
    written: &'w [(String, WrittenStreams)],
    used: &mut Used<'r>,
) -> Option<(Vec<&'w WrittenStream>, Option<&'w WrittenStream>)> {
    let Some(WireFact::Version { nonce, .. }) = read.facts.first() else {
        return None;
    };
    let k = used.entry((read.host.as_str(), *nonce)).or_insert(0);
    let streams: Vec<&WrittenStream> = written
        .iter()
        .filter(|(host, _)| *host == read.host)
        .flat_map(|(_, streams)| streams.values())
        .collect();
    let stream = streams
        .iter()
        .filter(|s| matches!(s.messages.first(), Some(WireFact::Version { nonce: n, .. }) if n == nonce))
        .nth(*k)
        .copied();
    *k += 1;
    Some((streams, stream))
}

/// Whether `reason` punishes a list message's entries.
fn for_entries(reason: &DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TooManyAddresses { .. } | DisconnectReason::TooManyInventory { .. }
    )
}

/// Core's limit on the entries of a list message (`net_processing.cpp`: `MAX_ADDR_TO_SEND`
/// 1,000 for `addr` and `addrv2`, `MAX_INV_SZ` 50,000 for `inv` and `getdata`), written out
/// here; `None` for other commands.
fn core_entries_max(command: &str) -> Option<u64> {
    match command {
        "addr" | "addrv2" => Some(1_000),
        "inv" | "getdata" => Some(50_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::fake_peer::WrittenStream;
    use bitcoin::p2p::message::NetworkMessage;
    use node::protocol::peer::Direction;
    use node::protocol::ConnectionType;

    /// `NODE_NETWORK` and `NODE_WITNESS`: btcd reads transactions in the witness encoding.
    const SERVICES: u64 = 1 | NODE_WITNESS;

    fn version(nonce: u64) -> WireFact {
        WireFact::Version {
            version: 70016,
            services: SERVICES,
            start_height: 0,
            nonce,
            user_agent: String::new(),
        }
    }

    /// The node's reads of one connection with `p` whose first message had `nonce`.
    fn reads(nonce: u64) -> NodeReads {
        let mut reads = NodeReads::default();
        reads.event(
            1,
            &Event::Connected {
                peer: PeerId(1),
                addr: "p:8333".into(),
                direction: Direction::Inbound,
                connection: ConnectionType::Inbound,
            },
        );
        reads.event(
            1,
            &Event::Received {
                peer: PeerId(1),
                message: MessageSummary::Version {
                    version: 70016,
                    services: SERVICES,
                    start_height: 0,
                    nonce,
                    user_agent: String::new(),
                },
            },
        );
        reads
    }

    fn written(first: WireFact, broken: bool) -> Vec<(String, WrittenStreams)> {
        let mut stream = WrittenStream::default();
        stream.messages.push(first);
        stream.broken = broken;
        vec![("p".to_string(), BTreeMap::from([(1, stream)]))]
    }

    #[test]
    fn a_version_nonce_no_stream_wrote_is_a_misreading_unless_a_stream_broke() {
        assert!(reads(7).compare(&written(version(7), false), false).is_ok());
        let misread = reads(1).compare(&written(version(7), false), false);
        assert!(
            misread.as_ref().is_err_and(|(peer, _)| peer == "p#1"),
            "{misread:?}"
        );
        // A stream rust-bitcoin could not read to its end may hold the version.
        assert!(reads(1).compare(&written(version(7), true), false).is_ok());
        // A nonce written later in a stream (after an early message) is no misreading.
        let mut late = written(WireFact::Ping(3), false);
        late[0]
            .1
            .get_mut(&1)
            .expect("stream 1")
            .messages
            .push(version(1));
        assert!(reads(1).compare(&late, false).is_ok());
    }

    /// A one-input segwit `tx` as rust-bitcoin reads it back from a frame of its own length
    /// plus `extra_bytes`.
    fn tx_fact(extra_bytes: usize) -> WireFact {
        use bitcoin::{absolute, transaction, OutPoint, ScriptBuf, Sequence, TxIn, Witness};
        let tx = NetworkMessage::Tx(bitcoin::Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&[vec![1u8; 8]]),
            }],
            output: Vec::new(),
        });
        let length = bitcoin::consensus::serialize(&tx).len();
        WireFact::of(&tx, length + extra_bytes)
    }

    fn refused(error: BtcdReadError) -> NodeReads {
        let mut reads = reads(7);
        reads.event(
            1,
            &Event::Disconnected {
                peer: PeerId(1),
                reason: DisconnectReason::Frame(DecodeError::BtcdPayload {
                    command: "tx".into(),
                    error,
                }),
            },
        );
        reads
    }

    #[test]
    fn under_btcd_a_message_read_whole_within_btcd_bounds_is_never_refused_as_malformed() {
        let written = |tx: WireFact| {
            let mut streams = written(version(7), false);
            streams[0]
                .1
                .get_mut(&1)
                .expect("stream 1")
                .messages
                .push(tx);
            streams
        };
        let malformed = || BtcdReadError::MessageError("witness tx but flag byte is 01".into());
        let breach = refused(malformed()).compare(&written(tx_fact(0)), true);
        assert!(
            breach.as_ref().is_err_and(|(peer, _)| peer == "p#1"),
            "{breach:?}"
        );
        // Under Core the rule does not apply; a version gate and an unknown command are
        // other rules'; bytes left over are btcd's to refuse.
        assert!(refused(malformed())
            .compare(&written(tx_fact(0)), false)
            .is_ok());
        let too_old = BtcdReadError::TooOld {
            command: "tx".into(),
            pver: 209,
        };
        assert!(refused(too_old).compare(&written(tx_fact(0)), true).is_ok());
        let left = BtcdReadError::BytesLeft {
            payload_bytes: 100,
            left_bytes: 1,
        };
        assert!(refused(left).compare(&written(tx_fact(1)), true).is_ok());
    }

    #[test]
    fn a_decoded_message_is_compared_by_digest_and_btcd_keeps_an_addrv2_without_what_it_skips() {
        use bitcoin::p2p::address::{AddrV2, AddrV2Message};
        use bitcoin::p2p::ServiceFlags;
        let entry = |addr| AddrV2Message {
            time: 1,
            services: ServiceFlags::NETWORK,
            addr,
            port: 8333,
        };
        let ipv4 = entry(AddrV2::Ipv4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
        let i2p = entry(AddrV2::I2p([3; 32]));
        let wrote = WireFact::of(&NetworkMessage::AddrV2(vec![ipv4.clone(), i2p.clone()]), 0);
        let got = |entries| {
            let message = NetworkMessage::AddrV2(entries);
            fact_of(&MessageSummary::Other {
                command: message.command(),
                payload_digest: node::protocol::events::payload_digest(&message),
            })
        };
        let all = got(vec![ipv4.clone(), i2p]);
        let without_i2p = got(vec![ipv4.clone()]);
        assert!(read_as(&wrote, &all, None));
        assert!(!read_as(&wrote, &without_i2p, None));
        assert!(read_as(&wrote, &without_i2p, Some(70016)));
        assert!(!read_as(&wrote, &all, Some(70016)));
        // An entry lost is a misreading under either profile.
        assert!(!read_as(&wrote, &got(Vec::new()), Some(70016)));
        // Below NetAddressTimeVersion btcd reads `addr` otherwise: compared by command only.
        let addr = WireFact::of(&NetworkMessage::Addr(Vec::new()), 1);
        let other_addr = got_addr(vec![(1, ipv4_address())]);
        assert!(read_as(&addr, &other_addr, Some(209)));
        assert!(!read_as(&addr, &other_addr, Some(70016)));
        // At BIP0031Version and below btcd reads a ping without its nonce; above, with it.
        let ping = WireFact::Ping(7);
        assert!(read_as(&ping, &WireFact::Ping(0), Some(60_000)));
        assert!(!read_as(&ping, &ping, Some(60_000)));
        assert!(read_as(&ping, &ping, Some(60_001)));
        assert!(!read_as(&ping, &WireFact::Ping(0), Some(60_001)));
        assert!(read_as(&ping, &ping, None));
    }

    fn ipv4_address() -> bitcoin::p2p::Address {
        let socket = std::net::SocketAddr::from(([10, 0, 0, 1], 8333));
        bitcoin::p2p::Address::new(&socket, bitcoin::p2p::ServiceFlags::NETWORK)
    }

    fn got_addr(entries: Vec<(u32, bitcoin::p2p::Address)>) -> WireFact {
        let message = NetworkMessage::Addr(entries);
        fact_of(&MessageSummary::Other {
            command: message.command(),
            payload_digest: node::protocol::events::payload_digest(&message),
        })
    }

    #[test]
    fn under_core_a_list_over_its_limit_is_punished_as_it_is_read() {
        // The peer wrote its version, then an addr of `entries` entries; the node read both.
        let wrote = |entries: u64| {
            let mut streams = written(version(7), false);
            let fact = PayloadFact {
                command: "addr".into(),
                digest: 1,
                btcd_digest: 1,
                whole: true,
                entries,
                hash_funcs: 0,
                reject_of: None,
            };
            let stream = streams[0].1.get_mut(&1).expect("stream 1");
            stream.messages.push(WireFact::Payload(fact));
            streams
        };
        let read = |then: Option<DisconnectReason>| {
            let mut reads = reads(7);
            let message = MessageSummary::Other {
                command: bitcoin::p2p::message::CommandString::try_from_static("addr")
                    .expect("a command"),
                payload_digest: 1,
            };
            reads.event(
                1,
                &Event::Received {
                    peer: PeerId(1),
                    message,
                },
            );
            if let Some(reason) = then {
                reads.event(
                    1,
                    &Event::Disconnected {
                        peer: PeerId(1),
                        reason,
                    },
                );
            }
            reads
        };
        let punished = || DisconnectReason::TooManyAddresses {
            command: "addr",
            count: 1_001,
        };
        assert!(read(Some(punished()))
            .unpunished_lists(&wrote(1_001))
            .is_none());
        assert!(read(None).unpunished_lists(&wrote(1_001)).is_some());
        let other = DisconnectReason::DuplicateVersion;
        assert!(read(Some(other)).unpunished_lists(&wrote(1_001)).is_some());
        // At the limit nothing is owed.
        assert!(read(None).unpunished_lists(&wrote(1_000)).is_none());
    }

    #[test]
    fn a_close_by_the_peer_is_reported_by_the_node_within_the_slack() {
        let mut closed = written(version(7), false);
        closed[0].1.get_mut(&1).expect("stream 1").closed_at_ms = Some(1_000);
        // Not reported: a breach once the run went on past the slack.
        assert!(reads(7).unnoticed_close(&closed, 40_000, 30_000).is_some());
        assert!(reads(7).unnoticed_close(&closed, 20_000, 30_000).is_none());
        // Reported, or never closed by the peer: nothing owed.
        let mut ended = reads(7);
        let close = Event::PeerClosed {
            peer: PeerId(1),
            error: None,
        };
        ended.event(1, &close);
        assert!(ended.unnoticed_close(&closed, 40_000, 30_000).is_none());
        assert!(reads(7)
            .unnoticed_close(&written(version(7), false), 40_000, 30_000)
            .is_none());
    }

    #[test]
    fn btcd_reads_a_rejects_hash_only_for_a_block_or_tx() {
        use bitcoin::hashes::Hash as _;
        use bitcoin::p2p::message_network::{Reject, RejectReason};
        let fact = |message: &'static str| {
            let reject = NetworkMessage::Reject(Reject {
                message: message.into(),
                ccode: RejectReason::Invalid,
                reason: "high-hash".into(),
                hash: bitcoin::hashes::sha256d::Hash::from_byte_array([7; 32]),
            });
            let length = bitcoin::consensus::serialize(&reject).len();
            match WireFact::of(&reject, length) {
                WireFact::Payload(fact) => fact,
                other => panic!("a reject is a payload fact, not {other:?}"),
            }
        };
        let block = fact("block");
        assert_eq!(btcd_reads(&block, 70_016, true), Some(true));
        // A tx or block from a peer without NODE_WITNESS: btcd reads the base encoding, which
        // the rule does not model.
        let WireFact::Payload(tx) = tx_fact(0) else {
            panic!("a tx is a payload fact");
        };
        assert_eq!(btcd_reads(&tx, 70_016, true), Some(true));
        assert_eq!(btcd_reads(&tx, 70_016, false), None);
        assert_eq!(block.btcd_digest, block.digest);
        // Below RejectVersion btcd refuses it as too new; another command's hash is left over.
        assert_eq!(btcd_reads(&block, 70_001, true), Some(false));
        let headers = fact("headers");
        assert_eq!(btcd_reads(&headers, 70_016, true), Some(false));
        assert_ne!(headers.btcd_digest, headers.digest);
    }
}

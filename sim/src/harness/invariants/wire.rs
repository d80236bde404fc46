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
//! The comparison stops where either account stops: at the node's first dropped message on
//! the connection (a frame it refused or a message it set aside), and at the first bytes rust-bitcoin does not read as a frame
//! (garbage, a broken frame, a faulted write). The node reading fewer messages than were
//! written is fine (it closed the connection, or the run ended); reading a different one, or
//! more than a readable stream held, is not.

use std::collections::BTreeMap;

use node::protocol::events::MessageSummary;
use node::Event;

use crate::peers::fake_peer::{WireFact, WrittenStreams};

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
        other => WireFact::Command(other.command().to_string()),
    }
}

/// What the node read on one connection.
#[derive(Debug, Clone, Default)]
struct NodeRead {
    host: String,
    facts: Vec<WireFact>,
    /// Set at the node's first dropped message: later reads are not compared.
    stopped: bool,
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
            Event::Dropped { peer, .. } => {
                if let Some(read) = self.conns.get_mut(&(run, peer.0)) {
                    read.stopped = true;
                }
            }
            _ => {}
        }
    }

    /// Compares every connection with what its fake peer wrote (`written`: each fake peer's
    /// host and streams). `Err` names the first connection that read something else: its
    /// label (`host#id`) and what differed.
    pub fn compare(&self, written: &[(String, WrittenStreams)]) -> Result<(), (String, String)> {
        // A nonce may open several connections of one host (a script that borrows one): the
        // k-th node connection with it pairs with the k-th stream, both in the order opened.
        let mut used: BTreeMap<(&str, u64), usize> = BTreeMap::new();
        for ((_, id), read) in &self.conns {
            let Some(WireFact::Version { nonce, .. }) = read.facts.first() else {
                continue;
            };
            let k = used.entry((read.host.as_str(), *nonce)).or_insert(0);
            let streams: Vec<_> = written
                .iter()
                .filter(|(host, _)| *host == read.host)
                .flat_map(|(_, streams)| streams.values())
                .collect();
            let stream = streams
                .iter()
                .filter(|s| matches!(s.messages.first(), Some(WireFact::Version { nonce: n, .. }) if n == nonce))
                .nth(*k);
            *k += 1;
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
            for (i, (wrote, got)) in stream.messages.iter().zip(&read.facts).enumerate() {
                if wrote != got {
                    return Err((
                        label,
                        format!("message {i} on the connection: the peer wrote {wrote:?}, the node read {got:?}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::fake_peer::WrittenStream;
    use node::protocol::peer::Direction;
    use node::protocol::ConnectionType;
    use node::PeerId;

    fn version(nonce: u64) -> WireFact {
        WireFact::Version {
            version: 70016,
            services: 1,
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
                    services: 1,
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
        assert!(reads(7).compare(&written(version(7), false)).is_ok());
        let misread = reads(1).compare(&written(version(7), false));
        assert!(
            misread.as_ref().is_err_and(|(peer, _)| peer == "p#1"),
            "{misread:?}"
        );
        // A stream rust-bitcoin could not read to its end may hold the version.
        assert!(reads(1).compare(&written(version(7), true)).is_ok());
        // A nonce written later in a stream (after an early message) is no misreading.
        let mut late = written(WireFact::Ping(3), false);
        late[0]
            .1
            .get_mut(&1)
            .expect("stream 1")
            .messages
            .push(version(1));
        assert!(reads(1).compare(&late).is_ok());
    }
}

//! The node's protocol logic as a sans-IO state machine.
//!
//! [`Node`] never touches a socket, a clock or the disk. The runtime feeds it inputs through
//! `handle_*` calls that carry the current time in milliseconds, drains what it wants done with
//! [`Node::poll_output`], and wakes it at [`Node::poll_timeout`]. Calling contract (after
//! quinn-proto's `Connection`):
//!
//! 1. After every `handle_*` call, drain [`Node::poll_output`] until it returns `None` and
//!    execute each [`Output`] in order (a `Disconnect` comes after the messages to write first).
//! 2. Call [`Node::handle_tick`] once the time returned by [`Node::poll_timeout`] is reached.
//! 3. Report every connection end the node did not ask for with
//!    [`Node::handle_disconnected`]; ends it asked for need no report.
//! 4. Time never goes backwards: every input (each `handle_*` call, [`Node::ban`],
//!    [`Node::shutdown`]) carries a time at least that of the previous input and of the
//!    constructor; an earlier one panics, naming both times.
//!
//! Peer handling follows the configured [`Profile`](crate::config::Profile): btcd (B26:
//! `peer/peer.go`, `netsync/manager.go`, `connmgr/connmanager.go`) or Bitcoin Core (`net.cpp`,
//! `net_processing.cpp`), row by row of `shared/reference/p2p-behaviour.md` section 4. The
//! header rules are Core's in both ([`header_chain`]); the order differs: Core checks the
//! proof of work and continuity of a whole message before storing any of it, btcd checks
//! header by header and keeps the prefix before a failure.
//!
//! | topic | btcd | Core |
//! |---|---|---|
//! | handshake | 30 s; a non-`version` first message, a known message before `verack` or a duplicate `version`/`verack` disconnect, with `reject` where encodable | 60 s; all of those are ignored |
//! | liveness | idle 5 min; a ping every 2 min by ticker | nothing received or sent for 20 min; first ping at the handshake, the next 2 min after the pong; a ping unanswered 20 min disconnects |
//! | `getheaders` deadline | `headers` due 90 s after the request, checked every 15 s | none per request; the initial sync must finish within 15 min + 1 ms per expected header when another outbound peer exists |
//! | next batch | while our best header is below the sync peer's advertised height, locator `[best]` (the full locator from the batch's last header when that ended off our best chain) | iff the batch held 2000, full locator from its last header |
//! | sync peer | random among peers advertising more than our best header; 3 min without progress replaces it | the first outbound peer to finish the handshake, whatever it advertises |
//! | bad headers | disconnect; unconnecting headers too; `time-too-new` too | disconnect and discourage (a manual peer is kept, a loopback one not discouraged); unconnecting headers get a `getheaders`; `time-too-new` is not punished |
//! | bad frames | read as btcd v0.26 does (`docs/btcd-wire.md`): a `MessageError` or a payload cut inside a field gets `reject(malformed)` and a disconnect, one ending where a field starts a disconnect alone; unknown commands are skipped | read as Core does (`wire::core_read`): a bad checksum, invalid command bytes or an unreadable payload are dropped and the peer kept |
//! | reconnect | `n × 5 s` up to 5 min | every 60 s; automatic connections skip discouraged addresses |
//! | lagging outbound peers | kept | `ConsiderEviction` (automatic peers only): a best known header below our tip's work for 20 min, then one `getheaders` and 2 min, disconnects; the first 4 automatic peers to show our tip's work are protected |
//! | low-work chains | stored | below max(tip − 144 blocks, minimum chain work): a short message is ignored, a full one starts PRESYNC/REDOWNLOAD ([`headers_presync`]); nothing stored until the work is proven |
//! | automatic outbound | failed dials replaced at once, after 25 in a row every 5 s | one attempt at a time, 500 ms apart |
//! | manual peers ([`ConnectionType::Manual`]: `connect`) | treated as any outbound peer | services not required, never evicted for a lagging chain or too little work, misbehaviour not punished (`MaybeDiscourageAndDisconnect`) |
//! | manual bans | in memory; a banned peer is dropped when its handshake is done | persisted; a banned inbound peer is dropped at accept |
//!
//! # Files
//!
//! [`Node`] is one struct whose methods live in several files, one job each: `node.rs` (the
//! state, the `handle_*`/`poll_*` contract, sending, disconnecting, dialling, bans),
//! `handshake.rs`, `messages.rs` (the steps both profiles share), `btcd.rs` (btcd's timers,
//! its answer to read errors, `headers` handling and sync-peer choice) and `core/` (Core's
//! inactivity and ping checks, sync-peer choice, headers-sync timeout, `headers` handling with
//! the low-work headers sync, and the chain-sync eviction). [`Output`] is in `output.rs`, a
//! leaf that imports none of them.

mod btcd;
pub mod connection_manager;
pub mod connection_type;
mod core;
pub mod disconnect;
pub mod events;
mod handshake;
pub mod header_chain;
pub mod headers_presync;
pub mod ids;
mod messages;
mod node;
mod output;
pub mod peer;
pub mod sync_manager;
pub mod time;

#[cfg(test)]
mod tests;

pub use connection_manager::{Ban, TargetKind};
pub use connection_type::ConnectionType;
pub use disconnect::{DisconnectKind, DisconnectReason};
pub use events::{ChainSyncStep, DropReason, Event, HeadersSyncStep, MessageSummary};
pub use ids::{PeerId, TargetId};
pub use node::{Node, StateSizes};
pub use output::Output;
pub use peer::{Direction, HandshakeState};

//! A Bitcoin header-sync node whose protocol logic runs unchanged on real TCP and inside a
//! deterministic simulator.
//!
//! # Module map
//!
//! | module | kind | holds |
//! |---|---|---|
//! | [`wire`] | sans-IO | 24-byte framing, the 4,000,000-byte payload limit, checksums, and the only import of `bitcoin::p2p`; how btcd ([`wire::btcd_read`], [`wire::btcd_payload`]) and Core ([`wire::core_read`]) read frames and payloads |
//! | [`protocol`] | sans-IO | the [`protocol::Node`] state machine: `handle_*` inputs carrying the time, `poll_*` outputs |
//! | `protocol::{node, handshake, messages}` (private) | sans-IO | [`protocol::Node`]'s state and calling contract, the handshake steps, and the message handling both profiles share |
//! | `protocol::btcd` (private) | sans-IO | btcd's timers, stall checks, answer to read errors, `headers` handling and sync-peer choice (`peer.go`, `netsync/manager.go`) |
//! | `protocol::core` (private) | sans-IO | Bitcoin Core's inactivity and ping checks, sync-peer choice, headers-sync timeout, `headers` handling with the low-work headers sync, chain-sync eviction (`net_processing.cpp`) |
//! | [`protocol::events`] | data | [`Event`] and the typed facts it carries (a [`protocol::MessageSummary`] per message, drop reasons, low-work and chain-sync steps); [`Event::render`] is the one rendering |
//! | [`protocol::disconnect`] | data | [`DisconnectReason`], typed, with its rendering |
//! | [`protocol::peer`] | sans-IO | handshake, BIP 31 ping/pong, idle timer, btcd stall deadlines, Core's per-peer sync state |
//! | [`protocol::ids`] | data | [`PeerId`] and [`protocol::TargetId`], the identifiers the protocol modules share |
//! | [`protocol::time`] | sans-IO | milliseconds on the node's clock ([`protocol::time::ms`] converts a setting's `Duration`) |
//! | [`protocol::sync_manager`] | sans-IO | sync-peer choice and switching, progress sampling |
//! | [`protocol::connection_manager`] | sans-IO | permanent outbound targets and their retry backoff, once targets, automatic outbound connections (btcd `failedAttempts`, Core one attempt per 500 ms), the [`protocol::Ban`] record |
//! | [`protocol::connection_type`] | data | [`protocol::ConnectionType`]: Core's inbound, manual and outbound-full-relay connection types and the predicates the Core profile's rules test |
//! | [`protocol::header_chain`] | sans-IO | header checks, chainwork, best chain, reorgs, locators |
//! | [`protocol::headers_presync`] | sans-IO | Bitcoin Core's low-work headers sync: PRESYNC with salted commitments, REDOWNLOAD, release to validation |
//! | [`store`] | synchronous | SQLite header store: migrations, one transaction per chain update, linkage check on load; the Core profile's manual bans |
//! | [`deliberate_bugs`] | data | test-only deliberate bugs (feature `deliberate-bugs`), at most one per node ([`Config::deliberate_bug()`], handed to the parts that check it), to measure what `sim explore` finds |
//! | [`config`] | data | node settings, the btcd/Core [`config::Profile`] and every timing constant with its sources |
//! | `pow` (crate-private) | sans-IO | the target of a header's compact `bits` (Core `DeriveTarget`), shared by the header rules and the trusted start's check; imports nothing from the crate |
//! | [`trusted_start`] | data | a trusted starting header (height, header, period-first time and bits, chainwork) to sync from mid-chain, its JSON form and its derivation from retarget boundaries |
//! | [`runtime`] | tokio | the only async code: core task, `in_handler`/`out_handler` per peer, listener, dialer, operator [`runtime::Command`]s, generic over [`runtime::Network`] |
//!
//! The same compiled code runs in the `node` binary (real TCP through [`runtime::TcpNetwork`])
//! and in the `sim` crate (turmoil's simulated TCP). Time enters only through
//! [`runtime::Clock`] and randomness only through one seeded `ChaCha8Rng`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod deliberate_bugs;
mod pow;
pub mod protocol;
pub mod runtime;
pub mod store;
#[cfg(test)]
mod test_data;
pub mod trusted_start;
pub mod wire;

pub use config::{Config, Profile, Timing};
pub use protocol::{DisconnectReason, Event, Node, Output, PeerId};

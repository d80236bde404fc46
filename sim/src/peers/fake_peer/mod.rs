//! Scripted fake peers imitating btcd or Bitcoin Core.
//!
//! A fake peer serves a chain fixture like a real node of its [`Profile`](node::Profile) would:
//!
//! | | btcd | Core |
//! |---|---|---|
//! | handshake reply to `version` | `sendaddrv2` (both at 70016), `verack` | `wtxidrelay`, `sendaddrv2` (both at 70016), `verack` |
//! | after `verack` | nothing | `sendcmpct(0, 2)`, then a `ping` at once |
//! | its pings | every 2 min by ticker (`pingHandler`) | 2 min after the previous one, once it was answered (`MaybeSendPing`) |
//! | `getheaders` with an empty locator and an unknown `hash_stop` | empty `headers` (`locateInventory`) | no reply |
//! | locator limit | 500 hashes (`MaxBlockLocatorsPerMsg`) | 101 (`MAX_LOCATOR_SZ`); more closes the connection |
//! | user agent | `/btcwire:0.5.0/btcd:0.26.0/` | `/Satoshi:28.1.0/` |
//!
//! Both pong every ping and answer `getheaders` with up to 2000 headers after the first locator
//! hash they know, through `hash_stop`. A real Core peer would also send `feefilter`, `getaddr` and
//! its own `getheaders`; the fake one does not, so the node's replies do not blur what a scenario
//! counts. A [`Behaviour`](crate::scenario::Behaviour) makes a peer misbehave in one scripted way,
//! or a [`Step`](crate::scenario::Step) list scripts it message by message.
//!
//! | file | holds |
//! |---|---|
//! | `peer.rs` | [`FakePeer`]: identity, chain, settings, clocks, the `headers` it answers |
//! | `serve.rs` | [`accept_loop`], [`dial_loop`], [`serve`]: a connection from its first byte, the handshake, the presets before the main loop |
//! | `honest.rs` | the main loop after the handshake (pings, pongs, `headers`, `inv`) and the presets that spoil an answer |
//! | `script.rs` | scripted peers, step by step |
//! | `conn.rs` | one connection's frames, the peer's message faults applied on send |
//! | `node_versions.rs` | [`NodeVersions`]: the node's `version` nonces as every peer read them |
//! | `craft.rs` | crafted headers and spoiled proof of work |
//! | `written.rs` | [`WrittenStream`]: each connection's writes read back by rust-bitcoin ([`WireFact`]) |
//!
//! The peer is written against the node's [`Network`](node::runtime::Network) trait and plain tokio I/O traits, so the
//! same code serves the node inside turmoil and over real loopback TCP.

mod conn;
mod craft;
mod honest;
mod node_versions;
mod peer;
mod script;
mod serve;
mod written;

pub use honest::{BTCD_LOCATOR_HASHES_MAX, CORE_LOCATOR_HASHES_MAX, PING_INTERVAL};
pub use node_versions::NodeVersions;
pub use peer::{
    turmoil_clock_s, wall_clock_s, FakePeer, FakePeerSettings, GetHeadersSeen, PingSent, WireChunk,
    LISTEN_PORT,
};
pub use serve::{accept_loop, dial_loop, listen_loop, serve};
pub use written::{PayloadFact, WireFact, WrittenStream, WrittenStreams};

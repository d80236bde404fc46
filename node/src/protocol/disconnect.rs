//! Why the node closes a connection: [`DisconnectReason`], a typed value carried by every
//! disconnect (not an error), and its one rendering for the trace and the logs.

use std::fmt;

use crate::config::USER_AGENT_BYTES_MAX;
use crate::protocol::header_chain::HeaderError;
use crate::wire::{self, DecodeError};

/// Why the node closed a connection. Not an error: every disconnect carries one, and the trace
/// records it. [`DisconnectKind`] is its variant without the details (`kebab-case` names,
/// every kind listed by `DisconnectKind::iter()`).
#[derive(Debug, Clone, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(DisconnectKind),
    derive(PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "kebab-case"),
    doc = "The kind of a [`DisconnectReason`]: its variant without the details."
)]
pub enum DisconnectReason {
    /// Version/verack negotiation did not finish in time (btcd `negotiateTimeout`).
    HandshakeTimeout {
        /// The limit that passed, in milliseconds.
        timeout_ms: u64,
    },
    /// The first message was not `version` (btcd `readRemoteVersionMsg`).
    FirstMessageNotVersion {
        /// What came instead.
        command: String,
    },
    /// The peer's protocol version is below the minimum we accept (btcd 209, Core 31800).
    ObsoleteVersion {
        /// Its version.
        version: u32,
        /// The profile's minimum.
        min: u32,
    },
    /// The `version` carried a nonce we sent ourselves: we dialled ourselves.
    SelfConnection {
        /// The nonce.
        nonce: u64,
    },
    /// The `version` user agent is longer than btcd's `MaxUserAgentLen` (256 bytes,
    /// `wire/msgversion.go`; Core `MAX_SUBVERSION_LENGTH`).
    UserAgentTooLong {
        /// Its length in bytes.
        length_bytes: usize,
    },
    /// An outbound peer lacks the services we need: `NODE_NETWORK` under btcd (`server.go`
    /// `OnVersion`), `NODE_NETWORK|NODE_WITNESS` (or `NODE_NETWORK_LIMITED|NODE_WITNESS` near
    /// the tip) under Core (`HasAllDesirableServiceFlags`).
    MissingServices {
        /// The service bits it advertised.
        services: u64,
        /// The bits we needed.
        expected: u64,
    },
    /// btcd: the first message has a command btcd does not know (`readRemoteVersionMsg` returns
    /// `ErrUnknownMessage`, which ends the negotiation without a reject).
    UnknownBeforeVersion {
        /// Its command.
        command: String,
    },
    /// A message btcd knows, other than `verack` and `sendaddrv2`, arrived before `verack`
    /// (btcd `waitToFinishNegotiation`, `ErrInvalidHandshake`).
    UnexpectedBeforeVerack {
        /// Its command.
        command: String,
    },
    /// A second `version`.
    DuplicateVersion,
    /// A second `verack`.
    DuplicateVerack,
    /// `sendaddrv2` after the handshake.
    SendAddrV2AfterHandshake,
    /// `wtxidrelay` after the handshake (Core only; btcd ignores it).
    WtxidRelayAfterHandshake,
    /// Core `InactivityCheck`: the connection is older than the handshake timeout and nothing
    /// was ever received from the peer, or nothing ever sent to it.
    NoMessageAtStart {
        /// The handshake timeout, in milliseconds.
        timeout_ms: u64,
        /// Nothing was ever received.
        never_received: bool,
        /// Nothing was ever sent.
        never_sent: bool,
    },
    /// Core `InactivityCheck`: nothing sent to the peer for longer than the idle timeout.
    SendTimeout {
        /// The limit that passed, in milliseconds.
        timeout_ms: u64,
    },
    /// Core `InactivityCheck`: nothing received from the peer for longer than the idle timeout.
    ReceiveTimeout {
        /// The limit that passed, in milliseconds.
        timeout_ms: u64,
    },
    /// Core `MaybeSendPing`: our ping went unanswered for longer than the ping timeout.
    PingTimeout {
        /// How long ago the ping was sent, in milliseconds.
        waited_ms: u64,
    },
    /// Core: the initial header sync with this peer passed its deadline while another
    /// preferred peer was available ("Timeout downloading headers").
    HeadersSyncTimeout {
        /// How long ago the sync started, in milliseconds.
        waited_ms: u64,
    },
    /// Nothing received for the idle timeout (btcd `idleTimeout`).
    Idle {
        /// The limit that passed, in milliseconds.
        timeout_ms: u64,
    },
    /// A `getheaders` went unanswered past its deadline (btcd `stallHandler`).
    Stalled {
        /// The response the peer owed.
        command: &'static str,
        /// How long ago the request was sent, in milliseconds.
        waited_ms: u64,
    },
    /// The sync peer made no progress for longer than `sync_stall_max` while advertising more
    /// than we have (btcd `handleStallSample`).
    SyncStalled {
        /// The height it advertised.
        advertised_height: i32,
        /// Our best header height.
        best_height: u32,
    },
    /// A frame could not be read (wrong magic, oversized, bad checksum, undecodable).
    Frame(DecodeError),
    /// A `headers` message with more than 2000 entries.
    TooManyHeaders {
        /// How many it had.
        count: usize,
    },
    /// A header failed validation.
    InvalidHeader(HeaderError),
    /// btcd `server.go` `OnFeeFilter`: a `feefilter` rate below 0 or above 21 million BTC.
    InvalidFeeFilter {
        /// The rate it carried, in satoshis per kvB.
        fee_rate: i64,
    },
    /// Core: an `inv` or `getdata` with more than `MAX_INV_SZ` (50,000) entries
    /// (`ProcessMessage`, `Misbehaving` "inv message size").
    TooManyInventory {
        /// `inv` or `getdata`.
        command: &'static str,
        /// How many entries it had.
        count: usize,
    },
    /// Core: an `addr` or `addrv2` with more than `MAX_ADDR_TO_SEND` (1,000) entries
    /// (`ProcessAddrs`, `Misbehaving` "addr message size").
    TooManyAddresses {
        /// `addr` or `addrv2`.
        command: &'static str,
        /// How many entries it had.
        count: usize,
    },
    /// Core: a bloom-filter message (`filterload`, `filteradd`, `filterclear`) or `mempool`
    /// while we do not offer `NODE_BLOOM` (`ProcessMessage`: "filterload received despite not
    /// offering bloom services", "mempool request with bloom filters disabled").
    NoBloomService {
        /// The command.
        command: &'static str,
    },
    /// Core: a compact-filter request (`getcfilters`, `getcfheaders`, `getcfcheckpt`) while
    /// we do not offer `NODE_COMPACT_FILTERS` (`PrepareBlockFilterRequest`: "peer requested
    /// unsupported block filter type").
    NoCompactFilters {
        /// The command.
        command: &'static str,
    },
    /// A `getheaders` with more locator hashes than the profile allows (btcd
    /// `MaxBlockLocatorsPerMsg` 500, Core `MAX_LOCATOR_SZ` 101).
    TooManyLocatorHashes {
        /// How many it had.
        count: usize,
        /// The profile's maximum.
        max: usize,
    },
    /// Core `ConsiderEviction`: an outbound peer's best known header stayed below the work of
    /// our tip through the chain-sync timeout and the `getheaders` that followed it.
    OldChain {
        /// Height of its best known header, if any.
        best_known_height: Option<u32>,
    },
    /// Core `UpdatePeerStateForReceivedHeaders`: during initial sync an outbound peer's whole
    /// headers chain has less work than the minimum chain work.
    InsufficientWork {
        /// Height of its best known header.
        best_known_height: u32,
    },
    /// Inbound connections are at `inbound_max`.
    TooManyInbound,
    /// The peer's host was just banned ([`Node::ban`](crate::Node::ban); Core `setban`
    /// disconnects it with `DisconnectNode`, btcd `BanPeer` with the peer).
    Banned {
        /// The ban's length, in seconds.
        duration_s: u64,
    },
    /// Core: an inbound connection from a banned host is dropped before anything is read
    /// (`CConnman::CreateNodeFromAcceptedSocket`).
    InboundBanned {
        /// The host.
        host: String,
    },
    /// btcd: a peer of a banned host is disconnected once its handshake is done
    /// (`server.go` `handleAddPeerMsg`, called from `OnVerAck`).
    StillBanned {
        /// The host.
        host: String,
        /// Seconds left of the ban.
        remaining_s: u64,
    },
    /// The peer's outbound queue was full (it does not read what we send).
    OutboundQueueFull,
    /// The node is shutting down.
    Shutdown,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::HandshakeTimeout { timeout_ms } => {
                write!(f, "handshake not finished within {timeout_ms} ms")
            }
            DisconnectReason::FirstMessageNotVersion { command } => {
                write!(f, "first message was `{command}`: a version message must precede all others")
            }
            DisconnectReason::ObsoleteVersion { version, min } => {
                write!(f, "using obsolete version {version} (minimum {min})")
            }
            DisconnectReason::SelfConnection { nonce } => {
                write!(f, "connected to self (version nonce {nonce:#018x} is ours)")
            }
            DisconnectReason::UserAgentTooLong { length_bytes } => {
                write!(f, "user agent of {length_bytes} bytes exceeds {USER_AGENT_BYTES_MAX}")
            }
            DisconnectReason::MissingServices { services, expected } => write!(
                f,
                "outbound peer does not offer the expected services ({services:#x} offered, {expected:#x} expected)"
            ),
            DisconnectReason::UnknownBeforeVersion { command } => {
                write!(f, "unknown message `{command}` before version")
            }
            DisconnectReason::UnexpectedBeforeVerack { command } => {
                write!(f, "unexpected `{command}` before verack")
            }
            DisconnectReason::DuplicateVersion => write!(f, "duplicate version message"),
            DisconnectReason::DuplicateVerack => write!(f, "duplicate verack message"),
            DisconnectReason::SendAddrV2AfterHandshake => write!(f, "sendaddrv2 after verack"),
            DisconnectReason::WtxidRelayAfterHandshake => write!(f, "wtxidrelay received after verack"),
            DisconnectReason::NoMessageAtStart { timeout_ms, never_received, never_sent } => {
                write!(f, "socket no message in first {timeout_ms} ms")?;
                if *never_received {
                    write!(f, ", never received from peer")?;
                }
                if *never_sent {
                    write!(f, ", never sent to peer")?;
                }
                Ok(())
            }
            DisconnectReason::SendTimeout { timeout_ms } => {
                write!(f, "socket sending timeout: nothing sent for {timeout_ms} ms")
            }
            DisconnectReason::ReceiveTimeout { timeout_ms } => {
                write!(f, "socket receive timeout: nothing received for {timeout_ms} ms")
            }
            DisconnectReason::PingTimeout { waited_ms } => write!(f, "ping timeout: {waited_ms} ms"),
            DisconnectReason::HeadersSyncTimeout { waited_ms } => {
                write!(f, "Timeout downloading headers ({waited_ms} ms after the sync started)")
            }
            DisconnectReason::Idle { timeout_ms } => {
                write!(f, "idle: nothing received for {timeout_ms} ms")
            }
            DisconnectReason::Stalled { command, waited_ms } => {
                write!(f, "stalled: no `{command}` {waited_ms} ms after the request")
            }
            DisconnectReason::SyncStalled { advertised_height, best_height } => write!(
                f,
                "sync peer made no progress (advertised height {advertised_height}, ours {best_height})"
            ),
            DisconnectReason::Frame(error) => write!(f, "bad frame: {error}"),
            DisconnectReason::TooManyHeaders { count } => {
                write!(f, "headers message with {count} headers (max {})", wire::HEADERS_PER_MESSAGE_MAX)
            }
            DisconnectReason::InvalidHeader(error) => write!(f, "invalid header: {error}"),
            DisconnectReason::InvalidFeeFilter { fee_rate } => {
                write!(f, "invalid feefilter {fee_rate} sat/kvB")
            }
            DisconnectReason::TooManyInventory { command, count } => {
                write!(f, "{command} message size = {count}")
            }
            DisconnectReason::TooManyAddresses { command, count } => {
                write!(f, "{command} message size = {count}")
            }
            DisconnectReason::NoBloomService { command } => {
                write!(f, "{command} received despite not offering bloom services")
            }
            DisconnectReason::NoCompactFilters { command } => {
                write!(f, "{command}: peer requested unsupported block filter type")
            }
            DisconnectReason::TooManyLocatorHashes { count, max } => {
                write!(f, "getheaders with {count} locator hashes (max {max})")
            }
            DisconnectReason::OldChain { best_known_height: Some(height) } => {
                write!(f, "Outbound peer has old chain, best known block height={height}")
            }
            DisconnectReason::OldChain { best_known_height: None } => {
                write!(f, "Outbound peer has old chain, best known block = none")
            }
            DisconnectReason::InsufficientWork { best_known_height } => write!(
                f,
                "outbound peer headers chain has insufficient work (best known height={best_known_height})"
            ),
            DisconnectReason::TooManyInbound => write!(f, "too many inbound peers"),
            DisconnectReason::Banned { duration_s } => write!(f, "banned manually for {duration_s} s"),
            DisconnectReason::InboundBanned { host } => write!(f, "connection from {host} dropped (banned)"),
            DisconnectReason::StillBanned { host, remaining_s } => {
                write!(f, "Peer {host} is banned for another {remaining_s} s - disconnecting")
            }
            DisconnectReason::OutboundQueueFull => write!(f, "outbound queue full"),
            DisconnectReason::Shutdown => write!(f, "shutting down"),
        }
    }
}

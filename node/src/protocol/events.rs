//! What the node reports for the trace and the logs: [`Event`] and the typed facts it carries
//! ([`MessageSummary`] per message, [`DropReason`], [`HeadersSyncStep`], [`ChainSyncStep`]).
//!
//! Events are values: the node builds them without formatting any text. Text is made in one
//! place, [`Event::render`], for people, logs and the simulator's trace (whose digest is
//! computed over it), and is never parsed back.

use std::fmt;

use bitcoin::hashes::Hash;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

use crate::config::USER_AGENT_BYTES_MAX;
use crate::protocol::connection_manager::TargetKind;
use crate::protocol::connection_type::ConnectionType;
use crate::protocol::disconnect::DisconnectReason;
use crate::protocol::header_chain::HeaderChain;
use crate::protocol::headers_presync::PresyncNote;
use crate::protocol::peer::{Direction, PeerId};
use crate::wire::{CommandString, DecodeError, Inventory, NetworkMessage, RejectReason};

/// The first eight bytes (little-endian) of the SHA-256 of `message`'s payload as
/// rust-bitcoin encodes it: a short, exact account of what was decoded, whatever the dialect
/// that decoded it.
pub fn payload_digest(message: &NetworkMessage) -> u64 {
    use bitcoin::consensus::Encodable;
    use bitcoin::hashes::sha256;
    let mut engine = sha256::Hash::engine();
    message
        .consensus_encode(&mut engine)
        .expect("a hash engine takes any bytes");
    let digest = sha256::Hash::from_engine(engine).to_byte_array();
    u64::from_le_bytes(digest[..8].try_into().expect("a digest has 32 bytes"))
}

/// The key fields of one message, as the trace shows them. Commands without key fields are
/// [`MessageSummary::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageSummary {
    /// `version`.
    Version {
        /// Protocol version.
        version: u32,
        /// Service bits.
        services: u64,
        /// Advertised best height.
        start_height: i32,
        /// The connection nonce.
        nonce: u64,
        /// User agent.
        user_agent: String,
    },
    /// `getheaders`.
    GetHeaders {
        /// Each locator hash as the height the node knew it at when the event was made (`None`:
        /// not in the node's index).
        locator_heights: Vec<Option<u32>>,
        /// The first locator hash, if any.
        first_locator: Option<BlockHash>,
        /// The stop hash (all zeros: no stop).
        stop_hash: BlockHash,
    },
    /// `headers`.
    Headers {
        /// Headers in the message.
        count: usize,
        /// Hashes of the first and last header (`None` for an empty message).
        ends: Option<(BlockHash, BlockHash)>,
    },
    /// `ping`.
    Ping {
        /// Its nonce.
        nonce: u64,
    },
    /// `pong`.
    Pong {
        /// Its nonce.
        nonce: u64,
    },
    /// `reject` (BIP 61).
    Reject {
        /// The rejected message's command.
        message: String,
        /// The reject code.
        ccode: RejectReason,
        /// The reason text.
        reason: String,
        /// [`payload_digest`] of the message as decoded (hash included): not shown in the
        /// trace; the simulator compares it with the digest of what the peer wrote.
        payload_digest: u64,
    },
    /// A message rust-bitcoin does not decode: its command and payload size.
    Unknown {
        /// The command.
        command: CommandString,
        /// Payload size in bytes.
        payload_bytes: usize,
    },
    /// `inv`: the blocks it announces (`MSG_BLOCK` and `MSG_WITNESS_BLOCK` entries, in their
    /// order). No key fields are shown in the trace; the simulator judges Core's answer to an
    /// announced block it does not know (`net_processing.cpp`, `ProcessMessage` INV).
    Inv {
        /// The announced blocks' hashes.
        blocks: Vec<BlockHash>,
        /// [`payload_digest`] of the message as decoded, as for [`MessageSummary::Other`].
        payload_digest: u64,
    },
    /// Any other command (no key fields shown).
    Other {
        /// The command.
        command: CommandString,
        /// [`payload_digest`] of the message as decoded: not shown in the trace; the simulator
        /// compares it with the digest of what the peer wrote, read by rust-bitcoin.
        payload_digest: u64,
    },
}

impl MessageSummary {
    /// The summary of `message`; `chain` gives the heights of a `getheaders` locator.
    pub fn of(message: &NetworkMessage, chain: &HeaderChain) -> MessageSummary {
        match message {
            NetworkMessage::Version(v) => MessageSummary::Version {
                version: v.version,
                services: v.services.to_u64(),
                start_height: v.start_height,
                nonce: v.nonce,
                user_agent: v.user_agent.clone(),
            },
            NetworkMessage::GetHeaders(g) => MessageSummary::GetHeaders {
                locator_heights: g
                    .locator_hashes
                    .iter()
                    .map(|h| chain.get(h).map(|e| e.height))
                    .collect(),
                first_locator: g.locator_hashes.first().copied(),
                stop_hash: g.stop_hash,
            },
            NetworkMessage::Headers(h) => MessageSummary::Headers {
                count: h.len(),
                ends: h
                    .first()
                    .zip(h.last())
                    .map(|(first, last)| (first.block_hash(), last.block_hash())),
            },
            NetworkMessage::Ping(nonce) => MessageSummary::Ping { nonce: *nonce },
            NetworkMessage::Pong(nonce) => MessageSummary::Pong { nonce: *nonce },
            NetworkMessage::Reject(r) => MessageSummary::Reject {
                message: r.message.to_string(),
                ccode: r.ccode,
                reason: r.reason.to_string(),
                payload_digest: payload_digest(message),
            },
            NetworkMessage::Unknown { command, payload } => MessageSummary::Unknown {
                command: command.clone(),
                payload_bytes: payload.len(),
            },
            NetworkMessage::Inv(items) => MessageSummary::Inv {
                blocks: items
                    .iter()
                    .filter_map(|item| match item {
                        Inventory::Block(hash) | Inventory::WitnessBlock(hash) => Some(*hash),
                        _ => None,
                    })
                    .collect(),
                payload_digest: payload_digest(message),
            },
            other => MessageSummary::Other {
                command: other.command(),
                payload_digest: payload_digest(other),
            },
        }
    }

    /// The wire command.
    pub fn command(&self) -> &str {
        match self {
            MessageSummary::Version { .. } => "version",
            MessageSummary::GetHeaders { .. } => "getheaders",
            MessageSummary::Headers { .. } => "headers",
            MessageSummary::Ping { .. } => "ping",
            MessageSummary::Pong { .. } => "pong",
            MessageSummary::Reject { .. } => "reject",
            MessageSummary::Inv { .. } => "inv",
            MessageSummary::Unknown { command, .. } | MessageSummary::Other { command, .. } => {
                command.as_ref()
            }
        }
    }

    /// The first locator entry's height, for a `getheaders`: `Some(None)` when the node did
    /// not know that hash, `None` for an empty locator or another message.
    pub fn first_locator_height(&self) -> Option<Option<u32>> {
        match self {
            MessageSummary::GetHeaders {
                locator_heights, ..
            } => locator_heights.first().copied(),
            _ => None,
        }
    }

    /// The key fields as the trace shows them after the command (`count=0`, `nonce=0x…`);
    /// empty for a command without any.
    pub fn fields(&self) -> String {
        let mut out = String::new();
        let _ = self.write_fields(&mut out);
        match out.strip_prefix(' ') {
            Some(fields) => fields.to_string(),
            None => out,
        }
    }

    /// Writes the key fields, each after a space (nothing for a command without any).
    fn write_fields(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        match self {
            MessageSummary::Version {
                version,
                services,
                start_height,
                nonce,
                user_agent,
            } => write!(
                f,
                " version={version} services={services:#x} start_height={start_height} \
                 nonce={nonce:#018x} user_agent={user_agent:?}"
            ),
            MessageSummary::GetHeaders {
                locator_heights,
                first_locator,
                stop_hash,
            } => {
                write!(
                    f,
                    " locator_len={} locator_heights=[",
                    locator_heights.len()
                )?;
                for (i, height) in locator_heights.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    match height {
                        Some(height) => write!(f, "{height}")?,
                        None => f.write_char('?')?,
                    }
                }
                f.write_str("] locator[0]=")?;
                match first_locator {
                    Some(hash) => write!(f, "{hash}")?,
                    None => f.write_str("none")?,
                }
                if *stop_hash == BlockHash::all_zeros() {
                    f.write_str(" stop=0")
                } else {
                    write!(f, " stop={stop_hash}")
                }
            }
            MessageSummary::Headers {
                count,
                ends: Some((first, last)),
            } => write!(f, " count={count} first={first} last={last}"),
            MessageSummary::Headers { ends: None, .. } => f.write_str(" count=0"),
            MessageSummary::Ping { nonce } | MessageSummary::Pong { nonce } => {
                write!(f, " nonce={nonce:#018x}")
            }
            MessageSummary::Reject {
                message,
                ccode,
                reason,
                ..
            } => write!(f, " message={message:?} ccode={ccode:?} reason={reason:?}"),
            MessageSummary::Unknown { payload_bytes, .. } => {
                write!(f, " payload_bytes={payload_bytes}")
            }
            MessageSummary::Inv { .. } | MessageSummary::Other { .. } => Ok(()),
        }
    }
}

/// Why a message was dropped and its peer kept (Bitcoin Core's tolerance; btcd disconnects in
/// most of these cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// A frame with a bad checksum or an undecodable payload (`V1Transport`,
    /// `ProcessMessages`).
    Frame(DecodeError),
    /// A message other than `version` before the peer's `version`.
    BeforeVersion {
        /// Its command.
        command: CommandString,
    },
    /// A message that is neither `verack` nor a feature message before `verack`.
    BeforeVerack {
        /// Its command.
        command: CommandString,
    },
    /// A `getheaders` left unanswered while the node is not current: btcd `OnGetHeaders`
    /// ("ignore getheaders requests if not in sync"), in the node's header-only reading of
    /// `IsCurrent` (the best header younger than `max_tip_age`).
    GetHeadersNotCurrent,
    /// A `getheaders` answered with an empty `headers` because the best chain has less work
    /// than the minimum chain work and the peer lacks the Download permission (which NoBan
    /// carries): Core `ProcessMessage` GETHEADERS ("active chain has too little work; sending
    /// empty response").
    GetHeadersTooLittleWork,
    /// A second `version`.
    RedundantVersion,
    /// A second `verack`.
    RedundantVerack,
    /// A `version` whose user agent exceeds `LIMITED_STRING(256)`: the whole message fails to
    /// deserialize.
    UserAgentTooLong {
        /// Its length in bytes.
        length_bytes: usize,
    },
    /// Core: the initial headers sync with a noban peer timed out; its sync state is reset
    /// instead of disconnecting it.
    NoBanHeadersSyncTimeout {
        /// How long ago the sync started, in milliseconds.
        waited_ms: u64,
    },
    /// Core `MaybeDiscourageAndDisconnect`: a noban peer misbehaved and is not punished.
    NoBanNotPunished(DisconnectReason),
    /// Core `MaybeDiscourageAndDisconnect`: a manual peer ([`ConnectionType::Manual`])
    /// misbehaved and is neither disconnected nor discouraged ("Not punishing manually
    /// connected peer").
    ManualNotPunished(DisconnectReason),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Frame(error) => write!(f, "{error}"),
            DropReason::BeforeVersion { command } => {
                write!(
                    f,
                    "non-version message `{command}` before version handshake"
                )
            }
            DropReason::BeforeVerack { command } => {
                write!(f, "unsupported message `{command}` prior to verack")
            }
            DropReason::GetHeadersNotCurrent => {
                f.write_str("getheaders ignored: not current (best header older than max_tip_age)")
            }
            DropReason::GetHeadersTooLittleWork => {
                f.write_str("getheaders answered empty: active chain has too little work")
            }
            DropReason::RedundantVersion => f.write_str("redundant version message"),
            DropReason::RedundantVerack => f.write_str("redundant verack message"),
            DropReason::UserAgentTooLong { length_bytes } => write!(
                f,
                "version user agent of {length_bytes} bytes exceeds {USER_AGENT_BYTES_MAX}"
            ),
            DropReason::NoBanHeadersSyncTimeout { waited_ms } => write!(
                f,
                "Timeout downloading headers from noban peer ({waited_ms} ms), not disconnecting"
            ),
            DropReason::NoBanNotPunished(reason) => {
                write!(f, "not punishing noban peer: {reason}")
            }
            DropReason::ManualNotPunished(reason) => {
                write!(f, "not punishing manually connected peer: {reason}")
            }
        }
    }
}

/// A step of Core's low-work headers sync with one peer (`TryLowWorkHeadersSync`,
/// `headerssync.cpp`), in the words of Core's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadersSyncStep {
    /// A short message on a chain below the work threshold: ignored.
    IgnoredLowWorkChain {
        /// The height its last header would have.
        height: u64,
    },
    /// A full message on such a chain: PRESYNC starts from the header it builds on.
    Started {
        /// Height of that header.
        height: u32,
    },
    /// PRESYNC went on.
    Presync {
        /// Height reached.
        height: u32,
    },
    /// REDOWNLOAD went on.
    Redownload {
        /// Headers released to normal validation by this message.
        released: usize,
    },
    /// The sync reached a notable point or ended ([`PresyncNote`]).
    Note(PresyncNote),
    /// An empty `headers` message ended the sync.
    ResetByEmptyHeaders,
}

impl fmt::Display for HeadersSyncStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadersSyncStep::IgnoredLowWorkChain { height } => {
                write!(f, "Ignoring low-work chain (height={height})")
            }
            HeadersSyncStep::Started { height } => write!(
                f,
                "low-work headers sync started from height={height} (presync phase)"
            ),
            HeadersSyncStep::Presync { height } => write!(f, "presync height={height}"),
            HeadersSyncStep::Redownload { released } => {
                write!(f, "redownload released={released}")
            }
            HeadersSyncStep::Note(note) => write!(f, "{note}"),
            HeadersSyncStep::ResetByEmptyHeaders => {
                f.write_str("low-work headers sync reset by an empty headers message")
            }
        }
    }
}

/// A step of Core's outbound chain-sync eviction (`ConsiderEviction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainSyncStep {
    /// The peer showed our tip's work early enough to be protected from eviction.
    Protected,
    /// Its best known header stayed below our tip's work too long: the last-chance
    /// `getheaders`.
    VerifyingChainWork {
        /// Height of its best known header (`None`: none known).
        best_known_height: Option<u32>,
        /// Height of the tip it had to reach.
        benchmark_height: u32,
    },
}

impl fmt::Display for ChainSyncStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainSyncStep::Protected => f.write_str("protecting outbound peer from eviction"),
            ChainSyncStep::VerifyingChainWork {
                best_known_height,
                benchmark_height,
            } => {
                f.write_str("sending getheaders to verify chain work (best known height=")?;
                match best_known_height {
                    Some(height) => write!(f, "{height}")?,
                    None => f.write_str("none")?,
                }
                write!(f, ", benchmark height={benchmark_height})")
            }
        }
    }
}

/// Something that happened, for the trace and the logs. Times are added by whoever drains the
/// output (the runtime stamps them with its clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The node started with this best chain (loaded from the store).
    Started {
        /// Best header height.
        tip_height: u32,
        /// Best header hash.
        tip_hash: BlockHash,
        /// Total work of the best chain.
        chainwork: Work,
    },
    /// A dial to a configured target, or for an automatic connection, begins.
    Dialing {
        /// The target's address.
        addr: String,
        /// What the target is for: permanent ([`Config::connect`](crate::Config::connect)),
        /// automatic slot ([`Config::addresses`](crate::Config::addresses)) or once
        /// ([`Config::automatic`](crate::Config::automatic)).
        kind: TargetKind,
    },
    /// A dial failed; the next one is scheduled, unless the target is dialled once.
    DialFailed {
        /// The target's address (empty when an automatic request found no address).
        addr: String,
        /// What went wrong.
        error: String,
        /// Backoff before the next dial (automatic: before the next request); `None` for a
        /// once target ([`Config::automatic`](crate::Config::automatic)), never dialled again.
        retry_in_ms: Option<u64>,
        /// For an automatic connection, btcd's `failedAttempts` after this failure (`Some(0)`
        /// under Core, which counts none); `None` for a permanent target.
        failed_attempts: Option<u32>,
    },
    /// A host was banned manually ([`Node::ban`](crate::Node::ban)).
    Banned {
        /// The host.
        host: String,
        /// The ban's length, in seconds.
        duration_s: u64,
    },
    /// Core: a ban persisted by an earlier run was loaded at start (expired ones are not).
    BanLoaded {
        /// The host.
        host: String,
        /// Seconds left of the ban.
        remaining_s: u64,
    },
    /// A connection was established.
    Connected {
        /// The connection.
        peer: PeerId,
        /// Remote label.
        addr: String,
        /// Inbound, or outbound to a connection-manager target.
        direction: Direction,
        /// What the connection is for (Core's `getpeerinfo` `connection_type`); not in the
        /// rendered text, which names the direction only.
        connection: ConnectionType,
    },
    /// A message arrived.
    Received {
        /// From whom.
        peer: PeerId,
        /// Its command and key fields.
        message: MessageSummary,
    },
    /// A message was queued for sending.
    Sent {
        /// To whom.
        peer: PeerId,
        /// Its command and key fields.
        message: MessageSummary,
    },
    /// Version/verack negotiation finished.
    HandshakeDone {
        /// The connection.
        peer: PeerId,
        /// Negotiated protocol version.
        version: u32,
        /// The peer's services.
        services: u64,
        /// The peer's advertised height.
        start_height: i32,
        /// The peer's user agent.
        user_agent: String,
    },
    /// The sync peer changed (`None`: no sync peer).
    SyncPeer {
        /// The new sync peer.
        peer: Option<PeerId>,
    },
    /// A `headers` message was processed.
    HeadersImported {
        /// From whom.
        peer: PeerId,
        /// Headers in the message.
        received: usize,
        /// New headers added to the index.
        accepted: usize,
        /// Best header height afterwards.
        tip_height: u32,
    },
    /// The best chain changed.
    TipChanged {
        /// New best height.
        height: u32,
        /// New best hash.
        hash: BlockHash,
        /// Total work of the new best chain.
        chainwork: Work,
        /// Best-chain headers replaced (0 for an extension).
        reorg_depth: u32,
    },
    /// We closed a connection.
    Disconnected {
        /// The connection.
        peer: PeerId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The connection ended without us asking (remote close or transport error).
    PeerClosed {
        /// The connection.
        peer: PeerId,
        /// The transport error, if any.
        error: Option<String>,
    },
    /// A message was dropped and the peer kept (Core: a bad checksum, an undecodable payload,
    /// a message before the handshake allows it).
    Dropped {
        /// From whom.
        peer: PeerId,
        /// Why.
        reason: DropReason,
    },
    /// A header from the peer did not connect to anything we know; we asked for the gap
    /// (Core `HandleUnconnectingHeaders`).
    Unconnecting {
        /// From whom.
        peer: PeerId,
        /// The first header of the message.
        hash: BlockHash,
    },
    /// The peer's address is discouraged (Core `Misbehaving`, `BanMan::Discourage`, in memory
    /// only): automatic connections skip it from now on.
    Discouraged {
        /// The connection.
        peer: PeerId,
        /// The address (host part).
        addr: String,
    },
    /// Core's low-work headers sync with a peer (`TryLowWorkHeadersSync`, `headerssync.cpp`):
    /// a chain ignored as low-work, a PRESYNC or REDOWNLOAD step, or the sync's end.
    HeadersSync {
        /// The connection.
        peer: PeerId,
        /// What happened.
        step: HeadersSyncStep,
    },
    /// Core's outbound chain-sync eviction (`ConsiderEviction`): protection granted, or the
    /// last-chance `getheaders`.
    ChainSync {
        /// The connection.
        peer: PeerId,
        /// What happened.
        step: ChainSyncStep,
    },
    /// A permanent outbound target will be redialled.
    Reconnecting {
        /// The target's address.
        addr: String,
        /// Backoff before the dial.
        retry_in_ms: u64,
    },
}

impl Event {
    /// The connection this event concerns, if any.
    pub fn peer(&self) -> Option<PeerId> {
        match self {
            Event::Connected { peer, .. }
            | Event::Received { peer, .. }
            | Event::Sent { peer, .. }
            | Event::HandshakeDone { peer, .. }
            | Event::HeadersImported { peer, .. }
            | Event::Disconnected { peer, .. }
            | Event::Dropped { peer, .. }
            | Event::Unconnecting { peer, .. }
            | Event::Discouraged { peer, .. }
            | Event::HeadersSync { peer, .. }
            | Event::ChainSync { peer, .. }
            | Event::PeerClosed { peer, .. } => Some(*peer),
            Event::SyncPeer { peer } => *peer,
            _ => None,
        }
    }

    /// One line of text; `label` names a peer (the simulator uses its host name).
    pub fn render(&self, label: impl Fn(PeerId) -> String) -> String {
        let mut f = String::new();
        let _ = self.write_to(&mut f, &label);
        f
    }

    fn write_to(&self, f: &mut String, label: &dyn Fn(PeerId) -> String) -> fmt::Result {
        use std::fmt::Write as _;
        let who = self.peer().map(label).unwrap_or_default();
        match self {
            Event::Started { tip_height, tip_hash, chainwork } => {
                write!(f, "started tip_height={tip_height} tip={tip_hash} chainwork={chainwork:x}")
            }
            Event::Dialing { addr, kind: TargetKind::Permanent } => write!(f, "dialing {addr}"),
            Event::Dialing { addr, kind: TargetKind::Automatic } => write!(f, "dialing {addr} automatic"),
            Event::Dialing { addr, kind: TargetKind::Once } => write!(f, "dialing {addr} automatic once"),
            Event::DialFailed { addr, error, retry_in_ms, failed_attempts } => {
                write!(f, "dial_failed {addr} error=\"{error}\"")?;
                match retry_in_ms {
                    Some(ms) => write!(f, " retry_in_ms={ms}")?,
                    None => f.write_str(" not_redialled")?,
                }
                if let Some(n) = failed_attempts {
                    write!(f, " automatic failed_attempts={n}")?;
                }
                Ok(())
            }
            Event::Banned { host, duration_s } => write!(f, "banned {host} duration_s={duration_s}"),
            Event::BanLoaded { host, remaining_s } => write!(f, "ban_loaded {host} remaining_s={remaining_s}"),
            Event::Connected {
                addr, direction, ..
            } => {
                write!(f, "connected {who} addr={addr} {}", direction.as_str())
            }
            Event::Received { message, .. } => {
                write!(f, "recv {who} {}", message.command())?;
                message.write_fields(f)
            }
            Event::Sent { message, .. } => {
                write!(f, "send {who} {}", message.command())?;
                message.write_fields(f)
            }
            Event::HandshakeDone { version, services, start_height, user_agent, .. } => write!(
                f,
                "handshake_done {who} version={version} services={services:#x} start_height={start_height} user_agent={user_agent:?}"
            ),
            Event::SyncPeer { peer: Some(_) } => write!(f, "sync_peer {who}"),
            Event::SyncPeer { peer: None } => write!(f, "sync_peer none"),
            Event::HeadersImported { received, accepted, tip_height, .. } => write!(
                f,
                "headers_imported {who} received={received} accepted={accepted} tip_height={tip_height}"
            ),
            Event::TipChanged { height, hash, chainwork, reorg_depth } => write!(
                f,
                "tip_changed height={height} hash={hash} chainwork={chainwork:x} reorg_depth={reorg_depth}"
            ),
            Event::Disconnected { reason, .. } => {
                write!(f, "disconnect {who} reason=\"{reason}\"")
            }
            Event::PeerClosed { error: None, .. } => write!(f, "closed_by_peer {who}"),
            Event::PeerClosed { error: Some(error), .. } => {
                write!(f, "closed_by_peer {who} error=\"{error}\"")
            }
            Event::Dropped { reason, .. } => write!(f, "dropped {who} reason=\"{reason}\""),
            Event::Unconnecting { hash, .. } => write!(f, "unconnecting {who} first={hash}"),
            Event::Discouraged { addr, .. } => write!(f, "discouraged {who} addr={addr}"),
            Event::HeadersSync { step, .. } => write!(f, "headers_sync {who} {step}"),
            Event::ChainSync { step, .. } => write!(f, "chain_sync {who} {step}"),
            Event::Reconnecting { addr, retry_in_ms } => {
                write!(f, "reconnect {addr} retry_in_ms={retry_in_ms}")
            }
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(|peer| format!("peer={peer}")))
    }
}

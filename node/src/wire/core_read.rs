//! How Bitcoin Core reads a payload, for the `core` dialect of [`super::FrameDecoder`].
//!
//! Core does not decode a message whole before acting on it: `PeerManagerImpl::ProcessMessage`
//! (`src/net_processing.cpp`) reads the fields it uses from the payload stream, in order, and
//! never checks that the stream is empty afterwards. A read past the end throws, and
//! `ProcessMessages` catches the exception and drops the message, keeping the peer. So:
//!
//! - bytes after the fields Core reads are ignored (a `ping` with 9 bytes is answered);
//! - a message whose handler reads nothing (`verack`, `sendheaders`, `getaddr`, `mempool`,
//!   `wtxidrelay`, `sendaddrv2`, `filterclear`) is acted on whatever its payload;
//! - `headers` entries carry a transaction count that Core reads (as a compact size, at most
//!   `MAX_SIZE`) and ignores: "ignore tx count; assume it is 0";
//! - `headers` with a count above `MAX_HEADERS_RESULTS` (2000) is refused before any entry is
//!   read (`Misbehaving`, "headers message size");
//! - `version`'s fields after the receiver's address are optional (`if (!vRecv.empty())`), with
//!   Core's defaults: nonce 1, empty user agent, start height -1, relay true; the user agent is
//!   any bytes up to 256 (`LIMITED_STRING`), sanitized rather than refused when not UTF-8;
//! - `filterload` and `filteradd` are refused for a missing `NODE_BLOOM` before their payload is
//!   read, so they reach the node even when the payload would not decode.
//!
//! Every other command is decoded as rust-bitcoin decodes it. Compact sizes keep rust-bitcoin's
//! (and Core's) rule that they be minimally encoded.

use bitcoin::block::Header;
use bitcoin::consensus::encode::{Decodable, VarInt};
use bitcoin::p2p::message_blockdata::{GetBlocksMessage, GetHeadersMessage, Inventory};
use bitcoin::p2p::message_compact_blocks::SendCmpct;
use bitcoin::p2p::message_filter::{GetCFCheckpt, GetCFHeaders, GetCFilters};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, ServiceFlags};

use super::{CommandString, NetworkMessage, HEADERS_PER_MESSAGE_MAX, USER_AGENT_BYTES_MAX};

/// Bitcoin Core's `MAX_SIZE` (`src/serialize.h`): `ReadCompactSize` throws above it.
pub const COMPACT_SIZE_MAX: u64 = 0x0200_0000;

/// Why Core would not act on a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreReadError {
    /// A read went past the end, or a value was malformed: Core's handler throws and the
    /// message is dropped.
    Unreadable(String),
    /// `headers` announcing more entries than Core takes in one message: refused as
    /// misbehaviour before any entry is read.
    TooManyHeaders {
        /// The announced count.
        count: u64,
    },
}

/// Reads `payload` of `command` the way Bitcoin Core's handler for it does.
///
/// # Errors
/// [`CoreReadError`] as its variants say.
pub fn read(command: &CommandString, payload: &[u8]) -> Result<NetworkMessage, CoreReadError> {
    let mut r = payload;
    let message = match command.as_ref() {
        "version" => NetworkMessage::Version(version(&mut r)?),
        "verack" => NetworkMessage::Verack,
        "sendheaders" => NetworkMessage::SendHeaders,
        "getaddr" => NetworkMessage::GetAddr,
        "mempool" => NetworkMessage::MemPool,
        "wtxidrelay" => NetworkMessage::WtxidRelay,
        "sendaddrv2" => NetworkMessage::SendAddrV2,
        "filterclear" => NetworkMessage::FilterClear,
        "ping" => NetworkMessage::Ping(field(&mut r)?),
        "pong" => NetworkMessage::Pong(field(&mut r)?),
        "headers" => NetworkMessage::Headers(headers(&mut r)?),
        "getheaders" => NetworkMessage::GetHeaders(field::<GetHeadersMessage>(&mut r)?),
        "getblocks" => NetworkMessage::GetBlocks(field::<GetBlocksMessage>(&mut r)?),
        "inv" => NetworkMessage::Inv(field::<Vec<Inventory>>(&mut r)?),
        "getdata" => NetworkMessage::GetData(field::<Vec<Inventory>>(&mut r)?),
        "notfound" => NetworkMessage::NotFound(field::<Vec<Inventory>>(&mut r)?),
        "addr" => NetworkMessage::Addr(field::<Vec<(u32, Address)>>(&mut r)?),
        "addrv2" => NetworkMessage::AddrV2(field(&mut r)?),
        "feefilter" => NetworkMessage::FeeFilter(field(&mut r)?),
        "sendcmpct" => NetworkMessage::SendCmpct(field::<SendCmpct>(&mut r)?),
        "getcfilters" => NetworkMessage::GetCFilters(field::<GetCFilters>(&mut r)?),
        "getcfheaders" => NetworkMessage::GetCFHeaders(field::<GetCFHeaders>(&mut r)?),
        "getcfcheckpt" => NetworkMessage::GetCFCheckpt(field::<GetCFCheckpt>(&mut r)?),
        // Refused before the payload is read: keep whatever came, as an unknown message
        // carrying its command.
        "filterload" | "filteradd" => NetworkMessage::Unknown {
            command: command.clone(),
            payload: payload.to_vec(),
        },
        _ => return whole(command, payload),
    };
    Ok(message)
}

/// A command Core's reading does not special-case: rust-bitcoin's decoding of the whole frame.
fn whole(command: &CommandString, payload: &[u8]) -> Result<NetworkMessage, CoreReadError> {
    super::decode_with_rust_bitcoin(command, payload).map_err(CoreReadError::Unreadable)
}

/// One field, read from the front of `r`.
fn field<T: Decodable>(r: &mut &[u8]) -> Result<T, CoreReadError> {
    T::consensus_decode(r).map_err(|error| CoreReadError::Unreadable(super::error_chain(&error)))
}

/// A compact size as Core's `ReadCompactSize` reads it: minimally encoded, at most
/// [`COMPACT_SIZE_MAX`].
fn compact_size(r: &mut &[u8]) -> Result<u64, CoreReadError> {
    let VarInt(n) = field::<VarInt>(r)?;
    if n > COMPACT_SIZE_MAX {
        return Err(CoreReadError::Unreadable(format!(
            "compact size {n} above MAX_SIZE {COMPACT_SIZE_MAX}"
        )));
    }
    Ok(n)
}

/// `headers`: the count (refused above 2000 before any entry), then each header and its
/// ignored transaction count.
fn headers(r: &mut &[u8]) -> Result<Vec<Header>, CoreReadError> {
    let count = compact_size(r)?;
    if count > HEADERS_PER_MESSAGE_MAX as u64 {
        return Err(CoreReadError::TooManyHeaders { count });
    }
    // Lossless: at most 2000.
    let mut headers = Vec::with_capacity(count as usize);
    for _ in 0..count {
        headers.push(field::<Header>(r)?);
        compact_size(r)?;
    }
    Ok(headers)
}

/// `version` as Core reads it: the required fields, then each optional one while bytes remain.
fn version(r: &mut &[u8]) -> Result<VersionMessage, CoreReadError> {
    let version: u32 = field(r)?;
    let services: ServiceFlags = field(r)?;
    let timestamp: i64 = field(r)?;
    let receiver: Address = field(r)?;
    let mut message = VersionMessage {
        version,
        services,
        timestamp: timestamp.max(0),
        receiver,
        sender: Address {
            services: ServiceFlags::NONE,
            address: [0; 8],
            port: 0,
        },
        nonce: 1,
        user_agent: String::new(),
        start_height: -1,
        relay: true,
    };
    if !r.is_empty() {
        message.sender = field(r)?;
        message.nonce = field(r)?;
    }
    if !r.is_empty() {
        let len = compact_size(r)?;
        if len > USER_AGENT_BYTES_MAX as u64 {
            return Err(CoreReadError::Unreadable(format!(
                "user agent of {len} bytes (at most {USER_AGENT_BYTES_MAX})"
            )));
        }
        // Lossless: at most 256.
        let len = len as usize;
        if r.len() < len {
            return Err(CoreReadError::Unreadable("user agent cut short".into()));
        }
        let (text, rest) = r.split_at(len);
        message.user_agent = String::from_utf8_lossy(text).into_owned();
        *r = rest;
    }
    if !r.is_empty() {
        message.start_height = field(r)?;
    }
    if !r.is_empty() {
        message.relay = field::<u8>(r)? != 0;
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::encode::serialize;

    fn cmd(name: &str) -> CommandString {
        CommandString::try_from(name.to_string()).expect("a valid command")
    }

    fn regtest_header() -> Header {
        bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Regtest).header
    }

    #[test]
    fn bytes_after_the_fields_are_ignored() {
        let mut payload = 7u64.to_le_bytes().to_vec();
        payload.push(0xaa);
        assert_eq!(read(&cmd("ping"), &payload), Ok(NetworkMessage::Ping(7)));
        assert_eq!(read(&cmd("verack"), &[1, 2, 3]), Ok(NetworkMessage::Verack));
    }

    #[test]
    fn a_short_field_is_unreadable() {
        assert!(matches!(
            read(&cmd("ping"), &[1, 2, 3]),
            Err(CoreReadError::Unreadable(_))
        ));
        assert!(matches!(
            read(&cmd("pong"), &[]),
            Err(CoreReadError::Unreadable(_))
        ));
    }

    #[test]
    fn headers_transaction_counts_are_read_and_ignored() {
        let header = regtest_header();
        let mut payload = vec![2u8];
        payload.extend(serialize(&header));
        payload.push(5);
        payload.extend(serialize(&header));
        payload.extend([0xfd, 0x00, 0x01]);
        payload.push(0xee); // trailing, ignored
        assert_eq!(
            read(&cmd("headers"), &payload),
            Ok(NetworkMessage::Headers(vec![header, header]))
        );
    }

    #[test]
    fn headers_above_2000_are_refused_before_any_entry_is_read() {
        let payload = serialize(&VarInt(2001));
        assert_eq!(
            read(&cmd("headers"), &payload),
            Err(CoreReadError::TooManyHeaders { count: 2001 })
        );
        // Above MAX_SIZE the count itself is unreadable (ReadCompactSize throws first).
        let payload = serialize(&VarInt(COMPACT_SIZE_MAX + 1));
        assert!(matches!(
            read(&cmd("headers"), &payload),
            Err(CoreReadError::Unreadable(_))
        ));
    }

    #[test]
    fn a_non_minimal_compact_size_is_unreadable() {
        let mut payload = vec![0xfd, 0x01, 0x00];
        payload.extend(serialize(&regtest_header()));
        payload.push(0);
        assert!(matches!(
            read(&cmd("headers"), &payload),
            Err(CoreReadError::Unreadable(_))
        ));
    }

    #[test]
    fn version_without_optional_fields_gets_cores_defaults() {
        let addr = Address {
            services: ServiceFlags::NONE,
            address: [0; 8],
            port: 0,
        };
        let mut payload = 70016u32.to_le_bytes().to_vec();
        payload.extend(serialize(&ServiceFlags::NETWORK));
        payload.extend(serialize(&1_700_000_000i64));
        payload.extend(serialize(&addr));
        let Ok(NetworkMessage::Version(v)) = read(&cmd("version"), &payload) else {
            panic!("a 46-byte version is readable");
        };
        assert_eq!(
            (v.nonce, v.start_height, v.relay, v.user_agent.as_str()),
            (1, -1, true, "")
        );
        // The relay byte, when present, is read as Core reads `fRelay`: zero is false, any
        // other value true (mutation shard 0 found no test reading it).
        let full = |relay: u8| {
            let mut full = payload.clone();
            full.extend(serialize(&addr));
            full.extend(7u64.to_le_bytes());
            full.push(0);
            full.extend(12i32.to_le_bytes());
            full.push(relay);
            match read(&cmd("version"), &full) {
                Ok(NetworkMessage::Version(v)) => (v.nonce, v.start_height, v.relay),
                other => panic!("a whole version is readable: {other:?}"),
            }
        };
        assert_eq!(full(0), (7, 12, false));
        assert_eq!(full(1), (7, 12, true));
        assert_eq!(full(2), (7, 12, true));
        // A cut inside the optional sender address is unreadable.
        payload.extend([0u8; 10]);
        assert!(matches!(
            read(&cmd("version"), &payload),
            Err(CoreReadError::Unreadable(_))
        ));
    }

    #[test]
    fn a_user_agent_that_is_not_utf8_is_sanitized_not_refused() {
        let addr = Address {
            services: ServiceFlags::NONE,
            address: [0; 8],
            port: 0,
        };
        let mut payload = 70016u32.to_le_bytes().to_vec();
        payload.extend(serialize(&ServiceFlags::NONE));
        payload.extend(serialize(&0i64));
        payload.extend(serialize(&addr));
        payload.extend(serialize(&addr));
        payload.extend(serialize(&42u64));
        payload.extend([2, 0xff, b'a']);
        let Ok(NetworkMessage::Version(v)) = read(&cmd("version"), &payload) else {
            panic!("readable");
        };
        assert_eq!((v.nonce, v.user_agent.chars().last()), (42, Some('a')));
    }

    #[test]
    fn bloom_filter_commands_reach_the_node_whatever_their_payload() {
        let message = read(&cmd("filterload"), &[0xff]).expect("kept");
        assert_eq!(message.command().as_ref(), "filterload");
        assert_eq!(
            read(&cmd("filterclear"), &[1]),
            Ok(NetworkMessage::FilterClear)
        );
    }

    #[test]
    fn other_commands_decode_as_rust_bitcoin_decodes_them() {
        let unknown = read(&cmd("zzz"), &[1, 2]).expect("unknown commands decode");
        assert_eq!(unknown.command().as_ref(), "zzz");
    }
}

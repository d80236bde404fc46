//! How btcd v0.26 reads a payload, for the `btcd` dialect of [`super::FrameDecoder`]: the
//! `BtcDecode` method of each `wire/msg*.go` message (module `wire/v2` v2.0.0, the one v0.26.0
//! builds against) and each command's `MaxPayloadLength`, at the protocol version the
//! connection reads with.
//!
//! btcd decodes from a `bytes.Buffer` with one `io.ReadFull` per field (a hash, a 4-byte
//! integer, a compact size's tag, then its value, ...). Where the payload runs out decides the
//! error, and the error decides what `inHandler` does ([`BtcdReadError`]):
//!
//! - nothing left where a field starts: `io.EOF`;
//! - some bytes of a field, but not all: `io.ErrUnexpectedEOF`;
//! - a value refused (a count above its limit, a non-minimal compact size, a message invalid at
//!   the connection's protocol version, a `headers` entry with transactions): a
//!   `*wire.MessageError`;
//! - a few refusals are plain errors instead (an `addrv2` address of the wrong size, a
//!   `cfcheckpt` count above 100,000, a witness flag without any witness).
//!
//! A read error ends the decoding; a payload read without one becomes the rust-bitcoin message
//! the node works with ([`read`]). btcd's optional `version` fields take btcd's zero values
//! when absent (nonce 0, empty user agent, start height 0, relay true).
//!
//! Modules: `limits` (the protocol versions that gate messages, btcd's counts and sizes, each
//! command's `MaxPayloadLength`) and `cursor` (btcd's field-by-field reads); the messages'
//! decoding is here.

use std::fmt;

use bitcoin::block::Header;
use bitcoin::consensus::encode::Decodable;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message_blockdata::{GetBlocksMessage, GetHeadersMessage};
use bitcoin::p2p::message_bloom::{BloomFlags, FilterAdd, FilterLoad};
use bitcoin::p2p::message_filter::{
    CFCheckpt, CFHeaders, CFilter, GetCFCheckpt, GetCFHeaders, GetCFilters,
};
use bitcoin::p2p::message_network::{Reject, RejectReason, VersionMessage};
use bitcoin::p2p::ServiceFlags;
use bitcoin::{BlockHash, FilterHash, FilterHeader};

use super::USER_AGENT_BYTES_MAX;
use super::{CommandString, NetworkMessage, HEADERS_PER_MESSAGE_MAX, LOCATOR_HASHES_MAX};

mod cursor;
mod limits;

use cursor::Cursor;
pub use limits::{
    knows_command, payload_length_max, ADDR_V2_VERSION, BIP0031_VERSION, BIP0035_VERSION,
    BIP0037_VERSION, FEE_FILTER_VERSION, MULTIPLE_ADDRESS_VERSION, NET_ADDRESS_TIME_VERSION,
    REJECT_VERSION, SEND_HEADERS_VERSION,
};
use limits::{
    ADDRESSES_MAX, ADDR_V2_ADDRESS_BYTES_MAX, BLOCK_TRANSACTIONS_MAX, CFILTER_BYTES_MAX,
    CF_CHECKPOINT_HEADERS_MAX, CF_HEADERS_MAX, FILTER_ADD_BYTES_MAX, FILTER_LOAD_BYTES_MAX,
    FILTER_LOAD_HASH_FUNCS_MAX, INVENTORY_ENTRIES_MAX, MERKLE_FLAGS_BYTES_MAX,
    MESSAGE_PAYLOAD_BYTES_MAX, SCRIPT_SLAB_BYTES, TX_INPUTS_MAX, TX_OUTPUTS_MAX, WITNESS_LIMIT,
};

/// Why btcd could not read a payload, as its `inHandler` tells errors apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BtcdReadError {
    /// A `*wire.MessageError`: a value btcd refuses. Answered with `reject(malformed)`, except
    /// on regtest from a loopback peer (`isAllowedReadError`).
    MessageError(String),
    /// A `*wire.MessageError` for a command the connection's protocol version does not have
    /// yet (the `pver` checks of its `BtcDecode`, "… message invalid for protocol version
    /// …"). Answered as any `MessageError`.
    TooOld {
        /// The command.
        command: String,
        /// The connection's protocol version when it was read.
        pver: u32,
    },
    /// A `*wire.MessageError` for a payload that decoded with bytes left over (btcd v0.26,
    /// `ReadMessageWithEncodingN`: "message payload has … extra bytes after decode"; see
    /// [`super::btcd_read`]).
    BytesLeft {
        /// The payload's length, in bytes.
        payload_bytes: u64,
        /// The bytes the decoding left unread.
        left_bytes: u64,
    },
    /// A command [`knows_command`] passed that this reader has no decoding for (btcd's
    /// `ErrUnknownMessage`, answered as any other error). It cannot happen while the two agree.
    UnknownCommand {
        /// The command.
        command: String,
    },
    /// `io.EOF`: the payload ended exactly where a field starts. btcd closes without a reject
    /// (`shouldHandleReadError` takes it for a remote hang-up).
    Eof,
    /// `io.ErrUnexpectedEOF`: the payload ended inside a field. `reject(malformed)` and close.
    UnexpectedEof,
    /// Another error `wire` returns (`fmt.Errorf`, `errors.New`): `reject(malformed)` and close.
    Other(String),
}

impl fmt::Display for BtcdReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BtcdReadError::MessageError(reason) | BtcdReadError::Other(reason) => {
                f.write_str(reason)
            }
            BtcdReadError::TooOld { command, pver } => {
                write!(f, "{command} message invalid for protocol version {pver}")
            }
            BtcdReadError::BytesLeft { left_bytes, .. } => {
                write!(
                    f,
                    "message payload has {left_bytes} extra bytes after decode"
                )
            }
            BtcdReadError::UnknownCommand { command } => {
                write!(f, "`{command}` is not a command btcd knows")
            }
            BtcdReadError::Eof => f.write_str("it ends where a field starts (EOF)"),
            BtcdReadError::UnexpectedEof => f.write_str("it ends inside a field (unexpected EOF)"),
        }
    }
}

fn message_error(reason: String) -> BtcdReadError {
    BtcdReadError::MessageError(reason)
}

/// A `MessageError` for `command` sent at a protocol version that does not have it.
fn too_old(command: &str, pver: u32) -> BtcdReadError {
    BtcdReadError::TooOld {
        command: command.to_string(),
        pver,
    }
}

/// Reads `payload` of the known `command` as btcd's `BtcDecode` does at protocol version `pver`,
/// with the witness encoding of transactions if `witness`. Returns the message and the number
/// of payload bytes the decoding left unread (btcd v0.26 refuses those, see
/// [`super::btcd_read`]).
///
/// A payload btcd reads but rust-bitcoin cannot represent (a `reject` code rust-bitcoin does
/// not list, bloom flags above 2, a transaction rust-bitcoin decodes otherwise) comes back as
/// [`NetworkMessage::Unknown`] with its real command; the node ignores all of those.
///
/// # Errors
/// [`BtcdReadError`], as btcd's decoding of the payload fails.
pub fn read(
    command_string: &CommandString,
    payload: &[u8],
    pver: u32,
    witness: bool,
) -> Result<(NetworkMessage, usize), BtcdReadError> {
    let mut c = Cursor { rest: payload };
    let command = command_string.as_ref();
    let message = match command {
        "version" => NetworkMessage::Version(version(&mut c)?),
        "verack" => NetworkMessage::Verack,
        "getaddr" => NetworkMessage::GetAddr,
        "sendaddrv2" if pver < ADDR_V2_VERSION => return Err(too_old(command, pver)),
        "sendaddrv2" => NetworkMessage::SendAddrV2,
        "mempool" if pver < BIP0035_VERSION => return Err(too_old(command, pver)),
        "mempool" => NetworkMessage::MemPool,
        "sendheaders" if pver < SEND_HEADERS_VERSION => return Err(too_old(command, pver)),
        "sendheaders" => NetworkMessage::SendHeaders,
        "ping" if pver > BIP0031_VERSION => NetworkMessage::Ping(c.u64()?),
        "ping" => NetworkMessage::Ping(0),
        "pong" if pver <= BIP0031_VERSION => return Err(too_old(command, pver)),
        "pong" => NetworkMessage::Pong(c.u64()?),
        "feefilter" if pver < FEE_FILTER_VERSION => return Err(too_old(command, pver)),
        // Lossless: btcd reads the fee as an int64 from its 8 bytes.
        "feefilter" => NetworkMessage::FeeFilter(i64::from_le_bytes(c.array()?)),
        "headers" => NetworkMessage::Headers(headers(&mut c)?),
        "getheaders" | "getblocks" => {
            let version = c.u32()?;
            let count = c.count(LOCATOR_HASHES_MAX as u64, "block locator hashes")?;
            let locator_hashes = c.hashes::<BlockHash>(count)?;
            let stop_hash = c.hash::<BlockHash>()?;
            if command == "getheaders" {
                NetworkMessage::GetHeaders(GetHeadersMessage {
                    version,
                    locator_hashes,
                    stop_hash,
                })
            } else {
                NetworkMessage::GetBlocks(GetBlocksMessage {
                    version,
                    locator_hashes,
                    stop_hash,
                })
            }
        }
        "inv" | "getdata" | "notfound" => {
            let count = c.count(INVENTORY_ENTRIES_MAX, "invvect")?;
            let inventory = c.inventory(count)?;
            match command {
                "inv" => NetworkMessage::Inv(inventory),
                "getdata" => NetworkMessage::GetData(inventory),
                _ => NetworkMessage::NotFound(inventory),
            }
        }
        "addr" => {
            let count = c.count(ADDRESSES_MAX, "addresses")?;
            let timestamped = pver >= NET_ADDRESS_TIME_VERSION;
            let addresses = (0..count)
                .map(|_| c.net_address(timestamped))
                .collect::<Result<_, _>>()?;
            NetworkMessage::Addr(addresses)
        }
        "addrv2" => NetworkMessage::AddrV2(addr_v2(&mut c)?),
        "reject" if pver < REJECT_VERSION => return Err(too_old(command, pver)),
        "reject" => return reject(&mut c, command_string, payload),
        "filterclear" if pver < BIP0037_VERSION => return Err(too_old(command, pver)),
        "filterclear" => NetworkMessage::FilterClear,
        "filteradd" | "filterload" | "merkleblock" if pver < BIP0037_VERSION => {
            return Err(too_old(command, pver))
        }
        "filteradd" => NetworkMessage::FilterAdd(FilterAdd {
            data: c
                .var_bytes(FILTER_ADD_BYTES_MAX, "filteradd data")?
                .to_vec(),
        }),
        "filterload" => return filter_load(&mut c, command_string, payload),
        "merkleblock" => {
            c.block_header()?;
            c.u32()?;
            let count = c.count(BLOCK_TRANSACTIONS_MAX, "transaction hashes")?;
            c.hashes::<BlockHash>(count)?;
            c.var_bytes(MERKLE_FLAGS_BYTES_MAX, "merkle block flags size")?;
            as_rust_bitcoin(command_string, payload)
        }
        "getcfilters" | "getcfheaders" => {
            let filter_type = c.u8()?;
            let start_height = c.u32()?;
            let stop_hash = c.hash::<BlockHash>()?;
            if command == "getcfilters" {
                NetworkMessage::GetCFilters(GetCFilters {
                    filter_type,
                    start_height,
                    stop_hash,
                })
            } else {
                NetworkMessage::GetCFHeaders(GetCFHeaders {
                    filter_type,
                    start_height,
                    stop_hash,
                })
            }
        }
        "getcfcheckpt" => NetworkMessage::GetCFCheckpt(GetCFCheckpt {
            filter_type: c.u8()?,
            stop_hash: c.hash()?,
        }),
        "cfilter" => NetworkMessage::CFilter(CFilter {
            filter_type: c.u8()?,
            block_hash: c.hash()?,
            filter: c.var_bytes(CFILTER_BYTES_MAX, "cfilter data")?.to_vec(),
        }),
        "cfheaders" => {
            let filter_type = c.u8()?;
            let stop_hash = c.hash()?;
            let previous_filter_header = c.hash::<FilterHeader>()?;
            let count = c.count(CF_HEADERS_MAX, "committed filter headers")?;
            NetworkMessage::CFHeaders(CFHeaders {
                filter_type,
                stop_hash,
                previous_filter_header,
                filter_hashes: c.hashes::<FilterHash>(count)?,
            })
        }
        "cfcheckpt" => {
            let filter_type = c.u8()?;
            let stop_hash = c.hash()?;
            let count = c.var_int()?;
            if count > CF_CHECKPOINT_HEADERS_MAX {
                return Err(BtcdReadError::Other(format!(
                    "insane cfheader count {count} (max {CF_CHECKPOINT_HEADERS_MAX})"
                )));
            }
            NetworkMessage::CFCheckpt(CFCheckpt {
                filter_type,
                stop_hash,
                filter_headers: c.hashes::<FilterHeader>(count)?,
            })
        }
        "tx" => {
            transaction(&mut c, witness)?;
            as_rust_bitcoin(command_string, payload)
        }
        "block" => {
            c.block_header()?;
            let count = c.count(BLOCK_TRANSACTIONS_MAX, "transactions")?;
            for _ in 0..count {
                transaction(&mut c, witness)?;
            }
            as_rust_bitcoin(command_string, payload)
        }
        _ => {
            return Err(BtcdReadError::UnknownCommand {
                command: command.to_string(),
            })
        }
    };
    Ok((message, c.rest.len()))
}

/// `payload` as rust-bitcoin decodes it, or kept whole under its command.
fn as_rust_bitcoin(command: &CommandString, payload: &[u8]) -> NetworkMessage {
    super::decode_with_rust_bitcoin(command, payload).unwrap_or_else(|_| unknown(command, payload))
}

fn unknown(command: &CommandString, payload: &[u8]) -> NetworkMessage {
    NetworkMessage::Unknown {
        command: command.clone(),
        payload: payload.to_vec(),
    }
}

/// btcd `MsgVersion.BtcDecode`: four mandatory fields, then each optional one read only while
/// bytes remain (a field present but cut short is an error, not "absent").
fn version(c: &mut Cursor) -> Result<VersionMessage, BtcdReadError> {
    let version = c.u32()?;
    let services = ServiceFlags::from(c.u64()?);
    // Lossless: btcd reads the timestamp as an int64 from its 8 bytes.
    let timestamp = i64::from_le_bytes(c.array()?);
    let (_, receiver) = c.net_address(false)?;
    let mut message = VersionMessage {
        version,
        services,
        timestamp,
        receiver,
        sender: Address {
            services: ServiceFlags::NONE,
            address: [0; 8],
            port: 0,
        },
        nonce: 0,
        user_agent: String::new(),
        start_height: 0,
        relay: true,
    };
    if !c.rest.is_empty() {
        message.sender = c.net_address(false)?.1;
    }
    if !c.rest.is_empty() {
        message.nonce = c.u64()?;
    }
    if !c.rest.is_empty() {
        let user_agent = c.var_bytes(MESSAGE_PAYLOAD_BYTES_MAX, "variable length string")?;
        if user_agent.len() > USER_AGENT_BYTES_MAX {
            return Err(message_error(format!(
                "user agent too long [len {}, max {USER_AGENT_BYTES_MAX}]",
                user_agent.len()
            )));
        }
        message.user_agent = String::from_utf8_lossy(user_agent).into_owned();
    }
    if !c.rest.is_empty() {
        message.start_height = i32::from_le_bytes(c.array()?);
    }
    if !c.rest.is_empty() {
        message.relay = c.u8()? != 0;
    }
    Ok(message)
}

/// btcd `MsgHeaders.BtcDecode`: at most 2000 entries, each a header and a transaction count
/// that must be 0.
fn headers(c: &mut Cursor) -> Result<Vec<Header>, BtcdReadError> {
    let count = c.count(HEADERS_PER_MESSAGE_MAX as u64, "block headers")?;
    let mut headers = Vec::new();
    for _ in 0..count {
        headers.push(c.block_header()?);
        let transactions = c.var_int()?;
        if transactions > 0 {
            return Err(message_error(format!(
                "block headers may not contain transactions [count {transactions}]"
            )));
        }
    }
    Ok(headers)
}

/// btcd `MsgAddrV2.BtcDecode` and `readNetAddressV2`: entries of unknown networks, I2P, CJDNS,
/// onion-cat and IPv4-mapped IPv6 addresses are read and skipped; an address of the wrong size
/// for its network is a plain error.
fn addr_v2(c: &mut Cursor) -> Result<Vec<AddrV2Message>, BtcdReadError> {
    let count = c.count(ADDRESSES_MAX, "addresses")?;
    let wrong_size = || BtcdReadError::Other("invalid address size".to_string());
    let mut entries = Vec::new();
    for _ in 0..count {
        let time = c.u32()?;
        let services = ServiceFlags::from(c.var_int()?);
        let network = c.u8()?;
        let size = c.var_int()?;
        let expected = match network {
            1 => 4,
            2 | 6 => 16,
            3 => 10,
            4 | 5 => 32,
            _ => {
                if size > ADDR_V2_ADDRESS_BYTES_MAX {
                    return Err(wrong_size());
                }
                c.take(size + 2)?;
                continue;
            }
        };
        if size != expected {
            return Err(wrong_size());
        }
        let bytes = c.take(size)?;
        let port = u16::from_be_bytes(c.array()?);
        let addr = match network {
            1 => AddrV2::Ipv4(<[u8; 4]>::try_from(bytes).map_err(|_| wrong_size())?.into()),
            2 => {
                let ip = <[u8; 16]>::try_from(bytes).map_err(|_| wrong_size())?;
                let onion_cat = ip.starts_with(&[0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43]);
                let ipv4_mapped = ip.starts_with(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
                if onion_cat || ipv4_mapped {
                    continue;
                }
                AddrV2::Ipv6(ip.into())
            }
            3 => AddrV2::TorV2(bytes.try_into().map_err(|_| wrong_size())?),
            4 => AddrV2::TorV3(bytes.try_into().map_err(|_| wrong_size())?),
            // I2P and CJDNS are read, then skipped.
            _ => continue,
        };
        entries.push(AddrV2Message {
            time,
            services,
            addr,
            port,
        });
    }
    Ok(entries)
}

/// btcd `MsgReject.BtcDecode`: command, code, reason, and a hash only for `block` and `tx`.
fn reject(
    c: &mut Cursor,
    command: &CommandString,
    payload: &[u8],
) -> Result<(NetworkMessage, usize), BtcdReadError> {
    let message = c.var_string()?;
    let code = c.u8()?;
    let reason = c.var_string()?;
    let hash = if message == "block" || message == "tx" {
        c.hash()?
    } else {
        bitcoin::hashes::sha256d::Hash::all_zeros()
    };
    let ccode = RejectReason::consensus_decode(&mut [code].as_slice()).ok();
    let message = match ccode {
        Some(ccode) => NetworkMessage::Reject(Reject {
            message: message.into(),
            ccode,
            reason: reason.into(),
            hash,
        }),
        None => unknown(command, payload),
    };
    Ok((message, c.rest.len()))
}

/// btcd `MsgFilterLoad.BtcDecode`: the filter, then hash functions (at most 50), tweak and
/// flags, each one read.
fn filter_load(
    c: &mut Cursor,
    command: &CommandString,
    payload: &[u8],
) -> Result<(NetworkMessage, usize), BtcdReadError> {
    let filter = c
        .var_bytes(FILTER_LOAD_BYTES_MAX, "filterload filter size")?
        .to_vec();
    let hash_funcs = c.u32()?;
    let tweak = c.u32()?;
    let flags = c.u8()?;
    if hash_funcs > FILTER_LOAD_HASH_FUNCS_MAX {
        return Err(message_error(format!(
            "too many filter hash functions for message [count {hash_funcs}, max \
             {FILTER_LOAD_HASH_FUNCS_MAX}]"
        )));
    }
    let flags = match flags {
        0 => Some(BloomFlags::None),
        1 => Some(BloomFlags::All),
        2 => Some(BloomFlags::PubkeyOnly),
        _ => None,
    };
    let message = match flags {
        Some(flags) => NetworkMessage::FilterLoad(FilterLoad {
            filter,
            hash_funcs,
            tweak,
            flags,
        }),
        None => unknown(command, payload),
    };
    Ok((message, c.rest.len()))
}

/// btcd `MsgTx.btcDecode`: version, inputs (a 0 count followed by flag 1 means witness data
/// follows, under the witness encoding only), outputs, the witness stacks, lock time. Every
/// script and witness item of the transaction shares one 4 MiB buffer.
fn transaction(c: &mut Cursor, witness: bool) -> Result<(), BtcdReadError> {
    let mut slab_left = SCRIPT_SLAB_BYTES;
    let mut script = |c: &mut Cursor, field: &str| -> Result<(), BtcdReadError> {
        let count = c.var_int()?;
        if count > WITNESS_LIMIT || count > slab_left {
            return Err(message_error(format!(
                "{field} of {count} bytes is larger than the max allowed size"
            )));
        }
        c.take(count)?;
        slab_left -= count;
        Ok(())
    };
    c.u32()?;
    let mut inputs = c.var_int()?;
    let mut flag = 0;
    if inputs == 0 && witness {
        flag = c.u8()?;
        if flag != 1 {
            return Err(message_error(format!(
                "witness tx but flag byte is {flag:02x}"
            )));
        }
        inputs = c.var_int()?;
    }
    if inputs > TX_INPUTS_MAX {
        return Err(message_error(format!(
            "too many input transactions [count {inputs}, max {TX_INPUTS_MAX}]"
        )));
    }
    for _ in 0..inputs {
        c.hash::<BlockHash>()?;
        c.u32()?;
        script(c, "transaction input signature script")?;
        c.u32()?;
    }
    let outputs = c.var_int()?;
    if outputs > TX_OUTPUTS_MAX {
        return Err(message_error(format!(
            "too many output transactions [count {outputs}, max {TX_OUTPUTS_MAX}]"
        )));
    }
    for _ in 0..outputs {
        c.u64()?;
        script(c, "transaction output public key script")?;
    }
    if flag != 0 && witness {
        let mut any_witness = false;
        for _ in 0..inputs {
            let items = c.var_int()?;
            if items > WITNESS_LIMIT {
                return Err(message_error(format!(
                    "too many witness items [count {items}, max {WITNESS_LIMIT}]"
                )));
            }
            any_witness |= items > 0;
            for _ in 0..items {
                script(c, "script witness item")?;
            }
        }
        if !any_witness {
            return Err(BtcdReadError::Other(
                "superfluous witness record: witness flag without witness data".to_string(),
            ));
        }
    }
    c.u32()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::encode::serialize;

    const PVER: u32 = 70_016;

    fn cmd(name: &str) -> CommandString {
        CommandString::try_from(name).expect("a short command")
    }

    fn read_at(command: &str, payload: &[u8], pver: u32) -> Result<NetworkMessage, BtcdReadError> {
        read(&cmd(command), payload, pver, true).map(|(message, _)| message)
    }

    fn regtest_header() -> Header {
        bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Regtest).header
    }

    /// A `version` payload up to and including the receiver's address (46 bytes).
    fn version_prefix() -> Vec<u8> {
        let mut payload = 70_016u32.to_le_bytes().to_vec();
        payload.extend(1u64.to_le_bytes());
        payload.extend(1_700_000_000i64.to_le_bytes());
        payload.extend([0u8; 26]);
        payload
    }

    #[test]
    fn the_maximum_payload_lengths_are_btcds_at_70016() {
        let cases = [
            ("ping", 8),
            ("pong", 8),
            ("verack", 0),
            ("version", 358),
            ("headers", 162_009),
            ("getheaders", 16_045),
            ("getblocks", 16_045),
            ("inv", 1_800_009),
            ("getdata", 1_800_009),
            ("notfound", 1_800_009),
            ("addr", 30_009),
            ("addrv2", 531_003),
            ("reject", 4_000_000),
            ("feefilter", 8),
            ("filterload", 36_012),
            ("filteradd", 523),
            ("cfilter", 262_182),
            ("cfheaders", 64_074),
            ("cfcheckpt", 3_200_038),
            ("getcfcheckpt", 33),
            ("block", 4_000_000),
        ];
        for (command, max) in cases {
            assert_eq!(payload_length_max(command, PVER), Some(max), "{command}");
        }
    }

    #[test]
    fn the_maximum_payload_lengths_follow_the_protocol_version() {
        assert_eq!(payload_length_max("ping", 60_000), Some(0));
        assert_eq!(payload_length_max("pong", 60_001), Some(8));
        assert_eq!(payload_length_max("reject", 70_001), Some(0));
        assert_eq!(payload_length_max("version", 31_401), Some(350));
        assert_eq!(payload_length_max("addr", 208), Some(35));
    }

    #[test]
    fn commands_btcd_does_not_know_have_no_maximum() {
        for command in ["wtxidrelay", "sendcmpct", "cmpctblock", "foo", "pi\0ng", ""] {
            assert!(!knows_command(command), "{command:?}");
        }
        assert!(knows_command("sendaddrv2"));
    }

    #[test]
    fn a_payload_ending_at_a_field_boundary_is_eof_and_inside_a_field_unexpected_eof() {
        assert_eq!(read_at("ping", &[], PVER), Err(BtcdReadError::Eof));
        assert_eq!(
            read_at("ping", &[1, 2, 3], PVER),
            Err(BtcdReadError::UnexpectedEof)
        );
        // A compact size whose tag says 2 bytes follow, and none do: a read of its own, so EOF.
        assert_eq!(read_at("headers", &[0xfd], PVER), Err(BtcdReadError::Eof));
        // One header announced, cut after its version field (a field boundary).
        assert_eq!(
            read_at("headers", &[1, 1, 0, 0, 0], PVER),
            Err(BtcdReadError::Eof)
        );
        assert_eq!(
            read_at("headers", &[1, 1, 0, 0, 0, 7], PVER),
            Err(BtcdReadError::UnexpectedEof)
        );
    }

    #[test]
    fn headers_refuse_a_transaction_count_and_a_count_above_2000() {
        let mut payload = vec![1u8];
        payload.extend(serialize(&regtest_header()));
        payload.push(1);
        assert!(matches!(
            read_at("headers", &payload, PVER),
            Err(BtcdReadError::MessageError(_))
        ));
        assert!(matches!(
            read_at("headers", &[0xfd, 0xd1, 0x07], PVER),
            Err(BtcdReadError::MessageError(_))
        ));
        // A non-minimal count is a MessageError too.
        assert!(matches!(
            read_at("headers", &[0xfd, 0x01, 0x00], PVER),
            Err(BtcdReadError::MessageError(_))
        ));
    }

    #[test]
    fn bytes_left_after_the_fields_are_counted_not_refused_here() {
        let mut payload = 7u64.to_le_bytes().to_vec();
        payload.push(0);
        assert_eq!(
            read(&cmd("ping"), &payload, PVER, true),
            Ok((NetworkMessage::Ping(7), 1))
        );
    }

    #[test]
    fn version_optional_fields_take_btcds_zero_values_and_a_cut_field_is_an_error() {
        let payload = version_prefix();
        let Ok(NetworkMessage::Version(v)) = read_at("version", &payload, PVER) else {
            panic!("a 46-byte version is valid");
        };
        assert_eq!(
            (v.nonce, v.start_height, v.relay, v.user_agent.as_str()),
            (0, 0, true, "")
        );
        // Cut exactly after the sender's services (a field boundary inside the address).
        let mut cut = payload.clone();
        cut.extend([0u8; 8]);
        assert_eq!(read_at("version", &cut, PVER), Err(BtcdReadError::Eof));
        cut.push(0);
        assert_eq!(
            read_at("version", &cut, PVER),
            Err(BtcdReadError::UnexpectedEof)
        );
        // A user agent of 257 bytes is a MessageError.
        let mut long = payload;
        long.extend([0u8; 26]);
        long.extend(9u64.to_le_bytes());
        long.extend([0xfd, 0x01, 0x01]);
        long.extend([b'a'; 257]);
        assert!(matches!(
            read_at("version", &long, PVER),
            Err(BtcdReadError::MessageError(_))
        ));
    }

    #[test]
    fn messages_newer_than_the_protocol_version_are_message_errors() {
        for (command, pver) in [
            ("sendheaders", 70_011),
            ("feefilter", 70_012),
            ("sendaddrv2", 70_015),
            ("pong", 60_000),
            ("reject", 70_001),
            ("mempool", 60_001),
            ("filterclear", 70_000),
        ] {
            assert!(
                read_at(command, &[0; 8], pver)
                    == Err(BtcdReadError::TooOld {
                        command: command.to_string(),
                        pver
                    }),
                "{command} at {pver}"
            );
        }
        // At 60000 and below `ping` has no nonce.
        assert_eq!(
            read(&cmd("ping"), &[], 60_000, true),
            Ok((NetworkMessage::Ping(0), 0))
        );
    }

    #[test]
    fn each_message_is_read_from_the_first_protocol_version_that_has_it() {
        // The boundaries just above the ones refused in the test before (btcd's
        // `BIP0031Version` and the rest compare with `<=` or `<`; a mutant swapping them survived
        // the suite for `reject`).
        let mut reject = vec![4];
        reject.extend_from_slice(b"ping");
        reject.extend_from_slice(&[0x10, 0]);
        for (command, payload, pver) in [
            ("sendheaders", &[][..], SEND_HEADERS_VERSION),
            ("feefilter", &[0; 8][..], FEE_FILTER_VERSION),
            ("sendaddrv2", &[][..], ADDR_V2_VERSION),
            ("pong", &[0; 8][..], BIP0031_VERSION + 1),
            ("reject", &reject[..], REJECT_VERSION),
            ("mempool", &[][..], BIP0035_VERSION),
            ("filterclear", &[][..], BIP0037_VERSION),
        ] {
            let read = read_at(command, payload, pver);
            assert!(read.is_ok(), "{command} at {pver}: {read:?}");
            assert!(
                matches!(
                    read_at(command, payload, pver - 1),
                    Err(BtcdReadError::TooOld { .. })
                ),
                "{command} at {}",
                pver - 1
            );
        }
    }

    #[test]
    fn inventory_and_locator_counts_above_btcds_limits_are_message_errors() {
        for command in ["inv", "getdata", "notfound"] {
            assert!(matches!(
                read_at(command, &serialize(&bitcoin::VarInt(50_001)), PVER),
                Err(BtcdReadError::MessageError(_))
            ));
        }
        let mut getheaders = 70_016u32.to_le_bytes().to_vec();
        getheaders.extend(serialize(&bitcoin::VarInt(501)));
        assert!(matches!(
            read_at("getheaders", &getheaders, PVER),
            Err(BtcdReadError::MessageError(_))
        ));
        assert!(matches!(
            read_at("addr", &serialize(&bitcoin::VarInt(1001)), PVER),
            Err(BtcdReadError::MessageError(_))
        ));
    }

    #[test]
    fn filteradd_data_is_read_up_to_btcds_520_bytes() {
        let data = vec![7u8; 520];
        match read_at("filteradd", &serialize(&data), PVER) {
            Ok(NetworkMessage::FilterAdd(FilterAdd { data: read })) => assert_eq!(read, data),
            other => panic!("520 bytes: {other:?}"),
        }
        assert!(matches!(
            read_at("filteradd", &serialize(&vec![7u8; 521]), PVER),
            Err(BtcdReadError::MessageError(_))
        ));
    }

    #[test]
    fn block_and_merkleblock_transaction_counts_stop_at_btcds_max_tx_per_block() {
        // `maxTxPerBlock` = 4,000,000 / 10 + 1 = 400,001: one more is refused at the count;
        // 400,001 passes the count and the message then ends early.
        let header = serialize(&regtest_header());
        let mut merkle_prefix = header.clone();
        merkle_prefix.extend(1u32.to_le_bytes());
        for (command, prefix) in [("block", &header), ("merkleblock", &merkle_prefix)] {
            let with_count = |count: u64| {
                let mut payload = prefix.clone();
                payload.extend(serialize(&bitcoin::VarInt(count)));
                payload
            };
            let too_many = read_at(command, &with_count(400_002), PVER);
            assert!(
                matches!(&too_many, Err(BtcdReadError::MessageError(m)) if m.contains("too many")),
                "{command}: {too_many:?}"
            );
            let at_max = read_at(command, &with_count(400_001), PVER);
            assert!(
                matches!(
                    at_max,
                    Err(BtcdReadError::UnexpectedEof | BtcdReadError::Eof)
                ),
                "{command}: {at_max:?}"
            );
        }
    }

    #[test]
    fn a_reject_carries_a_hash_only_for_block_and_tx() {
        let mut payload = serialize(&"ping".to_string());
        payload.push(0x01);
        payload.extend(serialize(&"bad".to_string()));
        let Ok((NetworkMessage::Reject(r), 0)) = read(&cmd("reject"), &payload, PVER, true) else {
            panic!("a reject without a hash");
        };
        assert_eq!((r.message.as_ref(), r.reason.as_ref()), ("ping", "bad"));
        let mut tx = serialize(&"tx".to_string());
        tx.push(0x10);
        tx.extend(serialize(&String::new()));
        assert_eq!(read_at("reject", &tx, PVER), Err(BtcdReadError::Eof));
    }

    #[test]
    fn a_witness_flag_without_witness_data_is_a_plain_error() {
        // version, marker 0, flag 1, one input, no outputs, an empty witness stack, lock time.
        let mut tx = 2u32.to_le_bytes().to_vec();
        tx.extend([0, 1, 1]);
        tx.extend([0u8; 36]);
        tx.push(0);
        tx.extend(u32::MAX.to_le_bytes());
        tx.push(0);
        tx.push(0);
        tx.extend(0u32.to_le_bytes());
        assert!(matches!(
            read_at("tx", &tx, PVER),
            Err(BtcdReadError::Other(_))
        ));
        // Without the witness encoding the 0 is an input count and the 1 an output count; the
        // bytes then left over are refused at the frame level.
        assert!(matches!(read(&cmd("tx"), &tx, PVER, false), Ok((_, left)) if left > 0));
    }

    #[test]
    fn addrv2_skips_unknown_networks_and_refuses_a_wrong_address_size() {
        // One entry of network 9 with a 3-byte address, skipped; then an IPv4 entry.
        let mut payload = vec![2u8];
        payload.extend(0u32.to_le_bytes());
        payload.extend([1, 9, 3, 1, 2, 3, 0x20, 0x8d]);
        payload.extend(0u32.to_le_bytes());
        payload.extend([1, 1, 4, 10, 0, 0, 1, 0x20, 0x8d]);
        let Ok(NetworkMessage::AddrV2(entries)) = read_at("addrv2", &payload, PVER) else {
            panic!("readable");
        };
        assert_eq!(entries.len(), 1);
        let mut wrong = vec![1u8];
        wrong.extend(0u32.to_le_bytes());
        wrong.extend([1, 1, 5]);
        assert!(matches!(
            read_at("addrv2", &wrong, PVER),
            Err(BtcdReadError::Other(_))
        ));
    }
}

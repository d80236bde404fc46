//! btcd's wire tables, written out here from btcd's `wire` package (not read from the node):
//! the payload limit of each command at protocol 70016 and the commands btcd knows at all, and
//! Core's one frame limit. The rules of [`super`] judge the node's refusals and its answers to
//! early messages against them.

/// Core's `MAX_PROTOCOL_MESSAGE_LENGTH` (`net.h`), in bytes.
pub const CORE_PAYLOAD_BYTES_MAX: u64 = 4_000_000;

/// btcd's `MaxPayloadLength(70016)` per command (`wire/msg*.go`), in bytes, written out here
/// from btcd's formulas (not read from the node): version `33 + 2·30 + 9 + 256`; getheaders
/// and getblocks `4 + 9 + 500·32 + 32`; headers `9 + 81·2000`; inv, getdata and notfound
/// `9 + 50000·36`; addr `9 + 1000·30`; filterload `3 + 36000 + 9`; filteradd `3 + 520`;
/// getcfilters and getcfheaders `1 + 4 + 32`; getcfcheckpt `1 + 32`; cfilter
/// `5 + 262144 + 32 + 1`; cfheaders `1 + 32 + 32 + 9 + 32·2000`; block, tx, merkleblock
/// `MaxBlockPayload`.
const BTCD_PAYLOAD_BYTES_MAX: [(&str, u64); 27] = [
    ("version", 358),
    ("verack", 0),
    ("sendaddrv2", 0),
    ("getaddr", 0),
    ("mempool", 0),
    ("filterclear", 0),
    ("sendheaders", 0),
    ("addr", 30_009),
    ("getblocks", 16_045),
    ("getheaders", 16_045),
    ("block", 4_000_000),
    ("tx", 4_000_000),
    ("merkleblock", 4_000_000),
    ("inv", 1_800_009),
    ("getdata", 1_800_009),
    ("notfound", 1_800_009),
    ("ping", 8),
    ("pong", 8),
    ("headers", 162_009),
    ("filteradd", 523),
    ("filterload", 36_012),
    ("feefilter", 8),
    ("getcfilters", 37),
    ("getcfheaders", 37),
    ("getcfcheckpt", 33),
    ("cfilter", 262_182),
    ("cfheaders", 64_074),
];

/// The commands of [`BTCD_PAYLOAD_BYTES_MAX`] with their limits in bytes, in table order.
pub fn btcd_payload_limits() -> impl Iterator<Item = (&'static str, u64)> {
    BTCD_PAYLOAD_BYTES_MAX.iter().copied()
}

/// btcd's `MaxPayloadLength(70016)` of `command` in bytes, from [`BTCD_PAYLOAD_BYTES_MAX`];
/// `None` for a command the table leaves out.
pub fn btcd_payload_bytes_max(command: &str) -> Option<u64> {
    BTCD_PAYLOAD_BYTES_MAX
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, max)| *max)
}

/// Whether the frame error `error` breaks [`FRAME_LIMITS_KEPT`](super::FRAME_LIMITS_KEPT),
/// and why: a frame refused as too large within its limit, or under btcd one past its limit
/// whose payload was read. `pver_70016`: whether the connection reads at protocol 70016
/// (btcd's table holds there).
pub(super) fn frame_limit_breach(
    core: bool,
    pver_70016: bool,
    error: &node::wire::DecodeError,
) -> Option<String> {
    use node::wire::btcd_payload::BtcdReadError;
    use node::wire::DecodeError;
    match error {
        DecodeError::PayloadTooLarge {
            command,
            length_bytes,
        } if core && *length_bytes <= CORE_PAYLOAD_BYTES_MAX => Some(format!(
            "refused a {length_bytes}-byte `{command}` as too large, within Core's {CORE_PAYLOAD_BYTES_MAX}"
        )),
        DecodeError::CommandPayloadTooLarge {
            command,
            length_bytes,
            ..
        } if !core && pver_70016 => {
            let max = btcd_payload_bytes_max(command)?;
            (*length_bytes <= max).then(|| {
                format!("refused a {length_bytes}-byte `{command}` as too large, within btcd's {max}")
            })
        }
        // btcd checks a frame's length before reading its payload (`readMessageWithEncodingN`):
        // a payload read, and found to have bytes left over, was within the limit.
        DecodeError::BtcdPayload {
            command,
            error: BtcdReadError::BytesLeft { payload_bytes, .. },
        } if !core && pver_70016 => {
            let max = btcd_payload_bytes_max(command)?;
            (*payload_bytes > max).then(|| {
                format!("read a {payload_bytes}-byte `{command}`, past btcd's {max}, instead of refusing it as too large")
            })
        }
        _ => None,
    }
}

/// The commands btcd v0.24 decodes (`wire/message.go` `makeEmptyMessage`); any other is
/// `ErrUnknownMessage`. btcd v0.24 knows neither `wtxidrelay` nor `sendcmpct`.
const BTCD_COMMANDS: [&str; 30] = [
    "version",
    "verack",
    "sendaddrv2",
    "getaddr",
    "addr",
    "addrv2",
    "getblocks",
    "block",
    "inv",
    "getdata",
    "notfound",
    "tx",
    "ping",
    "pong",
    "getheaders",
    "headers",
    "mempool",
    "filteradd",
    "filterclear",
    "filterload",
    "merkleblock",
    "reject",
    "sendheaders",
    "feefilter",
    "getcfilters",
    "getcfheaders",
    "getcfcheckpt",
    "cfilter",
    "cfheaders",
    "cfcheckpt",
];

/// Whether btcd v0.24 decodes messages with `command` ([`BTCD_COMMANDS`]).
pub fn btcd_knows(command: &str) -> bool {
    BTCD_COMMANDS.contains(&command)
}

/// The lowest protocol version at which btcd's `BtcDecode` reads each command that has one
/// (`wire/msg*.go`; below it, "… message invalid for protocol version …"): `AddrV2Version`,
/// `BIP0035Version`, `SendHeadersVersion`, one above `BIP0031Version`, `FeeFilterVersion`,
/// `RejectVersion` and `BIP0037Version`.
const BTCD_VERSION_GATES: [(&str, u32); 10] = [
    ("sendaddrv2", 70_016),
    ("mempool", 60_002),
    ("sendheaders", 70_012),
    ("pong", 60_001),
    ("feefilter", 70_013),
    ("reject", 70_002),
    ("filterclear", 70_001),
    ("filteradd", 70_001),
    ("filterload", 70_001),
    ("merkleblock", 70_001),
];

/// The protocol version from which btcd reads `command`, from [`BTCD_VERSION_GATES`]; `None`
/// for a command readable at every version.
fn btcd_version_gate(command: &str) -> Option<u32> {
    BTCD_VERSION_GATES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|&(_, pver)| pver)
}

/// Under btcd, what is wrong with reading (`refused` false) or refusing as too old for the
/// connection (`refused` true) a `command` on a connection at protocol version `pver`: a
/// command is refused so exactly when `pver` is below its gate.
pub(super) fn version_gate_breach(command: &str, pver: u32, refused: bool) -> Option<String> {
    let gate = btcd_version_gate(command);
    let too_old = gate.is_some_and(|gate| pver < gate);
    match (refused, too_old) {
        (true, false) => Some(match gate {
            Some(gate) => format!(
                "refused `{command}` as too new for protocol version {pver}, where btcd reads it from {gate}"
            ),
            None => format!(
                "refused `{command}` as too new for protocol version {pver}, where btcd reads it at every version"
            ),
        }),
        (false, true) => Some(format!(
            "read `{command}` at protocol version {pver}, below btcd's {}",
            gate.unwrap_or_default()
        )),
        _ => None,
    }
}

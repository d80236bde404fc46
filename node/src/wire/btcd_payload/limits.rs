//! btcd's limits for the `btcd` dialect: the protocol versions that gate messages, the counts
//! and sizes its `wire` package refuses above, and each command's `MaxPayloadLength`
//! (`wire/msg*.go`, module `wire/v2` v2.0.0).

use super::super::{HEADERS_PER_MESSAGE_MAX, LOCATOR_HASHES_MAX};
use super::super::{PAYLOAD_SIZE_BYTES_MAX, USER_AGENT_BYTES_MAX};

/// btcd `wire.MultipleAddressVersion`: from here on an `addr` may carry many addresses.
pub const MULTIPLE_ADDRESS_VERSION: u32 = 209;
/// btcd `wire.NetAddressTimeVersion`: from here on an `addr` entry starts with a timestamp.
pub const NET_ADDRESS_TIME_VERSION: u32 = 31_402;
/// btcd `wire.BIP0031Version`: `ping` carries a nonce and `pong` exists only above it.
pub const BIP0031_VERSION: u32 = 60_000;
/// btcd `wire.BIP0035Version`: `mempool` exists from here on.
pub const BIP0035_VERSION: u32 = 60_002;
/// btcd `wire.BIP0037Version`: the bloom-filter messages and `merkleblock` exist from here on.
pub const BIP0037_VERSION: u32 = 70_001;
/// btcd `wire.RejectVersion`: `reject` exists from here on.
pub const REJECT_VERSION: u32 = 70_002;
/// btcd `wire.SendHeadersVersion`: `sendheaders` exists from here on.
pub const SEND_HEADERS_VERSION: u32 = 70_012;
/// btcd `wire.FeeFilterVersion`: `feefilter` exists from here on.
pub const FEE_FILTER_VERSION: u32 = 70_013;
/// btcd `wire.AddrV2Version`: `sendaddrv2` exists from here on.
pub const ADDR_V2_VERSION: u32 = 70_016;

/// btcd `wire.MaxMessagePayload` (32 MiB): the bound on a variable-length string and the base
/// of the transaction input and output count limits.
pub(super) const MESSAGE_PAYLOAD_BYTES_MAX: u64 = 32 * 1024 * 1024;
/// btcd `wire.MaxVarIntPayload`.
pub(super) const VAR_INT_BYTES_MAX: u32 = 9;
/// btcd `wire.MaxInvPerMsg`.
pub(super) const INVENTORY_ENTRIES_MAX: u64 = 50_000;
/// btcd `maxInvVectPayload`: type (4) and hash (32).
pub(super) const INVENTORY_ENTRY_BYTES: u32 = 36;
/// btcd `wire.MaxAddrPerMsg` and `MaxV2AddrPerMsg`.
pub(super) const ADDRESSES_MAX: u64 = 1000;
/// btcd `maxNetAddressV2Payload`: timestamp 4, services 9, network 1, size and address 515,
/// port 2.
pub(super) const ADDR_V2_ENTRY_BYTES_MAX: u32 = 4 + 9 + 1 + 515 + 2;
/// btcd `maxAddrV2Size`: the longest address of an unknown network that is skipped.
pub(super) const ADDR_V2_ADDRESS_BYTES_MAX: u64 = 512;
/// btcd `wire.MaxBlockPayload`.
pub(super) const BLOCK_BYTES_MAX: u32 = 4_000_000;
/// btcd `maxTxPerBlock`: `MaxBlockPayload / minTxPayload (10) + 1`.
pub(super) const BLOCK_TRANSACTIONS_MAX: u64 = BLOCK_BYTES_MAX as u64 / 10 + 1;
/// btcd `maxTxInPerMessage`: `MaxMessagePayload / minTxInPayload (41) + 1`.
pub(super) const TX_INPUTS_MAX: u64 = MESSAGE_PAYLOAD_BYTES_MAX / 41 + 1;
/// btcd `maxTxOutPerMessage`: `MaxMessagePayload / MinTxOutPayload (9) + 1`.
pub(super) const TX_OUTPUTS_MAX: u64 = MESSAGE_PAYLOAD_BYTES_MAX / 9 + 1;
/// btcd `maxWitnessItemsPerInput` and `maxWitnessItemSize`.
pub(super) const WITNESS_LIMIT: u64 = 4_000_000;
/// btcd `scriptSlabSize`: every script of one transaction is read into one buffer this big.
pub(super) const SCRIPT_SLAB_BYTES: u64 = 1 << 22;
/// btcd `maxFlagsPerMerkleBlock`: `maxTxPerBlock / 8`.
pub(super) const MERKLE_FLAGS_BYTES_MAX: u64 = BLOCK_TRANSACTIONS_MAX / 8;
/// btcd `MaxFilterLoadFilterSize`.
pub(super) const FILTER_LOAD_BYTES_MAX: u64 = 36_000;
/// btcd `MaxFilterLoadHashFuncs`.
pub(super) const FILTER_LOAD_HASH_FUNCS_MAX: u32 = 50;
/// btcd `MaxFilterAddDataSize`.
pub(super) const FILTER_ADD_BYTES_MAX: u64 = 520;
/// btcd `MaxCFilterDataSize`.
pub(super) const CFILTER_BYTES_MAX: u64 = 256 * 1024;
/// btcd `MaxCFHeadersPerMsg`.
pub(super) const CF_HEADERS_MAX: u64 = 2000;
/// btcd `maxCFHeadersLen`: more in a `cfcheckpt` is `ErrInsaneCFHeaderCount`.
pub(super) const CF_CHECKPOINT_HEADERS_MAX: u64 = 100_000;

/// Whether btcd's `makeEmptyMessage` knows `command`; any other command is skipped whole
/// (`ErrUnknownMessage`), among them `wtxidrelay`, `sendcmpct` and the compact-block messages.
pub fn knows_command(command: &str) -> bool {
    payload_length_max(command, ADDR_V2_VERSION).is_some()
}

/// btcd's `MaxPayloadLength(pver)` of `command`, in bytes, or `None` for a command btcd does
/// not know.
pub fn payload_length_max(command: &str, pver: u32) -> Option<u32> {
    // Services 8, address 16, port 2, and a timestamp from NetAddressTimeVersion on.
    let net_address = 26
        + if pver >= NET_ADDRESS_TIME_VERSION {
            4
        } else {
            0
        };
    let max = match command {
        "version" => 33 + 2 * net_address + VAR_INT_BYTES_MAX + USER_AGENT_BYTES_MAX as u32,
        "verack" | "sendaddrv2" | "getaddr" | "mempool" | "filterclear" | "sendheaders" => 0,
        "addr" if pver < MULTIPLE_ADDRESS_VERSION => VAR_INT_BYTES_MAX + net_address,
        "addr" => VAR_INT_BYTES_MAX + ADDRESSES_MAX as u32 * net_address,
        "addrv2" => 3 + ADDRESSES_MAX as u32 * ADDR_V2_ENTRY_BYTES_MAX,
        "getblocks" | "getheaders" => 4 + VAR_INT_BYTES_MAX + (LOCATOR_HASHES_MAX as u32 + 1) * 32,
        "block" | "tx" | "merkleblock" => BLOCK_BYTES_MAX,
        "inv" | "getdata" | "notfound" => {
            VAR_INT_BYTES_MAX + INVENTORY_ENTRIES_MAX as u32 * INVENTORY_ENTRY_BYTES
        }
        "ping" | "pong" if pver > BIP0031_VERSION => 8,
        "ping" | "pong" => 0,
        "headers" => VAR_INT_BYTES_MAX + 81 * HEADERS_PER_MESSAGE_MAX as u32,
        "filteradd" => 3 + FILTER_ADD_BYTES_MAX as u32,
        "filterload" => 3 + FILTER_LOAD_BYTES_MAX as u32 + 9,
        "reject" if pver >= REJECT_VERSION => PAYLOAD_SIZE_BYTES_MAX as u32,
        "reject" => 0,
        "feefilter" => 8,
        // Filter type, start height and stop hash; the checkpoint request has no height.
        "getcfilters" | "getcfheaders" => 1 + 4 + 32,
        "getcfcheckpt" => 1 + 32,
        "cfilter" => 5 + CFILTER_BYTES_MAX as u32 + 32 + 1,
        "cfheaders" => 1 + 32 + 32 + VAR_INT_BYTES_MAX + 32 * CF_HEADERS_MAX as u32,
        "cfcheckpt" => 1 + 32 + 5 + 32 * CF_CHECKPOINT_HEADERS_MAX as u32,
        _ => return None,
    };
    Some(max)
}

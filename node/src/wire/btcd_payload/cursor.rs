//! btcd's `bytes.Buffer` reads for the `btcd` dialect: one `io.ReadFull` per field, so that
//! where a payload runs out decides the error ([`BtcdReadError`]).

use bitcoin::block::Header;
use bitcoin::consensus::encode::Decodable;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::ServiceFlags;

use super::limits::MESSAGE_PAYLOAD_BYTES_MAX;
use super::{message_error, BtcdReadError};

/// A payload as btcd's `bytes.Buffer`: every read is one `io.ReadFull`.
pub(super) struct Cursor<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// `io.ReadFull` of `n` bytes: nothing to read is `io.EOF`, part of them
    /// `io.ErrUnexpectedEOF`; reading 0 bytes always succeeds.
    pub(super) fn take(&mut self, n: u64) -> Result<&'a [u8], BtcdReadError> {
        if n == 0 {
            return Ok(&[]);
        }
        if self.rest.is_empty() {
            return Err(BtcdReadError::Eof);
        }
        match usize::try_from(n).ok().filter(|&n| n <= self.rest.len()) {
            Some(n) => {
                let (head, tail) = self.rest.split_at(n);
                self.rest = tail;
                Ok(head)
            }
            None => {
                self.rest = &[];
                Err(BtcdReadError::UnexpectedEof)
            }
        }
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], BtcdReadError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64)?);
        Ok(out)
    }

    pub(super) fn u8(&mut self) -> Result<u8, BtcdReadError> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn u32(&mut self) -> Result<u32, BtcdReadError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64, BtcdReadError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(super) fn hash<T: Hash<Bytes = [u8; 32]>>(&mut self) -> Result<T, BtcdReadError> {
        Ok(T::from_byte_array(self.array()?))
    }

    /// btcd `ReadVarIntBuf`: the tag, then its value in a second read; a value that fits a
    /// shorter encoding is a `MessageError`.
    pub(super) fn var_int(&mut self) -> Result<u64, BtcdReadError> {
        let (value, min) = match self.u8()? {
            0xff => (self.u64()?, 0x1_0000_0000),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xfd => (u64::from(u16::from_le_bytes(self.array()?)), 0xfd),
            small => return Ok(u64::from(small)),
        };
        if value < min {
            return Err(message_error(format!(
                "non-canonical varint {value:#x}: below {min:#x} for its encoding"
            )));
        }
        Ok(value)
    }

    /// btcd `ReadVarBytes`: a count above `max` is a `MessageError`.
    pub(super) fn var_bytes(&mut self, max: u64, field: &str) -> Result<&'a [u8], BtcdReadError> {
        let count = self.var_int()?;
        if count > max {
            return Err(message_error(format!(
                "{field} of {count} bytes is larger than the max allowed size {max}"
            )));
        }
        self.take(count)
    }

    /// btcd `ReadVarString`: any bytes, up to `MaxMessagePayload`.
    pub(super) fn var_string(&mut self) -> Result<String, BtcdReadError> {
        let bytes = self.var_bytes(MESSAGE_PAYLOAD_BYTES_MAX, "variable length string")?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    /// A count read by `var_int`, refused above `max` with `MessageError(what)`.
    pub(super) fn count(&mut self, max: u64, what: &str) -> Result<u64, BtcdReadError> {
        let count = self.var_int()?;
        if count > max {
            return Err(message_error(format!(
                "too many {what} for message [count {count}, max {max}]"
            )));
        }
        Ok(count)
    }

    /// btcd `readNetAddress`: a timestamp if `timestamped` (from NetAddressTimeVersion on),
    /// services, the 16-byte address and the big-endian port, each one read.
    pub(super) fn net_address(
        &mut self,
        timestamped: bool,
    ) -> Result<(u32, Address), BtcdReadError> {
        let time = if timestamped { self.u32()? } else { 0 };
        let services = ServiceFlags::from(self.u64()?);
        let ip: [u8; 16] = self.array()?;
        let port = u16::from_be_bytes(self.array()?);
        let mut address = [0u16; 8];
        for (segment, pair) in address.iter_mut().zip(ip.chunks_exact(2)) {
            *segment = u16::from_be_bytes([pair[0], pair[1]]);
        }
        Ok((
            time,
            Address {
                services,
                address,
                port,
            },
        ))
    }

    /// btcd `readBlockHeaderBuf`: version, previous hash, merkle root, time, bits and nonce,
    /// each one read.
    pub(super) fn block_header(&mut self) -> Result<Header, BtcdReadError> {
        let mut bytes = Vec::with_capacity(80);
        for n in [4, 32, 32, 4, 4, 4] {
            bytes.extend_from_slice(self.take(n)?);
        }
        // 80 bytes always decode to a header.
        Header::consensus_decode(&mut bytes.as_slice())
            .map_err(|error| BtcdReadError::Other(error.to_string()))
    }

    pub(super) fn hashes<T: Hash<Bytes = [u8; 32]>>(
        &mut self,
        count: u64,
    ) -> Result<Vec<T>, BtcdReadError> {
        (0..count).map(|_| self.hash()).collect()
    }

    pub(super) fn inventory(&mut self, count: u64) -> Result<Vec<Inventory>, BtcdReadError> {
        (0..count)
            .map(|_| {
                let mut bytes = self.take(4)?.to_vec();
                bytes.extend_from_slice(self.take(32)?);
                // 36 bytes always decode to an inventory entry.
                Inventory::consensus_decode(&mut bytes.as_slice())
                    .map_err(|error| BtcdReadError::Other(error.to_string()))
            })
            .collect()
    }
}

//! The byte formats of the structured targets: [`Reader`] takes values from the fuzzer's bytes,
//! [`Writer`] writes the same format, so that the seed corpus (`examples/seed_corpus.rs`) can
//! spell out meaningful inputs. Both read and write integers little-endian; a reader past the end
//! of its bytes yields zeros, so every byte string is a valid input.

/// Reads values from the front of a fuzz input. Past the end every read yields zero (or an
/// empty slice) and [`Reader::is_empty`] is true.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// One byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((first, rest)) => {
                self.bytes = rest;
                *first
            }
            None => 0,
        }
    }

    /// A little-endian `u16` (missing bytes read as 0).
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// A little-endian `u32` (missing bytes read as 0).
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A little-endian `u64` (missing bytes read as 0).
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Whether the next byte is odd.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A value in `0..n` from one byte (`n` at most 256, at least 1).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(
            (1..=256).contains(&n),
            "below({n}): one byte picks among 1 to 256"
        );
        usize::from(self.u8()) % n
    }

    /// Up to `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        taken
    }

    /// A length-prefixed byte string: a 3-byte little-endian length (so up to 16 MiB, past
    /// the largest frame payload), then that many bytes.
    pub fn blob(&mut self) -> &'a [u8] {
        let len = usize::from(self.u16()) | usize::from(self.u8()) << 16;
        self.bytes(len)
    }

    /// Every byte not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.bytes.len())
    }
}

/// Writes the format [`Reader`] reads (for seed inputs).
#[derive(Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty input.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) -> &mut Writer {
        self.bytes.push(value);
        self
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, value: u16) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, value: u32) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, value: u64) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Raw bytes, no length.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Writer {
        self.bytes.extend_from_slice(value);
        self
    }

    /// A length-prefixed byte string ([`Reader::blob`]).
    ///
    /// # Panics
    /// If `value` is longer than a 3-byte length can say (16 MiB).
    pub fn blob(&mut self, value: &[u8]) -> &mut Writer {
        assert!(value.len() < 1 << 24, "a blob is shorter than 16 MiB");
        let len = value.len() as u32;
        self.u16(len as u16).u8((len >> 16) as u8).bytes(value)
    }

    /// The input written so far.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_writer_writes_the_reader_reads_back() {
        let bytes = Writer::new()
            .u8(7)
            .u16(0x1234)
            .u32(0xdead_beef)
            .u64(u64::MAX - 1)
            .blob(b"abc")
            .bytes(b"tail")
            .finish();
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.u8(), 7);
        assert_eq!(reader.u16(), 0x1234);
        assert_eq!(reader.u32(), 0xdead_beef);
        assert_eq!(reader.u64(), u64::MAX - 1);
        assert_eq!(reader.blob(), b"abc");
        assert_eq!(reader.rest(), b"tail");
        assert!(reader.is_empty());
        assert_eq!(reader.u32(), 0, "past the end reads zero");
    }
}

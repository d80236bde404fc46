//! The seeded generator of almost-right frames: [`generate`]`(seed, index)` gives one
//! [`WireCase`], the same on every run and platform.
//!
//! Every case is bytes sent after a completed handshake on a fresh connection. The frames are
//! built from rust-bitcoin's encodings (messages, compact sizes, headers, the SHA256d checksum)
//! and then bent: a command field with a NUL inside or a byte outside printable ASCII, another
//! network's magic, a wrong checksum, a declared length above or below the payload, a payload
//! cut at a field boundary or inside a field, bytes after a valid payload, `headers` entries
//! with transaction counts, counts that disagree with the entries, vectors above a limit, a
//! handshake message again, a real command the node does not implement.

use std::fmt;

use bitcoin::BlockHash;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::builder::Builder;
use crate::tools::draw::Draw;

/// Size of a frame header: magic, command, length, checksum (Bitcoin Core `CMessageHeader`).
pub(super) const FRAME_HEADER_BYTES: usize = 24;

/// What kind of almost-right a case is; the report counts cases per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseClass {
    /// The 12 command bytes: NUL inside, non-printable, non-UTF-8, unknown, empty, upper case.
    CommandBytes,
    /// Another network's magic, or random bytes where the magic goes.
    WrongMagic,
    /// A checksum that does not match the payload, on a known or unknown command.
    BadChecksum,
    /// A declared length above, below or far above the payload actually sent.
    DeclaredLength,
    /// A known message's payload cut at a field boundary or inside a field.
    Truncated,
    /// Bytes after a complete, valid payload.
    TrailingBytes,
    /// `headers` entries with a non-zero transaction count.
    HeadersTxCount,
    /// `headers` whose count disagrees with its entries, or is encoded non-canonically.
    HeadersCount,
    /// `version`, `verack`, `ping`, `pong` with empty, short or long payloads.
    HandshakePayload,
    /// Vectors at and above their limit: headers, locators, inventory, addresses.
    OversizedVector,
    /// A handshake message again after the handshake: `version`, `verack`, `wtxidrelay`,
    /// `sendaddrv2`, `sendheaders`.
    DuplicateHandshake,
    /// A real command the node does not implement (bloom filters, compact filters, blocks,
    /// transactions, ...), with an empty, random or plausible payload.
    UnsupportedCommand,
    /// Valid `headers` extending genesis (a control: both must accept), or with a header that
    /// misses the proof of work, or does not connect, or breaks the sequence.
    Headers,
}

impl CaseClass {
    /// Every class, in report order.
    pub const ALL: [CaseClass; 13] = [
        CaseClass::CommandBytes,
        CaseClass::WrongMagic,
        CaseClass::BadChecksum,
        CaseClass::DeclaredLength,
        CaseClass::Truncated,
        CaseClass::TrailingBytes,
        CaseClass::HeadersTxCount,
        CaseClass::HeadersCount,
        CaseClass::HandshakePayload,
        CaseClass::OversizedVector,
        CaseClass::DuplicateHandshake,
        CaseClass::UnsupportedCommand,
        CaseClass::Headers,
    ];

    /// The class's name in reports, e.g. `command-bytes`.
    pub fn name(self) -> &'static str {
        match self {
            CaseClass::CommandBytes => "command-bytes",
            CaseClass::WrongMagic => "wrong-magic",
            CaseClass::BadChecksum => "bad-checksum",
            CaseClass::DeclaredLength => "declared-length",
            CaseClass::Truncated => "truncated",
            CaseClass::TrailingBytes => "trailing-bytes",
            CaseClass::HeadersTxCount => "headers-tx-count",
            CaseClass::HeadersCount => "headers-count",
            CaseClass::HandshakePayload => "handshake-payload",
            CaseClass::OversizedVector => "oversized-vector",
            CaseClass::DuplicateHandshake => "duplicate-handshake",
            CaseClass::UnsupportedCommand => "unsupported-command",
            CaseClass::Headers => "headers",
        }
    }
}

impl fmt::Display for CaseClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generated case: the bytes to send after the handshake, in pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireCase {
    /// The run's seed.
    pub seed: u64,
    /// The case's index within the run (its rng stream).
    pub index: u64,
    /// Its class.
    pub class: CaseClass,
    /// What it is, for people: e.g. ``ping payload cut to 3 of 8 bytes``.
    pub what: String,
    /// The bytes, split where the case splits them; each piece is written (and flushed) on
    /// its own, a few milliseconds after the previous one.
    pub pieces: Vec<Vec<u8>>,
    /// When the case carries headers: the one whose presence in the peer's block index tells
    /// whether the message was accepted (the last of the message).
    pub probe_header: Option<BlockHash>,
}

impl WireCase {
    /// All the bytes in one piece.
    pub fn bytes(&self) -> Vec<u8> {
        self.pieces.concat()
    }

    /// The bytes in lower-case hex (long cases are cut after 512 bytes, with the total).
    pub fn hex(&self) -> String {
        const SHOWN_BYTES_MAX: usize = 512;
        let bytes = self.bytes();
        let shown: String = bytes
            .iter()
            .take(SHOWN_BYTES_MAX)
            .map(|b| format!("{b:02x}"))
            .collect();
        if bytes.len() > SHOWN_BYTES_MAX {
            format!("{shown}... ({} bytes in all)", bytes.len())
        } else {
            shown
        }
    }
}

/// The case of `(seed, index)`: a fresh [`ChaCha8Rng`] seeded with `seed` on stream `index`,
/// so any one case can be regenerated alone.
pub fn generate(seed: u64, index: u64) -> WireCase {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let mut draw = Draw(rng);
    let class = CaseClass::ALL[draw.index(CaseClass::ALL.len())];
    let mut builder = Builder::new(&mut draw, bitcoin::p2p::Magic::REGTEST.to_bytes(), index);
    let (what, frame, probe_header) = builder.build(class);
    let pieces = split(&mut draw, frame);
    WireCase {
        seed,
        index,
        class,
        what,
        pieces,
        probe_header,
    }
}

/// Cuts `bytes` into one to three pieces at random offsets (one piece in half the cases).
fn split(draw: &mut Draw, bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if bytes.len() < 2 || draw.chance(50) {
        return vec![bytes];
    }
    let cuts = draw.range(1, 2) as usize;
    let mut offsets: Vec<usize> = (0..cuts).map(|_| 1 + draw.index(bytes.len() - 1)).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for offset in offsets {
        pieces.push(bytes[start..offset].to_vec());
        start = offset;
    }
    pieces.push(bytes[start..].to_vec());
    pieces
}

#[cfg(test)]
mod tests {
    use bitcoin::block::Header;

    use super::*;

    #[test]
    fn a_case_is_the_same_when_generated_again_and_alone() {
        let first: Vec<WireCase> = (0..200).map(|i| generate(7, i)).collect();
        let again: Vec<WireCase> = (0..200).rev().map(|i| generate(7, i)).collect();
        let again: Vec<WireCase> = again.into_iter().rev().collect();
        assert_eq!(first, again);
        assert_ne!(generate(7, 0), generate(8, 0));
    }

    #[test]
    fn every_class_is_drawn_in_a_few_hundred_cases() {
        let drawn: std::collections::BTreeSet<CaseClass> =
            (0..500).map(|i| generate(1, i).class).collect();
        assert_eq!(drawn.len(), CaseClass::ALL.len(), "drawn: {drawn:?}");
    }

    #[test]
    fn pieces_put_together_are_the_frame() {
        for i in 0..300 {
            let case = generate(3, i);
            assert!(!case.pieces.is_empty());
            assert!(
                case.pieces.iter().all(|p| !p.is_empty()),
                "case {i}: an empty piece"
            );
            assert!(
                case.bytes().len() >= FRAME_HEADER_BYTES,
                "case {i}: {}",
                case.what
            );
        }
    }

    #[test]
    fn valid_headers_cases_decode_with_rust_bitcoin_and_meet_the_proof_of_work() {
        let mut seen = 0;
        for i in 0..400 {
            let case = generate(5, i);
            if case.class != CaseClass::Headers || !case.what.starts_with("valid") {
                continue;
            }
            seen += 1;
            let mut decoder = node::wire::FrameDecoder::new(bitcoin::p2p::Magic::REGTEST);
            decoder.extend(&case.bytes());
            let Ok(Some(node::wire::NetworkMessage::Headers(headers))) = decoder.decode_next()
            else {
                panic!("case {i} does not decode: {}", case.what);
            };
            assert_eq!(headers.last().map(Header::block_hash), case.probe_header);
            for header in &headers {
                header
                    .validate_pow(header.target())
                    .expect("meets regtest's target");
            }
        }
        assert!(seen > 5, "only {seen} valid headers cases");
    }
}

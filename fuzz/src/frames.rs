//! Target `frame_decoding`: a byte stream, cut into chunks, through the node's
//! [`FrameDecoder`] in one of its three dialects.
//!
//! Input: a dialect byte, a chunking byte, a mode byte, then either the raw stream (mode even)
//! or records that build it (mode odd): whole frames of a known or an arbitrary 12-byte command
//! with a right or wrong checksum, a frame whose length field lies, or raw bytes. The records
//! mode lets the fuzzer past the checksum, which it cannot compute itself (Core's own fuzz
//! build skips the checksum instead; the node is not built differently for fuzzing).
//!
//! Checked after every chunk and every decoded frame:
//! - nothing panics;
//! - the decoder holds at most one frame header, the largest payload and one chunk
//!   ([`PAYLOAD_SIZE_BYTES_MAX`]);
//! - framing is lossless: a call to `decode_next` that returns a message or a frame's error
//!   consumed nothing or exactly one frame, 24 header bytes and the payload length they
//!   announce, and a frame that decoded to a message re-frames (`wire::encode_raw` of its
//!   command and payload) to the very bytes it was cut from (under btcd but for the checksum,
//!   which btcd does not check for a command it has no reader for, and but for an unknown
//!   command, whose bytes past the trailing NULs btcd does not check either);
//! - a message read without loss (the dialect's reading equals rust-bitcoin's reading of the
//!   whole payload; always so in the plain dialect, which is rust-bitcoin's) re-encodes to the
//!   very payload it came from, up to the byte of a boolean field (any non-zero byte reads as
//!   true everywhere, and is written back as 1). btcd and Core read some payloads their own way (a `version`
//!   at the sender's protocol version, trailing bytes ignored, values rust-bitcoin refuses such
//!   as an out-of-range `feefilter`); those need only frame losslessly.

use bitcoin::p2p::Magic;
use node::wire::{
    self, Dialect, FrameDecoder, NetworkMessage, HEADER_SIZE_BYTES, PAYLOAD_SIZE_BYTES_MAX,
};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::input::{Reader, Writer};

/// Every command rust-bitcoin 0.32 knows (`NetworkMessage::cmd`), the order the records mode
/// picks from; `fuzz/commands.dict` lists the same names for libFuzzer.
pub const COMMANDS: [&str; 37] = [
    "version",
    "verack",
    "addr",
    "inv",
    "getdata",
    "notfound",
    "getblocks",
    "getheaders",
    "mempool",
    "tx",
    "block",
    "headers",
    "sendheaders",
    "getaddr",
    "ping",
    "pong",
    "merkleblock",
    "filterload",
    "filteradd",
    "filterclear",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "sendcmpct",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "alert",
    "reject",
    "feefilter",
    "wtxidrelay",
    "addrv2",
    "sendaddrv2",
    "notacommand",
];

/// The magic every input uses (regtest's), so that the records mode's frames are this
/// network's; the raw mode can still write any other.
pub fn magic() -> Magic {
    wire::magic_for(bitcoin::Network::Regtest)
}

/// The dialect an input's first byte picks.
fn dialect_of(byte: u8) -> Dialect {
    match byte % 3 {
        0 => Dialect::Plain,
        1 => Dialect::Btcd,
        _ => Dialect::Core,
    }
}

/// A frame of `command` (12 bytes, as on the wire) announcing `announced` payload bytes.
fn frame_bytes(command: [u8; 12], announced: u32, payload: &[u8], good_checksum: bool) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER_SIZE_BYTES + payload.len());
    frame.extend_from_slice(&magic().to_bytes());
    frame.extend_from_slice(&command);
    frame.extend_from_slice(&announced.to_le_bytes());
    let checksum = checksum_of(payload);
    if good_checksum {
        frame.extend_from_slice(&checksum);
    } else {
        frame.extend_from_slice(&checksum.map(|b| !b));
    }
    frame.extend_from_slice(payload);
    frame
}

/// The first 4 bytes of SHA256d(`payload`), the frame checksum.
fn checksum_of(payload: &[u8]) -> [u8; 4] {
    use bitcoin::hashes::{sha256d, Hash};
    let digest = sha256d::Hash::hash(payload);
    let mut out = [0u8; 4];
    out.copy_from_slice(&digest.as_byte_array()[..4]);
    out
}

/// `name` NUL-padded to 12 bytes.
fn command_bytes(name: &str) -> [u8; 12] {
    let mut command = [0u8; 12];
    command[..name.len()].copy_from_slice(name.as_bytes());
    command
}

/// The stream an input describes (see the module docs).
fn stream_of(reader: &mut Reader<'_>, records: bool) -> Vec<u8> {
    if !records {
        return reader.rest().to_vec();
    }
    let mut stream = Vec::new();
    while !reader.is_empty() {
        match reader.u8() % 4 {
            0 => {
                let command = command_bytes(COMMANDS[reader.below(COMMANDS.len())]);
                let good = !reader.u8().is_multiple_of(8);
                let payload = reader.blob();
                let len = u32::try_from(payload.len()).expect("a blob fits u32");
                stream.extend(frame_bytes(command, len, payload, good));
            }
            1 => {
                let mut command = [0u8; 12];
                command.copy_from_slice(&pad12(reader.bytes(12)));
                let good = reader.bool();
                let payload = reader.blob();
                let len = u32::try_from(payload.len()).expect("a blob fits u32");
                stream.extend(frame_bytes(command, len, payload, good));
            }
            2 => stream.extend_from_slice(reader.blob()),
            _ => {
                let command = command_bytes(COMMANDS[reader.below(COMMANDS.len())]);
                let announced = reader.u32();
                let payload = reader.blob();
                stream.extend(frame_bytes(command, announced, payload, true));
            }
        }
    }
    stream
}

fn pad12(bytes: &[u8]) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..bytes.len()].copy_from_slice(bytes);
    out
}

/// Chunk lengths for a stream of `len` bytes: drawn from a ChaCha8 stream seeded by the
/// input's chunking byte, between 1 and a maximum that byte also picks (1 byte to 64 KiB).
fn chunks(len: usize, seed: u8) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(seed));
    let chunk_max = 1usize << (seed % 17);
    let mut out = Vec::new();
    let mut left = len;
    while left > 0 {
        let next = (1 + (rng.next_u32() as usize) % chunk_max).min(left);
        out.push(next);
        left -= next;
    }
    out
}

/// Runs one input (see the module docs); panics on a broken property.
pub fn check(data: &[u8]) {
    let mut reader = Reader::new(data);
    let dialect = dialect_of(reader.u8());
    let chunk_seed = reader.u8();
    let records = reader.bool();
    let stream = stream_of(&mut reader, records);

    let mut decoder = FrameDecoder::with_dialect(magic(), dialect);
    // Stream offset of the first byte not yet consumed by the decoder.
    let mut consumed_to = 0usize;
    let mut fed = 0usize;
    for chunk_len in chunks(stream.len(), chunk_seed) {
        decoder.extend(&stream[fed..fed + chunk_len]);
        fed += chunk_len;
        assert!(
            decoder.buffered_len() <= HEADER_SIZE_BYTES + PAYLOAD_SIZE_BYTES_MAX + chunk_len,
            "the decoder holds {} bytes after a chunk of {chunk_len}",
            decoder.buffered_len()
        );
        loop {
            let before = decoder.buffered_len();
            let result = decoder.decode_next();
            if decoder.is_poisoned() {
                break;
            }
            let after = decoder.buffered_len();
            let taken = before - after;
            let frame = &stream[consumed_to..consumed_to + taken];
            consumed_to += taken;
            match result {
                Ok(None) => {
                    assert_eq!(taken, 0, "an incomplete frame consumed {taken} bytes");
                    break;
                }
                Ok(Some(message)) => check_frame(dialect, frame, &message),
                Err(_) => assert_whole_frame(frame),
            }
        }
        if decoder.is_poisoned() {
            assert_eq!(decoder.buffered_len(), 0, "a poisoned decoder holds bytes");
            break;
        }
    }
    assert!(consumed_to <= fed);
}

/// `frame` is nothing, or one whole frame: its header and the payload length it announces.
fn assert_whole_frame(frame: &[u8]) {
    if frame.is_empty() {
        return;
    }
    assert!(
        frame.len() >= HEADER_SIZE_BYTES,
        "a frame's error consumed {} bytes, less than a header",
        frame.len()
    );
    let announced = u32::from_le_bytes(frame[16..20].try_into().expect("4 bytes")) as usize;
    assert_eq!(
        frame.len(),
        HEADER_SIZE_BYTES + announced,
        "a frame announcing {announced} payload bytes consumed {} bytes",
        frame.len()
    );
}

/// The properties of one frame that decoded to `message`.
fn check_frame(dialect: Dialect, frame: &[u8], message: &NetworkMessage) {
    assert_whole_frame(frame);
    assert!(!frame.is_empty(), "a decoded message consumed no bytes");
    let payload = &frame[HEADER_SIZE_BYTES..];
    let command = wire::command_name(message);
    if dialect == Dialect::Btcd && matches!(message, NetworkMessage::Unknown { .. }) {
        // btcd drops a command it does not know before it looks at the checksum or the
        // command's bytes past the trailing NULs (docs/btcd-wire.md rows 1, 2c, 2d, 4b): such
        // a frame is only skipped, whatever those bytes are.
        return;
    }
    let mut reframed = wire::encode_raw(magic(), &command, payload);
    if dialect == Dialect::Btcd {
        // btcd checks no checksum of a command it has no reader for at the connection's
        // protocol version (the node hands rust-bitcoin's reading of it on, or `Unknown`).
        reframed[20..24].copy_from_slice(&frame[20..24]);
    }
    assert_eq!(
        reframed, frame,
        "the `{command}` frame does not re-frame to the bytes it was cut from"
    );
    if matches!(message, NetworkMessage::Unknown { .. }) {
        // Passed on unread (an unknown command, or one the dialect's node does not read): its
        // payload is the one that came, re-framed above.
        return;
    }
    // rust-bitcoin's whole reading of the same frame, and whether the dialect read it alike.
    let mut plain = FrameDecoder::new(magic());
    plain.extend(frame);
    let plain_reading = plain.decode_next();
    let without_loss = matches!(&plain_reading, Ok(Some(read)) if read == message);
    if dialect == Dialect::Plain {
        assert!(
            without_loss,
            "the plain dialect read `{command}` unlike itself: {plain_reading:?}"
        );
    }
    if without_loss {
        let encoded = wire::encode(magic(), message.clone());
        let payload = &canonical_bools(message, payload);
        assert!(
            encoded[HEADER_SIZE_BYTES..] == *payload,
            "`{command}` read without loss in the {dialect:?} dialect re-encodes to other bytes \
             (from byte {} on):\n  in:  {}\n  out: {}",
            first_difference(payload, &encoded[HEADER_SIZE_BYTES..]),
            hex(&payload
                [first_difference(payload, &encoded[HEADER_SIZE_BYTES..]).min(payload.len())..]),
            hex(&encoded
                [HEADER_SIZE_BYTES + first_difference(payload, &encoded[HEADER_SIZE_BYTES..])..])
        );
    }
}

/// `payload` with each boolean field's byte as rust-bitcoin writes it back (0 or 1): Bitcoin
/// Core, btcd and rust-bitcoin all read any non-zero byte as true, so a `version`'s `relay` or a
/// `sendcmpct`'s first byte of 2 reads as true and is written as 1 (a loss of all three
/// readings, not of one dialect).
fn canonical_bools(message: &NetworkMessage, payload: &[u8]) -> Vec<u8> {
    let mut out = payload.to_vec();
    let offset = match message {
        NetworkMessage::Version(_) => out.len().checked_sub(1),
        NetworkMessage::SendCmpct(_) => Some(0),
        _ => None,
    };
    if let Some(byte) = offset.and_then(|at| out.get_mut(at)) {
        *byte = u8::from(*byte != 0);
    }
    out
}

/// Offset of the first byte where `a` and `b` differ (the shorter length if one is a prefix).
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

fn hex(bytes: &[u8]) -> String {
    use bitcoin::hex::DisplayHex;
    let shown = &bytes[..bytes.len().min(64)];
    format!(
        "{}{}",
        shown.to_lower_hex_string(),
        if bytes.len() > 64 { "…" } else { "" }
    )
}

/// Seed inputs: each scenario trace's frames are not stored as bytes, so the seeds are frames
/// of every command as the fake peers write them, built by `examples/seed_corpus.rs`, in both
/// modes and all three dialects.
pub fn seed(dialect: u8, chunk_seed: u8, frames: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = Writer::new();
    writer.u8(dialect).u8(chunk_seed).u8(1);
    for (command, payload) in frames {
        match COMMANDS.iter().position(|c| c == command) {
            Some(index) => {
                writer
                    .u8(0)
                    .u8(u8::try_from(index).expect("fewer than 256 commands"))
                    .u8(1)
                    .blob(payload);
            }
            None => {
                writer
                    .u8(1)
                    .bytes(&pad12(command.as_bytes()))
                    .u8(1)
                    .blob(payload);
            }
        }
    }
    writer.finish()
}

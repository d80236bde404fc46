//! `sim import-capture`: Bitcoin Core's message capture of one peer as a replay scenario.
//!
//! `bitcoind -capturemessages` writes, for each peer, a folder
//! `<datadir>/<network>/message_capture/<address with ':' as '_'>/` holding `msgs_recv.dat`
//! (what the peer sent) and `msgs_sent.dat` (what bitcoind sent it). Each file is a sequence of
//! records (Core `net.cpp` `CaptureMessageToFile`): the time in microseconds since the Unix
//! epoch (8 bytes, little-endian), the message type (12 bytes, NUL-padded), the payload length
//! (4 bytes, little-endian) and the payload. Core writes a record when it processes a received
//! message and when it sends one, so the two files merged by time give the session in Core's
//! order.
//!
//! [`Capture::to_recording`] turns a capture into the same [`Recording`] that `sim record`
//! makes, with one side as the node's and the other replayed ([`Replay`]); from there
//! [`Recording::to_scenario`] writes the scenario, each replayed message keyed to the node's
//! request it answers.

use std::fmt;
use std::path::{Path, PathBuf};

use bitcoin::hex::DisplayHex;
use node::wire;

use super::record::RecordedFrame;
use super::record::Recording;

/// File of the messages bitcoind received from the peer.
pub const RECV_FILE: &str = "msgs_recv.dat";
/// File of the messages bitcoind sent to the peer.
pub const SENT_FILE: &str = "msgs_sent.dat";

/// Bytes before a record's payload: time (8), message type (12), length (4).
const RECORD_HEADER_BYTES: usize = 8 + wire::COMMAND_SIZE_BYTES + 4;

/// Bitcoin Core's message types (`protocol.h` `NetMsgType`, `ALL_NET_MESSAGE_TYPES` in
/// `protocol.cpp`); a capture record of any other type is refused.
pub const CORE_MESSAGE_TYPES: [&str; 35] = [
    "version",
    "verack",
    "addr",
    "addrv2",
    "sendaddrv2",
    "inv",
    "getdata",
    "merkleblock",
    "getblocks",
    "getheaders",
    "tx",
    "headers",
    "block",
    "getaddr",
    "mempool",
    "ping",
    "pong",
    "notfound",
    "filterload",
    "filteradd",
    "filterclear",
    "sendheaders",
    "feefilter",
    "sendcmpct",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "wtxidrelay",
    "sendtxrcncl",
];

/// One captured message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedMessage {
    /// When Core processed or sent it, microseconds since the Unix epoch (Core's clock, mock
    /// time included).
    pub time_us: i64,
    /// Its message type.
    pub command: String,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or folder.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No capture folder for the peer was found.
    #[error("no capture folder for peer {peer} in {dir} (looked in: {looked}; peers captured there: {found})")]
    NoPeer {
        /// The folder given.
        dir: String,
        /// The peer asked for.
        peer: String,
        /// The folders looked in.
        looked: String,
        /// The peer folders found, or `none`.
        found: String,
    },
    /// Only one of the two files is there.
    #[error("{folder}: {missing} is missing beside {present}; a peer's capture folder holds both")]
    MissingFile {
        /// The peer's capture folder.
        folder: String,
        /// The file that is missing.
        missing: &'static str,
        /// The file that is there.
        present: &'static str,
    },
    /// A record ends before its header or payload does.
    #[error("{file}: record {index} at byte {offset} is cut short: {what}")]
    Truncated {
        /// The file.
        file: String,
        /// The record's index, from 0.
        index: usize,
        /// Its first byte's offset.
        offset: usize,
        /// What is missing.
        what: String,
    },
    /// A record's message type is not valid: bytes after the NUL padding, or characters that
    /// are not printable ASCII.
    #[error("{file}: record {index} at byte {offset}: the message type field {hex} is not a NUL-padded ASCII name")]
    BadCommand {
        /// The file.
        file: String,
        /// The record's index.
        index: usize,
        /// Its first byte's offset.
        offset: usize,
        /// The 12 bytes, hex.
        hex: String,
    },
    /// A record's message type is not one of Core's ([`CORE_MESSAGE_TYPES`]).
    #[error("{file}: record {index} at byte {offset}: unknown command `{command}` (not a Bitcoin Core message type)")]
    UnknownCommand {
        /// The file.
        file: String,
        /// The record's index.
        index: usize,
        /// Its first byte's offset.
        offset: usize,
        /// The message type.
        command: String,
    },
    /// A record announces a payload larger than any P2P message.
    #[error("{file}: record {index} at byte {offset}: a `{command}` of {length_bytes} bytes, more than the largest message ({max} bytes)")]
    TooLong {
        /// The file.
        file: String,
        /// The record's index.
        index: usize,
        /// Its first byte's offset.
        offset: usize,
        /// The message type.
        command: String,
        /// The announced length.
        length_bytes: u64,
        /// [`wire::PAYLOAD_SIZE_BYTES_MAX`].
        max: usize,
    },
    /// Neither file holds a message.
    #[error("{folder}: the capture holds no message")]
    Empty {
        /// The peer's capture folder.
        folder: String,
    },
}

/// Reads one capture file's records (`msgs_recv.dat` or `msgs_sent.dat` format); `file` only
/// names it in errors.
///
/// # Errors
/// [`CaptureError::Truncated`], [`CaptureError::BadCommand`],
/// [`CaptureError::UnknownCommand`] or [`CaptureError::TooLong`] for the first bad record.
pub fn parse_capture_file(file: &str, bytes: &[u8]) -> Result<Vec<CapturedMessage>, CaptureError> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let index = out.len();
        let rest = &bytes[offset..];
        let Some(header) = rest.first_chunk::<RECORD_HEADER_BYTES>() else {
            return Err(CaptureError::Truncated {
                file: file.to_string(),
                index,
                offset,
                what: format!(
                    "{} of the {RECORD_HEADER_BYTES} bytes of time, message type and length",
                    rest.len()
                ),
            });
        };
        let mut time = [0u8; 8];
        time.copy_from_slice(&header[..8]);
        let mut raw_command = [0u8; wire::COMMAND_SIZE_BYTES];
        raw_command.copy_from_slice(&header[8..8 + wire::COMMAND_SIZE_BYTES]);
        let mut length = [0u8; 4];
        length.copy_from_slice(&header[8 + wire::COMMAND_SIZE_BYTES..]);
        let length = u32::from_le_bytes(length);
        let command = command_of(&raw_command).ok_or_else(|| CaptureError::BadCommand {
            file: file.to_string(),
            index,
            offset,
            hex: raw_command.to_lower_hex_string(),
        })?;
        if !CORE_MESSAGE_TYPES.contains(&command.as_str()) {
            return Err(CaptureError::UnknownCommand {
                file: file.to_string(),
                index,
                offset,
                command,
            });
        }
        // Lossless: usize is at least 32 bits wherever this builds.
        let payload_len = length as usize;
        if payload_len > wire::PAYLOAD_SIZE_BYTES_MAX {
            return Err(CaptureError::TooLong {
                file: file.to_string(),
                index,
                offset,
                command,
                length_bytes: u64::from(length),
                max: wire::PAYLOAD_SIZE_BYTES_MAX,
            });
        }
        let Some(payload) = rest[RECORD_HEADER_BYTES..].get(..payload_len) else {
            return Err(CaptureError::Truncated {
                file: file.to_string(),
                index,
                offset,
                what: format!(
                    "a `{command}` payload of {payload_len} bytes, of which {} are there",
                    rest.len() - RECORD_HEADER_BYTES
                ),
            });
        };
        out.push(CapturedMessage {
            time_us: i64::from_le_bytes(time),
            command,
            payload: payload.to_vec(),
        });
        offset += RECORD_HEADER_BYTES + payload_len;
    }
    Ok(out)
}

/// The name in a 12-byte message type field: printable ASCII, then only NULs; `None`
/// otherwise (Core's `CMessageHeader::IsMessageTypeValid`).
fn command_of(raw: &[u8; wire::COMMAND_SIZE_BYTES]) -> Option<String> {
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    let (name, padding) = raw.split_at(end);
    let valid = !name.is_empty()
        && name.iter().all(|b| (b' '..=b'~').contains(b))
        && padding.iter().all(|b| *b == 0);
    valid.then(|| String::from_utf8_lossy(name).into_owned())
}

/// One peer's capture: both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The peer folder read.
    pub folder: PathBuf,
    /// The peer's address, as given.
    pub peer: String,
    /// What bitcoind received from the peer, in file order.
    pub recv: Vec<CapturedMessage>,
    /// What bitcoind sent to the peer, in file order.
    pub sent: Vec<CapturedMessage>,
}

/// Which side of a capture replays against the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The captured peer's messages (`msgs_recv.dat`) replay; the node stands where bitcoind
    /// stood, its requests keyed to bitcoind's (`msgs_sent.dat`).
    Peer,
    /// bitcoind's own messages (`msgs_sent.dat`) replay; the node stands where the peer stood
    /// (when the peer was a header-syncing node), its requests keyed to the peer's.
    Bitcoind,
}

impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Replay::Peer => "peer",
            Replay::Bitcoind => "bitcoind",
        })
    }
}

/// The folder name Core gives `peer` (`ToStringAddrPort` with `:` replaced by `_`).
pub fn folder_name(peer: &str) -> String {
    peer.replace(':', "_")
}

/// The folders where the capture of `peer` may be, for `dir` given as the peer's folder, a
/// `message_capture` folder, a network's data folder or bitcoind's `-datadir`.
fn candidates(dir: &Path, peer: &str) -> Vec<PathBuf> {
    let name = folder_name(peer);
    let mut out = vec![
        dir.to_path_buf(),
        dir.join(&name),
        dir.join("message_capture").join(&name),
    ];
    for network in ["regtest", "testnet3", "testnet4", "signet"] {
        out.push(dir.join(network).join("message_capture").join(&name));
    }
    out
}

/// Reads the capture of `peer` from `dir` (the peer's folder, a `message_capture` folder, a
/// network's data folder or bitcoind's `-datadir`).
///
/// # Errors
/// [`CaptureError::NoPeer`] naming the folders looked in and the peers found,
/// [`CaptureError::MissingFile`] when only one of the two files is there,
/// [`CaptureError::Empty`], [`CaptureError::Read`], or a file's first bad record.
pub fn load_capture(dir: &Path, peer: &str) -> Result<Capture, CaptureError> {
    let looked = candidates(dir, peer);
    let folder = looked
        .iter()
        .find(|f| f.join(RECV_FILE).exists() || f.join(SENT_FILE).exists())
        .cloned()
        .ok_or_else(|| CaptureError::NoPeer {
            dir: dir.display().to_string(),
            peer: peer.to_string(),
            looked: looked
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            found: peers_found(dir),
        })?;
    let recv_path = folder.join(RECV_FILE);
    let sent_path = folder.join(SENT_FILE);
    match (recv_path.exists(), sent_path.exists()) {
        (true, false) => {
            return Err(CaptureError::MissingFile {
                folder: folder.display().to_string(),
                missing: SENT_FILE,
                present: RECV_FILE,
            })
        }
        (false, true) => {
            return Err(CaptureError::MissingFile {
                folder: folder.display().to_string(),
                missing: RECV_FILE,
                present: SENT_FILE,
            })
        }
        _ => {}
    }
    let read = |path: &Path| -> Result<Vec<CapturedMessage>, CaptureError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| CaptureError::Read {
            path: shown.clone(),
            source,
        })?;
        parse_capture_file(&shown, &bytes)
    };
    let capture = Capture {
        recv: read(&recv_path)?,
        sent: read(&sent_path)?,
        folder: folder.clone(),
        peer: peer.to_string(),
    };
    if capture.recv.is_empty() && capture.sent.is_empty() {
        return Err(CaptureError::Empty {
            folder: folder.display().to_string(),
        });
    }
    Ok(capture)
}

/// The peer folders under `dir`'s `message_capture` folders, for an error message.
fn peers_found(dir: &Path) -> String {
    let mut roots = vec![dir.to_path_buf(), dir.join("message_capture")];
    for network in ["regtest", "testnet3", "testnet4", "signet"] {
        roots.push(dir.join(network).join("message_capture"));
    }
    let mut found: Vec<String> = roots
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join(RECV_FILE).exists() || path.join(SENT_FILE).exists())
        .filter_map(|path| {
            path.file_name()
                .map(|n| n.to_string_lossy().replacen('_', ":", 1))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        "none".to_string()
    } else {
        found.join(", ")
    }
}

impl Capture {
    /// The capture as a [`Recording`] of `network`: both files merged by time (a received
    /// message before a sent one of the same microsecond, since Core records a message when
    /// it processes it, before the replies it sends), each message framed with the network's
    /// magic and its checksum, `replay`'s side as the peer and the other as the node; times
    /// from the first message, to the millisecond.
    pub fn to_recording(&self, network: bitcoin::Network, replay: Replay) -> Recording {
        let magic = wire::magic_for(network);
        // (time, 0 for received and 1 for sent, order in its file)
        let mut merged: Vec<(i64, u8, usize, &CapturedMessage)> = self
            .recv
            .iter()
            .enumerate()
            .map(|(i, m)| (m.time_us, 0u8, i, m))
            .chain(
                self.sent
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.time_us, 1u8, i, m)),
            )
            .collect();
        merged.sort_by_key(|(time, side, index, _)| (*time, *side, *index));
        let first_us = merged.first().map_or(0, |m| m.0);
        let last_us = merged.last().map_or(0, |m| m.0);
        let ms_since_first = |time_us: i64| u64::try_from((time_us - first_us) / 1000).unwrap_or(0);
        let frames = merged
            .iter()
            .map(|(time_us, side, _, message)| {
                let sent_by_bitcoind = *side == 1;
                RecordedFrame {
                    at_ms: ms_since_first(*time_us),
                    from_node: match replay {
                        Replay::Peer => sent_by_bitcoind,
                        Replay::Bitcoind => !sent_by_bitcoind,
                    },
                    command: message.command.clone(),
                    bytes: wire::encode_raw(magic, &message.command, &message.payload),
                }
            })
            .collect();
        let replayed = match replay {
            Replay::Peer => format!("the captured peer {}", self.peer),
            Replay::Bitcoind => format!("bitcoind (which captured peer {})", self.peer),
        };
        Recording {
            started_unix_ms: u64::try_from(first_us / 1000).unwrap_or(0),
            length_ms: ms_since_first(last_us),
            upstream: replayed,
            frames,
            peer_closed: None,
            notes: vec![format!(
                "imported from Bitcoin Core's message capture {} ({} received, {} sent)",
                self.folder.display(),
                self.recv.len(),
                self.sent.len()
            )],
            ended_by: "the end of the capture".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time_us: i64, command: &str, payload: &[u8]) -> Vec<u8> {
        let mut out = time_us.to_le_bytes().to_vec();
        let mut raw = [0u8; 12];
        raw[..command.len()].copy_from_slice(command.as_bytes());
        out.extend_from_slice(&raw);
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn folder_with(recv: &[u8], sent: Option<&[u8]>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let peer = dir.path().join("regtest/message_capture/127.0.0.1_18444");
        std::fs::create_dir_all(&peer).expect("folder");
        std::fs::write(peer.join(RECV_FILE), recv).expect("recv");
        if let Some(sent) = sent {
            std::fs::write(peer.join(SENT_FILE), sent).expect("sent");
        }
        dir
    }

    #[test]
    fn records_are_read_with_their_time_type_and_payload() {
        let mut bytes = record(1_700_000_000_000_001, "ping", &7u64.to_le_bytes());
        bytes.extend(record(1_700_000_000_500_000, "verack", &[]));
        let messages = parse_capture_file("f", &bytes).expect("reads");
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].time_us, 1_700_000_000_000_001);
        assert_eq!(messages[0].command, "ping");
        assert_eq!(messages[0].payload, 7u64.to_le_bytes());
        assert_eq!(messages[1].command, "verack");
        assert!(messages[1].payload.is_empty());
    }

    #[test]
    fn a_truncated_record_names_the_file_record_and_offset() {
        let mut bytes = record(1, "ping", &[0; 8]);
        let second = record(2, "pong", &[0; 8]);
        bytes.extend_from_slice(&second[..second.len() - 3]);
        let error = parse_capture_file("msgs_recv.dat", &bytes).expect_err("cut short");
        assert!(
            matches!(
                error,
                CaptureError::Truncated {
                    index: 1,
                    offset: 32,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "msgs_recv.dat: record 1 at byte 32 is cut short: a `pong` payload of 8 bytes, of which 5 are there"
        );
        let header_only = &record(1, "ping", &[])[..10];
        let error = parse_capture_file("f", header_only).expect_err("cut short");
        assert!(error.to_string().contains("10 of the 24 bytes"), "{error}");
    }

    #[test]
    fn an_unknown_or_malformed_command_is_refused() {
        let error = parse_capture_file("f", &record(1, "notacommand", &[])).expect_err("unknown");
        assert!(
            matches!(&error, CaptureError::UnknownCommand { command, .. } if command == "notacommand"),
            "{error:?}"
        );
        let mut bytes = record(1, "ping", &[]);
        bytes[8 + 5] = b'x'; // a byte after the NUL padding began
        let error = parse_capture_file("f", &bytes).expect_err("malformed");
        assert!(
            matches!(error, CaptureError::BadCommand { index: 0, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_folder_with_only_one_file_is_refused() {
        let dir = folder_with(&record(1, "verack", &[]), None);
        let error = load_capture(dir.path(), "127.0.0.1:18444").expect_err("one file");
        assert!(
            matches!(
                error,
                CaptureError::MissingFile {
                    missing: SENT_FILE,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn an_unknown_peer_lists_the_peers_captured() {
        let dir = folder_with(&record(1, "verack", &[]), Some(&[]));
        let error = load_capture(dir.path(), "10.0.0.1:8333").expect_err("no such peer");
        assert!(
            error
                .to_string()
                .contains("peers captured there: 127.0.0.1:18444"),
            "{error}"
        );
    }

    #[test]
    fn the_two_files_merge_by_time_and_the_replayed_side_is_the_peer() {
        let recv = [
            record(1_000_000, "version", &[1]),
            record(3_000_000, "getheaders", &[2]),
        ]
        .concat();
        let sent = [
            record(1_000_000, "version", &[3]),
            record(2_000_000, "verack", &[]),
            record(3_000_000, "headers", &[0]),
        ]
        .concat();
        let dir = folder_with(&recv, Some(&sent));
        let capture = load_capture(dir.path(), "127.0.0.1:18444").expect("loads");
        let recording = capture.to_recording(bitcoin::Network::Regtest, Replay::Bitcoind);
        let order: Vec<(&str, bool, u64)> = recording
            .frames
            .iter()
            .map(|f| (f.command.as_str(), f.from_node, f.at_ms))
            .collect();
        assert_eq!(
            order,
            vec![
                ("version", true, 0),
                ("version", false, 0),
                ("verack", false, 1000),
                ("getheaders", true, 2000),
                ("headers", false, 2000),
            ]
        );
        assert_eq!(recording.started_unix_ms, 1000);
        let script = recording.replay_script();
        assert_eq!(script.messages.len(), 3);
        let headers = &script.messages[2];
        assert_eq!(headers.command, "headers");
        assert_eq!(
            headers.after.as_ref().map(|t| (t.command.as_str(), t.nth)),
            Some(("getheaders", 1))
        );
        // The frame is the payload with the network's header and checksum.
        assert_eq!(
            headers.frame_hex,
            wire::encode_raw(wire::magic_for(bitcoin::Network::Regtest), "headers", &[0])
                .to_lower_hex_string()
        );
        let other_way = capture.to_recording(bitcoin::Network::Regtest, Replay::Peer);
        assert_eq!(
            other_way.node_commands(),
            vec!["version", "verack", "headers"]
        );
    }
}

//! Writes the checked-in seed corpus of every target into `fuzz/corpus/<target>/`, from what the
//! repository holds: the suite's scenario files (their text, and the frames a real bitcoind
//! sent in the recorded ones), messages of every command as rust-bitcoin encodes them, and the
//! regtest fixture chains. Seeds from the real header sets in `../shared/data` are not checked
//! in (that data stays there): `scripts/fuzz-seeds.py` writes them at run time.
//!
//! Run from the repository root:
//! `RUSTUP_TOOLCHAIN=nightly cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus`.

use std::path::{Path, PathBuf};

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_network::{Reject, RejectReason, VersionMessage};
use bitcoin::p2p::ServiceFlags;
use bitcoin::BlockHash;
use headersim_fuzz::{chains, frames, handling, presync, store};
use node::wire::{self, NetworkMessage, HEADER_SIZE_BYTES};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("corpus");
    let scenarios = root.join("../scenarios");

    let mut recorded = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&scenarios)
        .expect("scenarios/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a scenario file is readable");
        let name = path.file_stem().expect("a file name").to_string_lossy();
        write(&corpus, "scenario_loading", &name, text.as_bytes());
        recorded.extend(recorded_frames(&text));
    }

    // frame_decoding: the recorded frames, raw, in each dialect and two chunkings; the same as
    // records; then one frame of each command rust-bitcoin writes.
    let stream: Vec<u8> = recorded.iter().flatten().copied().collect();
    for dialect in 0..3u8 {
        for chunk_seed in [3u8, 16] {
            let mut input = vec![dialect, chunk_seed, 0];
            input.extend_from_slice(&stream);
            write(
                &corpus,
                "frame_decoding",
                &format!("recorded-raw-{dialect}-{chunk_seed}"),
                &input,
            );
        }
        let split: Vec<(String, Vec<u8>)> = recorded
            .iter()
            .map(|frame| (command_of(frame), frame[HEADER_SIZE_BYTES..].to_vec()))
            .collect();
        write(
            &corpus,
            "frame_decoding",
            &format!("recorded-records-{dialect}"),
            &frames::seed(dialect, 9, &split),
        );
        for message in messages() {
            let command = wire::command_name(&message);
            let frame = wire::encode(frames::magic(), message);
            let payload = frame[HEADER_SIZE_BYTES..].to_vec();
            write(
                &corpus,
                "frame_decoding",
                &format!("{command}-{dialect}"),
                &frames::seed(dialect, 12, &[(command.clone(), payload)]),
            );
        }
    }

    for (name, core, flags) in [
        ("btcd", false, 0u8),
        ("core", true, 0),
        ("core-low-work", true, 32),
        ("core-noban", true, 16),
        ("btcd-automatic", false, 8 | 4),
        ("core-automatic", true, 8 | 4),
    ] {
        write(
            &corpus,
            "message_handling",
            name,
            &handling::seed(core, flags),
        );
    }

    for (name, mainnet, required, count) in [
        ("regtest-2500", false, 2500u16, 3000u16),
        ("regtest-short", false, 500, 300),
        ("mainnet-2100", true, 2100, 2100),
        ("regtest-past-buffer", false, 16_000, 16_500),
    ] {
        write(
            &corpus,
            "headers_presync",
            name,
            &presync::seed(mainnet, required, count),
        );
    }

    // kernel_headers: a valid child of main's tip; the same with each field taken from the input.
    let tip_index = u16::try_from(chains::MAIN_TIP_HEIGHT).expect("fits");
    for (name, fields, value) in [
        ("valid-child", 0u8, 0u32),
        ("version-1", 1, 1),
        ("time-back", 8, (-7200i32) as u32),
        ("bits", 16, 0x1d00_ffff),
        ("no-pow-search", 32, 0),
    ] {
        let mut input = tip_index.to_le_bytes().to_vec();
        input.push(fields);
        if fields & 31 != 0 {
            input.extend_from_slice(&value.to_le_bytes());
        }
        input.extend_from_slice(&1u32.to_le_bytes());
        write(&corpus, "kernel_headers", name, &input);
    }

    for (name, steps) in [
        ("intact", vec![]),
        ("truncated-half", vec![(20_000u32, 0u8, 0u8)]),
        ("flip-header-page", vec![(4096 * 3 + 200, 1, 0x10)]),
        ("set-file-header", vec![(16, 2, 0xff)]),
        (
            "flip-two",
            vec![(8192 + 100, 1, 1), (12_288 + 900, 1, 0x80)],
        ),
    ] {
        write(&corpus, "store_loading", name, &store::seed(&steps));
    }
}

fn write(corpus: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus.join(target);
    std::fs::create_dir_all(&dir).expect("the corpus folder is writable");
    std::fs::write(dir.join(name), bytes).expect("a seed is written");
}

/// The `frame_hex` frames of a scenario's replay peers, in file order.
fn recorded_frames(text: &str) -> Vec<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_str(text).expect("a scenario is JSON");
    let mut out = Vec::new();
    collect(&value, &mut out);
    out
}

fn collect(value: &serde_json::Value, out: &mut Vec<Vec<u8>>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(hex)) = map.get("frame_hex") {
                use bitcoin::hex::FromHex;
                out.push(Vec::from_hex(hex).expect("frame_hex is hex"));
            }
            map.values().for_each(|v| collect(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// The command of a whole frame, its NUL padding cut.
fn command_of(frame: &[u8]) -> String {
    let raw = &frame[4..16];
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// A message of each command the node meets, as rust-bitcoin writes it.
fn messages() -> Vec<NetworkMessage> {
    let main = chains::main();
    let hash = |h: usize| main[h].block_hash();
    let addr = Address::new(
        &"10.1.2.3:8333".parse().expect("an address"),
        ServiceFlags::NETWORK,
    );
    let version = VersionMessage::new(
        ServiceFlags::NETWORK | ServiceFlags::WITNESS,
        1_700_000_000,
        addr.clone(),
        addr.clone(),
        42,
        "/Satoshi:27.0.0/".into(),
        2100,
    );
    vec![
        NetworkMessage::Version(version),
        NetworkMessage::Verack,
        NetworkMessage::SendHeaders,
        NetworkMessage::WtxidRelay,
        NetworkMessage::SendAddrV2,
        NetworkMessage::GetAddr,
        NetworkMessage::MemPool,
        NetworkMessage::Ping(7),
        NetworkMessage::Pong(7),
        NetworkMessage::FeeFilter(1000),
        NetworkMessage::SendCmpct(wire::SendCmpct {
            send_compact: false,
            version: 2,
        }),
        NetworkMessage::GetHeaders(GetHeadersMessage::new(
            vec![hash(2100), hash(2099), hash(2000), hash(0)],
            BlockHash::all_zeros(),
        )),
        NetworkMessage::Headers(main[1..=20].to_vec()),
        NetworkMessage::Headers(main[1..=2000].to_vec()),
        NetworkMessage::Inv(vec![Inventory::Block(hash(2100))]),
        NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash(5))]),
        NetworkMessage::NotFound(vec![Inventory::Block(hash(6))]),
        NetworkMessage::Addr(vec![(1_700_000_000, addr.clone()); 3]),
        NetworkMessage::AddrV2(vec![AddrV2Message {
            time: 1_700_000_000,
            services: ServiceFlags::NETWORK,
            addr: AddrV2::Ipv4("10.1.2.3".parse().expect("an address")),
            port: 8333,
        }]),
        NetworkMessage::Reject(Reject {
            message: "block".into(),
            ccode: RejectReason::Invalid,
            reason: "bad-diffbits".into(),
            hash: sha256d::Hash::all_zeros(),
        }),
        NetworkMessage::Unknown {
            command: "notacommand".try_into().expect("a command"),
            payload: vec![1, 2, 3],
        },
    ]
}

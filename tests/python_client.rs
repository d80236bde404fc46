//! An independent client drives the `node` binary: Bitcoin Core's functional-test P2P code
//! (`verystable` on PyPI, in the venv from `scripts/install-python-client.sh`) runs
//! `tests/python/client_check.py` against the node over real loopback TCP.
//!
//! Our other real-process tests talk to the node through the same `bitcoin` crate the node is
//! built on, so a framing or encoding mistake shared by both would pass them. Here framing,
//! checksums, message encoding, header hashing and the block locator come from Core's own
//! Python, written by other people. The script checks the node's `version` fields, ping/pong,
//! two 2,000-header `getheaders` replies (the second from a Core-style locator) and that a
//! frame with a bad checksum gets the connection closed; this test then checks that the 4,000
//! hashes the client received are the node's stored headers 1..=4000 in order, that the
//! version nonce the client saw is the one the node traced, and that the node's trace names
//! the bad checksum (both values) as the reason it disconnected the Python peer.
//!
//! Needs `cargo build --release --workspace --bins` first (`scripts/test` does it).

use std::path::Path;
use std::process::Command;

use bitcoin::p2p::ServiceFlags;
use bitcoin::Network;
use headersim_tests::real::{
    free_port, python_path, stored_headers, wait_for, workspace_binary, NodeProcess, Process,
};
use headersim_tests::repo_root;
use serde_json::Value;

const CHAIN_HEIGHT: u64 = 4500;
/// Two full `headers` replies.
const RECEIVED: usize = 4000;
/// The user agent verystable's P2PInterface sends.
const PYTHON_USER_AGENT: &str = "/python-p2p-tester:0.0.3/";

fn str_field<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("client output lacks {pointer}: {value:#}"))
}

fn u64_field(value: &Value, pointer: &str) -> u64 {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("client output lacks {pointer}: {value:#}"))
}

/// Runs the Python client against `port`; panics with its output unless it exits 0; returns
/// its JSON result.
fn run_client(port: u16, services: u64, start_height: u64, out: &Path) -> Value {
    let script = repo_root().join("tests/python/client_check.py");
    let output = Command::new(python_path())
        .arg(&script)
        .args(["--port", &port.to_string(), "--network", "regtest"])
        .args([
            "--services",
            &services.to_string(),
            "--start-height",
            &start_height.to_string(),
        ])
        .arg(out)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} {}: {e}",
                python_path().display(),
                script.display()
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    let text = std::fs::read_to_string(out)
        .unwrap_or_else(|e| panic!("client output {}: {e}\n{stdout}", out.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}):\n{text}"))
}

#[test]
fn bitcoin_core_python_client_checks_version_ping_getheaders_and_bad_checksum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node_port = free_port();
    let mut fake = Process::spawn(
        "sim serve",
        &workspace_binary("sim"),
        &[
            "serve".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--chain".into(),
            format!(r#"{{"regtest":{{"height":{CHAIN_HEIGHT},"seed":11}}}}"#),
        ],
        dir.path().join("sim-serve.log"),
    );
    // Started on port 0: the fake peer prints the address it got, so no other process's
    // port can be mistaken for it.
    let fake_addr = fake.wait_for_address("fake btcd peer on ");
    let datadir = dir.path().join("node");
    let mut node = NodeProcess::start(
        &datadir,
        &[
            "--network".into(),
            "regtest".into(),
            "--connect".into(),
            fake_addr.clone(),
            "--listen".into(),
            format!("127.0.0.1:{node_port}"),
            "--services".into(),
            "network,witness".into(),
            // The fixture's headers are years old, and the btcd profile, as btcd, serves
            // `getheaders` only while current (best header younger than the maximum tip age,
            // 24 h by default; D28): a tip age of 2^32 s keeps any fixture current.
            "--max-tip-age-s".into(),
            "4294967296".into(),
            "--seed".into(),
            "5".into(),
        ],
    );
    node.wait_for_height(CHAIN_HEIGHT);

    let services = (ServiceFlags::NETWORK | ServiceFlags::WITNESS).to_u64();
    let result = run_client(
        node_port,
        services,
        CHAIN_HEIGHT,
        &dir.path().join("client.json"),
    );

    // The Python peer's connection, by the user agent it sent.
    let handshake = wait_for(
        "the node's handshake with the Python client in its trace",
        || {
            let agent = format!("user_agent={PYTHON_USER_AGENT:?}");
            node.events()
                .into_iter()
                .find(|e| e.starts_with("handshake_done ") && e.ends_with(&agent))
        },
    );
    let label = handshake.split(' ').nth(1).expect("peer label").to_string();
    let sent = str_field(&result, "/corrupt_frame/checksum_sent");
    let correct = str_field(&result, "/corrupt_frame/checksum_correct");
    assert_ne!(
        sent, correct,
        "the client's frame really had a wrong checksum"
    );
    let expected_disconnect = format!(
        "disconnect {label} reason=\"bad frame: bad checksum for `ping`: header says {sent}, payload hashes to {correct}\""
    );
    let disconnect = node.wait_for_event(&format!("disconnect {label} "));
    assert_eq!(
        disconnect, expected_disconnect,
        "why the node dropped the Python peer"
    );

    // The nonce the client decoded is the one the node put in its version.
    let nonce = u64_field(&result, "/version/nNonce");
    let events = node.events();
    let version_line = events
        .iter()
        .find(|e| e.starts_with(&format!("send {label} version ")))
        .unwrap_or_else(|| panic!("the node's version to {label}: {events:#?}"));
    assert!(
        version_line.contains(&format!(" nonce={nonce:#018x} ")),
        "client saw nonce {nonce:#018x}; node sent {version_line}"
    );
    let served = events
        .iter()
        .filter(|e| e.starts_with(&format!("send {label} headers count=2000 ")))
        .count();
    assert_eq!(
        served, 2,
        "the node served two full batches to the Python peer: {events:#?}"
    );
    node.process.assert_running();
    node.process.kill();
    fake.kill();

    let received: Vec<&str> = result
        .pointer("/headers")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("client output lacks /headers: {result:#}"))
        .iter()
        .map(|h| h.as_str().expect("header hash as a hex string"))
        .collect();
    assert_eq!(
        received.len(),
        RECEIVED,
        "the client received two batches of 2000"
    );
    let stored = stored_headers(&datadir, Network::Regtest);
    assert_eq!(
        stored.len() as u64,
        CHAIN_HEIGHT + 1,
        "the node stored the whole chain"
    );
    for (height, hash) in received.iter().enumerate().map(|(i, h)| (i + 1, h)) {
        assert_eq!(
            *hash,
            stored[height].block_hash().to_string(),
            "the client's header at height {height} differs from the node's store"
        );
    }
}

//! Bitcoin Core's message captures (`bitcoind -capturemessages`) imported with
//! `sim import-capture` and replayed in the simulator.
//!
//! 1. bitcoind serves 2,100 regtest blocks to the `node` binary and captures the connection;
//!    bitcoind's side replays against the simulated node (`--replay bitcoind`): the same final
//!    tip, and the same commands from the node in the same order as the live node sent them
//!    (the live node's own trace) and bitcoind received them (its capture).
//! 2. One bitcoind syncs from a second and captures that connection; the serving bitcoind's
//!    messages replay against the simulated node standing where the syncing bitcoind stood
//!    (`--replay peer`): it reaches the same tip.

use std::path::{Path, PathBuf};

use bitcoincore_rpc::RpcApi;
use headersim_tests::real::{wait_for, workspace_binary, Bitcoind, NodeProcess, Process};
use sim::scenario::Scenario;
use sim::tools::capture::{load_capture, RECV_FILE};

/// The one peer folder under `datadir/regtest/message_capture`, and the peer's address.
fn captured_peer(datadir: &Path) -> (PathBuf, String) {
    let root = datadir.join("regtest/message_capture");
    let folders: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .collect();
    assert_eq!(
        folders.len(),
        1,
        "one captured peer in {}: {folders:?}",
        root.display()
    );
    let name = folders[0]
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    // `127.0.0.1_54321`: Core wrote the address with its `:` as `_`.
    let (host, port) = name.rsplit_once('_').expect("host_port");
    (root, format!("{host}:{port}"))
}

/// `setnetworkactive false`: bitcoind drops every connection and makes no new one, so its
/// capture files are no longer written to while the test reads them.
fn network_off(bitcoind: &Bitcoind) {
    let _: bool = bitcoind
        .rpc
        .call("setnetworkactive", &[false.into()])
        .expect("setnetworkactive");
    wait_for("bitcoind to drop its connections", || {
        bitcoind.peer_info().is_empty().then_some(())
    });
}

/// Runs `sim import-capture` (the real command line) and loads what it wrote.
fn import(
    dir: &Path,
    peer: &str,
    replay: &str,
    profile: &str,
    tip: (u32, String),
    out: &Path,
) -> Scenario {
    let mut process = Process::spawn(
        "sim import-capture",
        &workspace_binary("sim"),
        &[
            "import-capture".into(),
            dir.display().to_string(),
            "--peer".into(),
            peer.into(),
            "--replay".into(),
            replay.into(),
            "--network".into(),
            "regtest".into(),
            "--profile".into(),
            profile.into(),
            "--out".into(),
            out.display().to_string(),
            "--tip-height".into(),
            tip.0.to_string(),
            "--tip-hash".into(),
            tip.1,
        ],
        out.with_extension("log"),
    );
    process.wait_success();
    Scenario::load(out).expect("the imported scenario loads")
}

#[test]
fn a_core_capture_of_the_node_syncing_replays_to_the_same_tip_and_commands() {
    let bitcoind = Bitcoind::start("regtest", &["-capturemessages".into()]);
    let hashes = bitcoind.mine(2100);
    let tip = hashes.last().expect("a tip").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let datadir = dir.path().join("node");
    let mut node = NodeProcess::start(
        &datadir,
        &[
            "--network".into(),
            "regtest".into(),
            "--connect".into(),
            bitcoind.p2p_addr(),
            "--seed".into(),
            "9".into(),
        ],
    );
    node.wait_for_height(2100);
    node.wait_for_event("sync_peer none");
    let live_events = node.events();
    node.process.kill();
    let live_sent: Vec<String> = live_events
        .iter()
        .filter_map(|e| e.strip_prefix("send peer1 "))
        .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(live_sent.iter().filter(|c| *c == "getheaders").count(), 2);

    let (root, peer) = captured_peer(bitcoind.datadir.path());
    // bitcoind writes a record when it processes a message: wait until it has processed every
    // message the node sent.
    wait_for("bitcoind to capture every message the node sent", || {
        let capture = load_capture(&root, &peer).ok()?;
        (capture.recv.len() >= live_sent.len()).then_some(())
    });
    network_off(&bitcoind);
    assert!(root.join(peer.replace(':', "_")).join(RECV_FILE).exists());

    let scenario = import(
        &bitcoind.datadir.path().join("regtest"),
        &peer,
        "bitcoind",
        "btcd",
        (2100, tip.clone()),
        &dir.path().join("imported.json"),
    );
    let expected = scenario
        .expect
        .peers
        .get("captured")
        .and_then(|p| p.sent_sequence.clone())
        .expect("a command sequence");
    assert_eq!(
        expected, live_sent,
        "bitcoind captured exactly what the node says it sent"
    );

    let result = sim::run_scenario(&scenario, "imported", None).expect("the replay runs");
    assert!(
        result.failures.is_empty(),
        "the replay differs from the live session: {:#?}",
        result.failures
    );
    assert_eq!(result.outcome.tip_height, 2100);
    assert_eq!(result.outcome.tip_hash, tip);
    let again = sim::run_scenario(&scenario, "imported", None).expect("the replay runs again");
    assert_eq!(result.outcome.trace_digest, again.outcome.trace_digest);
}

#[test]
fn a_core_capture_of_bitcoind_syncing_from_bitcoind_replays_to_the_same_tip() {
    let serving = Bitcoind::start("regtest", &[]);
    let hashes = serving.mine(2100);
    let tip = hashes.last().expect("a tip").to_string();
    let syncing = Bitcoind::start(
        "regtest",
        &[
            "-capturemessages".into(),
            format!("-connect={}", serving.p2p_addr()),
        ],
    );
    wait_for("the syncing bitcoind to reach the tip", || {
        let best = syncing.rpc.get_best_block_hash().ok()?;
        (best.to_string() == tip).then_some(())
    });
    // No more connections, so the capture files are complete and no longer written to.
    network_off(&syncing);
    let (root, peer) = captured_peer(syncing.datadir.path());
    assert_eq!(
        peer,
        serving.p2p_addr(),
        "the capture is of the serving bitcoind"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = import(
        &root,
        &peer,
        "peer",
        "core",
        (2100, tip.clone()),
        &dir.path().join("imported.json"),
    );
    assert!(
        scenario.expect.peers.is_empty(),
        "standing where bitcoind stood, the node is not held to bitcoind's commands"
    );
    let result = sim::run_scenario(&scenario, "imported", None).expect("the replay runs");
    assert!(
        result.failures.is_empty(),
        "the replay did not reach the syncing bitcoind's tip: {:#?}",
        result.failures
    );
    assert_eq!(result.outcome.tip_height, 2100);
    assert_eq!(result.outcome.tip_hash, tip);
}

//! Record a live session against a real bitcoind and replay it in the simulator.
//!
//! bitcoind mines 4,500 regtest blocks; `sim record` sits between the `node` binary and
//! bitcoind while the node syncs; the scenario it writes is then run in the simulator.
//! The replay must reproduce the live session: the same final tip as the live node's store,
//! and the same commands from the node in the same order (nonces and timestamps aside) as
//! both the proxy saw and the live node's own trace shows.

use bitcoin::Network;
use headersim_tests::real::{stored_headers, workspace_binary, Bitcoind, NodeProcess, Process};
use sim::scenario::Scenario;

#[test]
fn a_recorded_bitcoind_session_replays_to_the_same_outcome() {
    let bitcoind = Bitcoind::start("regtest", &[]);
    bitcoind.mine(4500);
    let dir = tempfile::tempdir().expect("temp dir");
    let datadir = dir.path().join("node");
    let scenario_path = dir.path().join("recorded.json");
    let mut recorder = Process::spawn(
        "sim record",
        &workspace_binary("sim"),
        &[
            "record".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--upstream".into(),
            bitcoind.p2p_addr(),
            "--network".into(),
            "regtest".into(),
            "--out".into(),
            scenario_path.display().to_string(),
            "--duration-s".into(),
            "300".into(),
            "--node-datadir".into(),
            datadir.display().to_string(),
        ],
        dir.path().join("record.log"),
    );
    let proxy_addr = recorder.wait_for_address("waiting for the node on ");
    let mut node = NodeProcess::start(
        &datadir,
        &[
            "--network".into(),
            "regtest".into(),
            "--connect".into(),
            proxy_addr,
            "--seed".into(),
            "9".into(),
        ],
    );
    node.wait_for_height(4500);
    node.wait_for_event("sync_peer none");
    // Ctrl-C ends the recording (the --duration-s above is only a backstop).
    recorder.interrupt();
    recorder.wait_success();
    let live_events = node.events();
    node.process.kill();

    let live = stored_headers(&datadir, Network::Regtest);
    let live_tip = live.last().expect("a tip").block_hash().to_string();
    assert_eq!(live.len(), 4501);
    // The live node's own account of what it sent to the peer, in order.
    let live_sent: Vec<String> = live_events
        .iter()
        .filter_map(|e| e.strip_prefix("send peer1 "))
        .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        .collect();

    let scenario = Scenario::load(&scenario_path).expect("the recorded scenario loads");
    let expected = scenario
        .expect
        .peers
        .get("recorded")
        .and_then(|p| p.sent_sequence.clone())
        .expect("a sequence");
    assert_eq!(
        expected, live_sent,
        "the proxy saw exactly what the node says it sent"
    );
    assert_eq!(
        scenario.expect.tip_hash.as_deref(),
        Some(live_tip.as_str()),
        "the live tip is the expectation"
    );
    assert_eq!(live_sent.iter().filter(|c| *c == "getheaders").count(), 3);

    let result = sim::run_scenario(&scenario, "recorded", None).expect("the replay runs");
    assert!(
        result.failures.is_empty(),
        "the replay differs from the live session: {:#?}",
        result.failures
    );
    assert_eq!(result.outcome.tip_height, 4500);
    assert_eq!(result.outcome.tip_hash, live_tip);
    assert_eq!(result.outcome.stored_rows, 4501);
    // Replaying twice gives the same trace.
    let again = sim::run_scenario(&scenario, "recorded", None).expect("the replay runs again");
    assert_eq!(result.outcome.trace_digest, again.outcome.trace_digest);
}

//! Every scenario file: its expectations hold, two runs in this process give byte-identical
//! traces, and its outcome equals the reviewed insta snapshot in `snapshots/` (under `CI=true`
//! insta writes nothing, so a missing or changed snapshot fails).

use headersim_tests::{scenario_files, scenario_path};
use sim::{run_scenario, Scenario};

fn check(name: &str) {
    let path = scenario_path(name);
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let first = run_scenario(&scenario, name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        first.failures.is_empty(),
        "{name} failed:\n  {}\nreproduce: cargo run --release -p sim -- run {} --trace",
        first.failures.join("\n  "),
        path.display()
    );
    let second = run_scenario(&scenario, name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (a, b) = (first.recorder.text(), second.recorder.text());
    if a != b {
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
        panic!(
            "{name}: two runs with seed {} diverge at trace line {line}:\n  first:  {:?}\n  second: {:?}",
            scenario.seed,
            a.lines().nth(line),
            b.lines().nth(line)
        );
    }
    insta::with_settings!({
        snapshot_path => headersim_tests::repo_root().join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => scenario.description.clone(),
    }, {
        insta::assert_json_snapshot!(name, first.outcome);
    });
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*

        #[test]
        fn every_scenario_file_has_a_test_and_every_test_a_file() {
            let listed: Vec<String> = vec![$(stringify!($name).to_string()),*];
            let files: Vec<String> = scenario_files().into_iter().map(|(name, _)| name).collect();
            assert_eq!(files, listed, "scenarios/ and the list in tests/scenarios.rs differ");
        }
    };
}

scenarios!(
    crash_and_restart_mid_sync,
    fork_more_work_wins,
    handshake_duplicate_version,
    handshake_first_message_not_version,
    handshake_missing_node_network,
    handshake_modern_peer_feature_messages,
    handshake_never_sends_version,
    handshake_obsolete_version,
    handshake_self_connection,
    handshake_timeout_overridden,
    heartbeat_pings_for_30_minutes,
    idle_after_first_headers,
    idle_silent_after_handshake,
    inbound_handshake_and_serving,
    invalid_bad_pow_in_batch,
    invalid_non_continuous_batch,
    invalid_too_many_headers,
    mainnet_sync_0_1111,
    partition_then_repair,
    real_mainnet_0_10236,
    real_mainnet_822528_830592_trusted_start,
    real_mainnet_stale_823226_competing_branch,
    real_mainnet_trusted_start_crash_and_restart,
    real_signet_0_2015,
    real_testnet3_0_9999,
    recorded_bitcoind_regtest_sync,
    regtest_batches_2000,
    regtest_batches_4000,
    regtest_batches_4001,
    reorg_btcd_real_pow_fork,
    reorg_deep_fork_2100_below_tip,
    stalled_sync_peer_is_replaced,
    wire_bad_checksum,
    wire_close_mid_batch,
    wire_oversized_frame,
    wire_wrong_magic,
);
